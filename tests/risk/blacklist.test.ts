import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { PASSWORD, createUser, uniqueEmail, userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload } from '../helpers/kit';

/**
 * Blacklists (staff RISK): entries normalised as they are matched, with expiry; BLOCK entries
 * refuse registration and sign-in with BLACKLISTED and leave a BLACKLIST_HIT risk event.
 */

const clock = new ManualClock(new Date('2031-05-01T08:00:00Z'));
let t: TestApp;
let risk: { token: string; user: { id: string } };

beforeAll(async () => {
  t = await createTestApp({ LOG_LEVEL: 'silent', LOGIN_FAILURES_PER_ACCOUNT: '1000' }, { clock });
  risk = await userWithToken(t, { roles: [StaffRole.RISK] });
});
afterAll(() => t.close());

const ENTRY = 'id kind value action reason expiresAt createdAt createdBy { id }';
const ADD = `mutation($input: AddBlacklistEntryInput!) { addBlacklistEntry(input: $input) { blacklistEntry { ${ENTRY} } errors { code field message } } }`;
const REMOVE = `mutation($input: IdInput!) { removeBlacklistEntry(input: $input) { blacklistEntry { ${ENTRY} } errors { code field } } }`;
const LIST = `query($filter: BlacklistFilter, $first: Int, $after: String) { blacklistEntries(filter: $filter, first: $first, after: $after) { totalCount nodes { id kind value action } pageInfo { hasNextPage endCursor } } }`;
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } errors { code field } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { accessToken errors { code field } } }`;

const add = (input: Record<string, unknown>, token = risk.token) => t.gql(ADD, { input: { reason: 'Fraud ring', ...input } }, { token });
const added = async (input: Record<string, unknown>) => okPayload(await add(input), 'addBlacklistEntry', 'blacklistEntry');
const hex = () => randomBytes(4).toString('hex');
/** A fresh /24 network for each test, so entries of one test never touch another's requests. */
let net = 0;
const freshNet = () => `198.${18 + Math.floor(net / 250)}.${++net % 250}`;

const register = (email: string, opts: { ip?: string; device?: string } = {}) =>
  t.gql(REGISTER, { input: { email, password: 'a long enough password', displayName: 'Newcomer' } }, { ip: opts.ip, headers: opts.device ? { 'x-device-id': opts.device } : {} });
const login = (email: string, opts: { ip?: string; device?: string; password?: string } = {}) =>
  t.gql(LOGIN, { input: { email, password: opts.password ?? PASSWORD } }, { ip: opts.ip, headers: opts.device ? { 'x-device-id': opts.device } : {} });
const hits = (entryKey: string) => t.sql("select kind, user_id, ip, device_id, detail from risk_event where kind = 'BLACKLIST_HIT' and detail->>'entryId' = ?", [entryKey]);

describe('addBlacklistEntry', () => {
  it.each([
    ['PHONE', '+86 138-1234-5678', '13812345678'],
    ['PHONE', '(021) 6234 5678', '02162345678'],
    ['ADDRESS', '上海市 浦東新區，世紀大道 1號', '上海市浦東新區世紀大道1號'],
    ['EMAIL_DOMAIN', 'Someone@Spam-Mail.EXAMPLE', 'spam-mail.example'],
    ['EMAIL_DOMAIN', '@Disposable.Example', 'disposable.example'],
    ['DEVICE', '  device-ABC-123  ', 'device-ABC-123'],
    ['IP', '203.0.113.7', '203.0.113.7/32'],
    ['IP', '203.0.112.0/24', '203.0.112.0/24'],
    ['IP', '2001:DB8:1::/48', '2001:db8:1::/48'],
  ])('stores a %s entry normalised: %s → %s', async (kind, value, stored) => {
    await t.sql('delete from blacklist_entry where kind = ? and value = ?', [kind, stored]);
    const entry = await added({ kind, value });
    expect(entry).toMatchObject({ kind, value: stored, action: 'BLOCK', reason: 'Fraud ring', expiresAt: null, createdBy: { id: idOf('User', risk.user.id) } });
  });

  it('records who added what in the audit log', async () => {
    const entry = await added({ kind: 'DEVICE', value: `dev-${hex()}`, action: 'REVIEW', expiresAt: new Date(clock.now().getTime() + 3600_000).toISOString() });
    const [audit] = await t.sql("select actor_id, target_type, after from audit_entry where action = 'blacklist.add' and target_id = ?", [keyOf(entry.id)]);
    expect(String(audit.actor_id)).toBe(risk.user.id);
    expect(audit.target_type).toBe('BlacklistEntry');
    expect(audit.after).toMatchObject({ kind: 'DEVICE', value: entry.value, action: 'REVIEW', reason: 'Fraud ring' });
  });

  it.each([
    ['PHONE', '12-34'],
    ['PHONE', 'no digits'],
    ['ADDRESS', ' ，。 '],
    ['EMAIL_DOMAIN', 'localhost'],
    ['EMAIL_DOMAIN', 'bad_domain.example'],
    ['DEVICE', 'has spaces inside'],
    ['IP', '10.1'],
    ['IP', '300.1.1.1'],
    ['IP', '10.0.0.1/8'],
    ['IP', '10.0.0.0/33'],
    ['IP', 'example.com'],
  ])('refuses a malformed %s value %j with INVALID_INPUT on value', async (kind, value) => {
    expect(failuresOf(await add({ kind, value }), 'addBlacklistEntry', 'blacklistEntry')).toEqual([['INVALID_INPUT', 'input.value']]);
  });

  it('refuses an expiry in the past and a blank reason, saving nothing', async () => {
    const value = `dev-${hex()}`;
    const res = await add({ kind: 'DEVICE', value, reason: ' ', expiresAt: new Date(clock.now().getTime() - 1).toISOString() });
    expect(failuresOf(res, 'addBlacklistEntry', 'blacklistEntry').sort()).toEqual([
      ['INVALID_INPUT', 'input.expiresAt'],
      ['INVALID_INPUT', 'input.reason'],
    ]);
    expect(await t.sql('select 1 from blacklist_entry where value = ?', [value])).toHaveLength(0);
  });

  it('refuses a value already listed and in force, however it is written; an expired entry of it is replaced', async () => {
    const domain = `dup-${hex()}.example`;
    const first = await added({ kind: 'EMAIL_DOMAIN', value: domain, expiresAt: new Date(clock.now().getTime() + 60_000).toISOString() });
    expect(failuresOf(await add({ kind: 'EMAIL_DOMAIN', value: `anyone@${domain.toUpperCase()}` }), 'addBlacklistEntry', 'blacklistEntry')).toEqual([['INVALID_INPUT', 'input.value']]);
    // The same value of another kind is another entry.
    await added({ kind: 'DEVICE', value: domain });
    clock.advance(120_000);
    const second = await added({ kind: 'EMAIL_DOMAIN', value: domain, reason: 'Back again' });
    expect(second.id).not.toBe(first.id);
    expect(await t.sql("select reason from blacklist_entry where kind = 'EMAIL_DOMAIN' and value = ?", [domain])).toEqual([{ reason: 'Back again' }]);
  });
});

describe('removeBlacklistEntry and blacklistEntries', () => {
  it('removes an entry, audited, and answers NOT_FOUND for an unknown one', async () => {
    const entry = await added({ kind: 'DEVICE', value: `gone-${hex()}` });
    const removed = okPayload(await t.gql(REMOVE, { input: { id: entry.id } }, { token: risk.token }), 'removeBlacklistEntry', 'blacklistEntry');
    expect(removed).toMatchObject({ id: entry.id, value: entry.value });
    expect(await t.sql('select 1 from blacklist_entry where id = ?', [keyOf(entry.id)])).toHaveLength(0);
    const [audit] = await t.sql("select before from audit_entry where action = 'blacklist.remove' and target_id = ?", [keyOf(entry.id)]);
    expect(audit.before).toMatchObject({ kind: 'DEVICE', value: entry.value });
    expect(code(await t.gql(REMOVE, { input: { id: entry.id } }, { token: risk.token }))).toBe('NOT_FOUND');
  });

  it('lists newest first, by kind, action and search, in force unless includeExpired, page by page', async () => {
    const tag = hex();
    const a = await added({ kind: 'DEVICE', value: `list-${tag}-a`, reason: `Batch ${tag}` });
    const b = await added({ kind: 'DEVICE', value: `list-${tag}-b`, action: 'REVIEW', reason: `Batch ${tag}` });
    const c = await added({ kind: 'DEVICE', value: `list-${tag}-c`, reason: `Batch ${tag}`, expiresAt: new Date(clock.now().getTime() + 60_000).toISOString() });
    const list = async (filter: Record<string, unknown>, first = 10, after?: string) => (await t.gql(LIST, { filter, first, after }, { token: risk.token })).data!.blacklistEntries;

    expect((await list({ search: `BATCH ${tag}` })).nodes.map((n: { id: string }) => n.id)).toEqual([c.id, b.id, a.id]);
    expect((await list({ search: `list-${tag}`, action: 'REVIEW' })).nodes.map((n: { id: string }) => n.id)).toEqual([b.id]);
    expect((await list({ search: tag, kind: 'IP' })).nodes).toEqual([]);
    const page1 = await list({ search: tag }, 2);
    expect(page1.totalCount).toBe(3);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await list({ search: tag }, 2, page1.pageInfo.endCursor);
    expect([...page1.nodes, ...page2.nodes].map((n: { id: string }) => n.id)).toEqual([c.id, b.id, a.id]);

    clock.advance(120_000);
    expect((await list({ search: tag })).nodes.map((n: { id: string }) => n.id)).toEqual([b.id, a.id]);
    expect((await list({ search: tag, includeExpired: true })).nodes.map((n: { id: string }) => n.id)).toEqual([c.id, b.id, a.id]);
  });

  it.each([
    ['a shopper', [] as StaffRole[]],
    ['staff OPERATIONS', [StaffRole.OPERATIONS]],
    ['staff CUSTOMER_SERVICE', [StaffRole.CUSTOMER_SERVICE]],
  ])('refuses %s with FORBIDDEN', async (_who, roles) => {
    const caller = await userWithToken(t, { roles });
    expect(code(await add({ kind: 'DEVICE', value: `x-${hex()}` }, caller.token))).toBe('FORBIDDEN');
    expect(code(await t.gql(LIST, {}, { token: caller.token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(REMOVE, { input: { id: idOf('BlacklistEntry', 1) } }, { token: caller.token }))).toBe('FORBIDDEN');
  });

  it('refuses anyone signed out with UNAUTHENTICATED, and lets an ADMIN in', async () => {
    expect(code(await t.gql(LIST, {}))).toBe('UNAUTHENTICATED');
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    await added({ kind: 'DEVICE', value: `admin-${hex()}` });
    expect((await t.gql(LIST, { first: 1 }, { token: admin.token })).data!.blacklistEntries.nodes).toHaveLength(1);
  });
});

describe('registration', () => {
  it('is refused with BLACKLISTED for a blocked email domain, creating nothing and recording the hit', async () => {
    const domain = `blocked-${hex()}.example`;
    const entry = await added({ kind: 'EMAIL_DOMAIN', value: domain });
    const email = `new@${domain.toUpperCase()}`;
    const res = await register(email, { ip: '192.0.2.10', device: 'reg-device' });
    expect(res.data!.register).toEqual({ accessToken: null, user: null, errors: [{ code: 'BLACKLISTED', field: ['input', 'email'] }] });
    expect(await t.sql('select 1 from users where email = ?', [email.toLowerCase()])).toHaveLength(0);
    expect(await hits(keyOf(entry.id))).toEqual([
      { kind: 'BLACKLIST_HIT', user_id: null, ip: '192.0.2.10', device_id: 'reg-device', detail: { operation: 'register', email: email.toLowerCase(), entryId: keyOf(entry.id), kind: 'EMAIL_DOMAIN', value: domain } },
    ]);
    // Another domain, even a sub-domain, is not this entry.
    expect((await register(`new@mail.${domain}`)).data!.register.errors).toEqual([]);
  });

  it('is refused for an IP inside a blocked network and for a blocked device', async () => {
    const network = freshNet();
    const byIp = await added({ kind: 'IP', value: `${network}.0/24` });
    const device = `dev-${hex()}`;
    const byDevice = await added({ kind: 'DEVICE', value: device });
    expect((await register(uniqueEmail(), { ip: `${network}.77` })).data!.register.errors).toEqual([{ code: 'BLACKLISTED', field: ['input'] }]);
    expect((await register(uniqueEmail(), { device })).data!.register.errors).toEqual([{ code: 'BLACKLISTED', field: ['input'] }]);
    expect(await hits(keyOf(byIp.id))).toHaveLength(1);
    expect(await hits(keyOf(byDevice.id))).toHaveLength(1);
    // The next network and another device pass.
    expect((await register(uniqueEmail(), { ip: `${freshNet()}.77`, device: `${device}-other` })).data!.register.errors).toEqual([]);
  });

  it('matches an IPv4 client seen as an IPv4-mapped IPv6 address', async () => {
    const network = freshNet();
    await added({ kind: 'IP', value: `${network}.0/24` });
    expect((await register(uniqueEmail(), { ip: `::ffff:${network}.5` })).data!.register.errors).toEqual([{ code: 'BLACKLISTED', field: ['input'] }]);
  });

  it('is not refused by a REVIEW entry, nor by a BLOCK entry that has expired', async () => {
    const reviewed = `rev-${hex()}.example`;
    await added({ kind: 'EMAIL_DOMAIN', value: reviewed, action: 'REVIEW' });
    expect((await register(`a@${reviewed}`)).data!.register.errors).toEqual([]);

    const expiring = `exp-${hex()}.example`;
    await added({ kind: 'EMAIL_DOMAIN', value: expiring, expiresAt: new Date(clock.now().getTime() + 60_000).toISOString() });
    expect((await register(`a@${expiring}`)).data!.register.errors[0].code).toBe('BLACKLISTED');
    clock.advance(60_000);
    expect((await register(`b@${expiring}`)).data!.register.errors).toEqual([]);
  });
});

describe('sign-in', () => {
  it('is refused with BLACKLISTED from a blocked IP or device, right password or wrong, without a session', async () => {
    const user = await createUser(t);
    const network = freshNet();
    const device = `dev-${hex()}`;
    const byIp = await added({ kind: 'IP', value: `${network}.0/24` });
    const byDevice = await added({ kind: 'DEVICE', value: device });
    for (const password of [PASSWORD, 'a wrong password!!']) {
      expect((await login(user.email, { ip: `${network}.9`, password })).data!.login.errors).toEqual([{ code: 'BLACKLISTED', field: ['input'] }]);
      expect((await login(user.email, { device, password })).data!.login.errors).toEqual([{ code: 'BLACKLISTED', field: ['input'] }]);
    }
    // An unknown account gets the same answer: the check comes before any account is looked at.
    expect((await login(uniqueEmail('nobody'), { device })).data!.login.errors).toEqual([{ code: 'BLACKLISTED', field: ['input'] }]);
    expect(await t.sql('select 1 from auth_session where user_id = ?', [user.id])).toHaveLength(0);
    const ipHits = await hits(keyOf(byIp.id));
    expect(ipHits).toHaveLength(2);
    expect(ipHits[0]).toMatchObject({ ip: `${network}.9`, detail: { operation: 'login', email: user.email, kind: 'IP' } });
    // The event names the account tried, when there is one.
    expect(ipHits.map((h: { user_id: string }) => String(h.user_id))).toEqual([user.id, user.id]);
    expect((await hits(keyOf(byDevice.id))).filter((h: { user_id: string | null }) => h.user_id === null)).toHaveLength(1);
    expect(await hits(keyOf(byDevice.id))).toHaveLength(3);
    expect((await login(user.email, { ip: `${freshNet()}.9` })).data!.login.errors).toEqual([]);
  });

  it('is refused for an account whose email domain is blocked, and let through once the entry is removed', async () => {
    const domain = `acct-${hex()}.example`;
    const user = await createUser(t, { email: `member@${domain}` });
    const entry = await added({ kind: 'EMAIL_DOMAIN', value: domain });
    expect((await login(user.email)).data!.login.errors).toEqual([{ code: 'BLACKLISTED', field: ['input', 'email'] }]);
    okPayload(await t.gql(REMOVE, { input: { id: entry.id } }, { token: risk.token }), 'removeBlacklistEntry');
    expect((await login(user.email)).data!.login.accessToken).toEqual(expect.any(String));
  });
});
