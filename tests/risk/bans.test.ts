import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { PASSWORD, createShop, createUser, signIn, userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, listen, okPayload } from '../helpers/kit';
import { sleep } from '../helpers/wait';

/**
 * User bans (banUser / unbanUser, staff RISK): a ban ends every session at once — tokens fail with
 * 401, open subscription sockets close — and sign-in is refused with ACCOUNT_BANNED while it lasts.
 */

const clock = new ManualClock(new Date('2031-03-01T08:00:00Z'));
let t: TestApp;
let wsUrl: string;
let risk: { token: string; user: { id: string } };
let admin: { token: string; user: { id: string } };

beforeAll(async () => {
  t = await createTestApp({ LOG_LEVEL: 'silent', LOGIN_FAILURES_PER_ACCOUNT: '1000' }, { clock });
  wsUrl = `${(await listen(t)).origin.replace(/^http/, 'ws')}/graphql`;
  risk = await userWithToken(t, { roles: [StaffRole.RISK] });
  admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
});
afterAll(() => t.close());

const BAN = `mutation($input: BanUserInput!) { banUser(input: $input) { user { id ban { bannedAt until reason } } errors { code field message } } }`;
const UNBAN = `mutation($input: UnbanUserInput!) { unbanUser(input: $input) { user { id ban { reason } } errors { code field message } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { accessToken user { id ban { reason } } errors { code field } } }`;
const REFRESH = `mutation($input: RefreshSessionInput!) { refreshSession(input: $input) { accessToken errors { code } } }`;
const ME = `{ me { id } }`;
const INBOX_FEED = `subscription { notificationAdded { id } }`;

const ban = (token: string, input: Record<string, unknown>) => t.gql(BAN, { input }, { token });
const login = (email: string, password = PASSWORD) => t.gql(LOGIN, { input: { email, password } });
const loginCode = async (email: string, password = PASSWORD) => (await login(email, password)).data!.login.errors[0]?.code ?? 'OK';

function connect(token: string): { client: Client; closed: Promise<number> } {
  let onClosed!: (code: number) => void;
  const closed = new Promise<number>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
    on: { closed: (event) => onClosed((event as { code: number }).code) },
    onNonLazyError: () => undefined,
  });
  return { client, closed };
}

describe('banUser', () => {
  it('ends every session at once: access tokens get 401, refresh tokens fail, open sockets close with 4401', async () => {
    const user = await createUser(t);
    const [a, b] = [await signIn(t, user.email), await signIn(t, user.email)];
    const socket = connect(a.accessToken);
    const subscribed = new Promise<void>((resolve, reject) => {
      socket.client.subscribe({ query: INBOX_FEED }, { next: () => undefined, error: () => undefined, complete: () => undefined });
      socket.client.on('connected', () => resolve());
      setTimeout(() => reject(new Error('socket did not connect')), 5000);
    });
    await subscribed;
    await sleep(50);

    const started = Date.now();
    const banned = okPayload(await ban(risk.token, { userId: idOf('User', user.id), reason: 'Card testing' }), 'banUser', 'user');
    expect(banned.ban).toEqual({ bannedAt: clock.now().toISOString(), until: null, reason: 'Card testing' });

    expect(await socket.closed).toBe(4401);
    expect(Date.now() - started).toBeLessThan(3000);
    for (const token of [a.accessToken, b.accessToken]) {
      const res = await t.gql(ME, {}, { token });
      expect(res.status).toBe(401);
      expect(code(res)).toBe('UNAUTHENTICATED');
    }
    expect((await t.gql(REFRESH, { input: { refreshToken: b.refreshToken } })).data!.refreshSession.errors[0].code).toBe('INVALID_REFRESH_TOKEN');
    const live = await t.sql('select count(*)::int as n from auth_session where user_id = ? and revoked_at is null', [user.id]);
    expect(live[0].n).toBe(0);
    const [audit] = await t.sql("select actor_id, after from audit_entry where action = 'user.ban' and target_id = ?", [user.id]);
    expect(String(audit.actor_id)).toBe(risk.user.id);
    expect(audit.after).toMatchObject({ banReason: 'Card testing', bannedUntil: null });
    await socket.client.dispose();
  });

  it('refuses sign-in with ACCOUNT_BANNED only once the password checks out, and records a BANNED_SIGN_IN risk event', async () => {
    const user = await createUser(t);
    okPayload(await ban(risk.token, { userId: idOf('User', user.id), reason: 'Fraud' }), 'banUser');
    expect(await loginCode(user.email, 'a wrong password!!')).toBe('INVALID_CREDENTIALS');
    const refused = await login(user.email);
    expect(refused.data!.login).toEqual({ accessToken: null, user: null, errors: [{ code: 'ACCOUNT_BANNED', field: null }] });
    const events = await t.sql("select kind, detail from risk_event where user_id = ? and kind = 'BANNED_SIGN_IN'", [user.id]);
    expect(events).toEqual([{ kind: 'BANNED_SIGN_IN', detail: { bannedUntil: null } }]);
    const sessions = await t.sql('select count(*)::int as n from auth_session where user_id = ?', [user.id]);
    expect(sessions[0].n).toBe(0);
  });

  it('lets the user back in once a ban with an end has run out', async () => {
    const user = await createUser(t);
    const until = new Date(clock.now().getTime() + 24 * 3600_000);
    const banned = okPayload(await ban(risk.token, { userId: idOf('User', user.id), reason: 'Cooling off', until: until.toISOString() }), 'banUser', 'user');
    expect(banned.ban.until).toBe(until.toISOString());
    expect(await loginCode(user.email)).toBe('ACCOUNT_BANNED');
    clock.advance(24 * 3600_000 + 1000);
    const back = await login(user.email);
    expect(back.data!.login.errors).toEqual([]);
    expect(back.data!.login.user.ban).toBeNull();
  });

  it('replaces the ban of a banned user', async () => {
    const user = await createUser(t);
    okPayload(await ban(risk.token, { userId: idOf('User', user.id), reason: 'First', until: new Date(clock.now().getTime() + 3600_000).toISOString() }), 'banUser');
    const again = okPayload(await ban(risk.token, { userId: idOf('User', user.id), reason: 'Second' }), 'banUser', 'user');
    expect(again.ban).toMatchObject({ until: null, reason: 'Second' });
  });

  it('refuses a reason out of range, an end in the past, an unknown user and yourself, changing nothing', async () => {
    const user = await createUser(t);
    const userId = idOf('User', user.id);
    const past = new Date(clock.now().getTime() - 1000).toISOString();
    expect(failuresOf(await ban(risk.token, { userId, reason: '  ', until: past }), 'banUser', 'user').sort()).toEqual([
      ['INVALID_INPUT', 'input.reason'],
      ['INVALID_INPUT', 'input.until'],
    ]);
    expect(failuresOf(await ban(risk.token, { userId, reason: 'x'.repeat(501) }), 'banUser', 'user')).toEqual([['INVALID_INPUT', 'input.reason']]);
    expect(failuresOf(await ban(risk.token, { userId: idOf('User', '999999999'), reason: 'Nobody' }), 'banUser', 'user')).toEqual([['USER_NOT_FOUND', 'input.userId']]);
    expect(failuresOf(await ban(risk.token, { userId: idOf('User', risk.user.id), reason: 'Me' }), 'banUser', 'user')).toEqual([['INVALID_INPUT', 'input.userId']]);
    const [row] = await t.sql('select banned_at from users where id = ?', [user.id]);
    expect(row.banned_at).toBeNull();
    expect(await loginCode(user.email)).toBe('OK');
  });

  it('bans a user with any staff role only when the banner is ADMIN', async () => {
    const reviewer = await createUser(t, { roles: [StaffRole.REVIEWER] });
    const userId = idOf('User', reviewer.id);
    const refused = await ban(risk.token, { userId, reason: 'Insider abuse' });
    expect(code(refused)).toBe('FORBIDDEN');
    expect((await t.sql('select banned_at from users where id = ?', [reviewer.id]))[0].banned_at).toBeNull();
    okPayload(await ban(admin.token, { userId, reason: 'Insider abuse' }), 'banUser');
    expect(await loginCode(reviewer.email)).toBe('ACCOUNT_BANNED');
    // Unbanning staff takes ADMIN too.
    expect(code(await t.gql(UNBAN, { input: { userId } }, { token: risk.token }))).toBe('FORBIDDEN');
    okPayload(await t.gql(UNBAN, { input: { userId } }, { token: admin.token }), 'unbanUser');
  });

  it.each([
    ['a shopper', [] as StaffRole[], 'FORBIDDEN'],
    ['staff OPERATIONS', [StaffRole.OPERATIONS], 'FORBIDDEN'],
    ['staff CUSTOMER_SERVICE', [StaffRole.CUSTOMER_SERVICE], 'FORBIDDEN'],
  ])('refuses %s', async (_who, roles, expected) => {
    const caller = await userWithToken(t, { roles });
    const target = await createUser(t);
    expect(code(await ban(caller.token, { userId: idOf('User', target.id), reason: 'No' }))).toBe(expected);
    expect(code(await t.gql(UNBAN, { input: { userId: idOf('User', target.id) } }, { token: caller.token }))).toBe(expected);
  });

  it('refuses anyone signed out with UNAUTHENTICATED', async () => {
    const target = await createUser(t);
    expect(code(await t.gql(BAN, { input: { userId: idOf('User', target.id), reason: 'No' } }))).toBe('UNAUTHENTICATED');
  });

  it('leaves no live session when a sign-in races the ban', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await createUser(t);
      const [signedIn] = await Promise.all([login(user.email), ban(risk.token, { userId: idOf('User', user.id), reason: 'Race' })]);
      expect(['OK', 'ACCOUNT_BANNED']).toContain(signedIn.data!.login.errors[0]?.code ?? 'OK');
      const live = await t.sql('select count(*)::int as n from auth_session where user_id = ? and revoked_at is null', [user.id]);
      expect(live[0].n).toBe(0);
      if (signedIn.data!.login.accessToken) expect((await t.gql(ME, {}, { token: signedIn.data!.login.accessToken })).status).toBe(401);
    }
  });
});

describe('unbanUser', () => {
  it('lets the user sign in again, audited with the reason', async () => {
    const user = await createUser(t);
    const userId = idOf('User', user.id);
    okPayload(await ban(risk.token, { userId, reason: 'Mistake?' }), 'banUser');
    const lifted = okPayload(await t.gql(UNBAN, { input: { userId, reason: 'Appeal accepted' } }, { token: risk.token }), 'unbanUser', 'user');
    expect(lifted.ban).toBeNull();
    expect(await loginCode(user.email)).toBe('OK');
    const [audit] = await t.sql("select before, after from audit_entry where action = 'user.unban' and target_id = ?", [user.id]);
    expect(audit.before).toMatchObject({ banReason: 'Mistake?' });
    expect(audit.after).toMatchObject({ bannedAt: null, reason: 'Appeal accepted' });
  });

  it('refuses a user who is not banned, or whose ban has run out, with INVALID_INPUT', async () => {
    const user = await createUser(t);
    const userId = idOf('User', user.id);
    expect(failuresOf(await t.gql(UNBAN, { input: { userId } }, { token: risk.token }), 'unbanUser', 'user')).toEqual([['INVALID_INPUT', 'input.userId']]);
    okPayload(await ban(risk.token, { userId, reason: 'Short', until: new Date(clock.now().getTime() + 60_000).toISOString() }), 'banUser');
    clock.advance(120_000);
    expect(failuresOf(await t.gql(UNBAN, { input: { userId } }, { token: risk.token }), 'unbanUser', 'user')).toEqual([['INVALID_INPUT', 'input.userId']]);
  });
});

describe('User.ban', () => {
  it('is shown to staff and null to other users (a fellow shop member)', async () => {
    const user = await createUser(t);
    const colleague = await userWithToken(t);
    const shop = await createShop(t, [
      { user, role: ShopMemberRole.OWNER },
      { user: colleague.user, role: ShopMemberRole.CUSTOMER_SERVICE },
    ]);
    okPayload(await ban(risk.token, { userId: idOf('User', user.id), reason: 'Visible to staff' }), 'banUser');

    const asStaff = await t.gql(`query($id: ID!) { node(id: $id) { ... on User { ban { reason } passwordChangeRequired } } }`, { id: idOf('User', user.id) }, { token: admin.token });
    expect(asStaff.data!.node).toEqual({ ban: { reason: 'Visible to staff' }, passwordChangeRequired: false });

    const members = await t.gql(
      `query($id: ID!) { node(id: $id) { ... on Shop { members { user { id ban { reason } passwordChangeRequired } } } } }`,
      { id: idOf('Shop', shop.id) },
      { token: colleague.token },
    );
    const owner = members.data!.node.members.find((m: { user: { id: string } }) => m.user.id === idOf('User', user.id));
    expect(owner.user).toEqual({ id: idOf('User', user.id), ban: null, passwordChangeRequired: null });
  });
});
