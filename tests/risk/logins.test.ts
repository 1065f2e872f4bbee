import { randomBytes } from 'node:crypto';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { StaffRole } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { PASSWORD, createUser, uniqueEmail, userWithToken } from '../helpers/factories';
import { code, idOf, listen, okPayload } from '../helpers/kit';

/**
 * Login anomalies: a sign-in from a new device in a new region is a NEW_DEVICE_REGION risk event
 * (and, with RISK_FORCE_PASSWORD_CHANGE, a required password change enforced on every operation
 * but a few); a burst of failed sign-ins is one LOGIN_FAILURE_BURST event; staff RISK read them
 * in `riskEvents`.
 */

const clock = new ManualClock(new Date('2031-07-01T08:00:00Z'));
let t: TestApp;
/** The same database with RISK_FORCE_PASSWORD_CHANGE=true. */
let forced: TestApp;
/** The same database with the region taken from a proxy's header. */
let regional: TestApp;
let forcedWs: string;
let risk: { token: string };

beforeAll(async () => {
  t = await createTestApp({ LOG_LEVEL: 'silent', LOGIN_FAILURES_PER_ACCOUNT: '1000' }, { clock });
  forced = await createTestApp({ LOG_LEVEL: 'silent', RISK_FORCE_PASSWORD_CHANGE: 'true' });
  regional = await createTestApp({ LOG_LEVEL: 'silent', RISK_REGION_HEADER: 'CF-IPCountry' });
  forcedWs = `${(await listen(forced)).origin.replace(/^http/, 'ws')}/graphql`;
  risk = await userWithToken(t, { roles: [StaffRole.RISK] });
});
afterAll(async () => {
  await Promise.all([t.close(), forced.close(), regional.close()]);
});

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken user { id passwordChangeRequired } errors { code field } } }`;
const EVENTS = `query($filter: RiskEventFilter, $first: Int, $after: String) { riskEvents(filter: $filter, first: $first, after: $after) {
  totalCount nodes { id kind ip deviceId region detail at user { id } } pageInfo { hasNextPage endCursor } } }`;

interface From {
  ip?: string;
  device?: string;
  agent?: string;
  headers?: Record<string, string>;
}

async function signInFrom(app: TestApp, email: string, from: From = {}, password = PASSWORD) {
  const headers: Record<string, string> = { ...from.headers };
  if (from.device) headers['x-device-id'] = from.device;
  if (from.agent) headers['user-agent'] = from.agent;
  const res = await app.gql(LOGIN, { input: { email, password } }, { ip: from.ip, headers });
  return res.data!.login;
}

const eventsOf = (userId: string, kind: string) => t.sql('select ip, device_id, region, detail from risk_event where user_id = ? and kind = ? order by id', [userId, kind]);
const hex = () => randomBytes(3).toString('hex');

describe('a sign-in from a new device in a new region', () => {
  it('is recorded as NEW_DEVICE_REGION only when neither the device nor the region was seen before', async () => {
    const user = await createUser(t);
    expect((await signInFrom(t, user.email, { ip: '10.1.0.5', device: 'phone-a' })).errors).toEqual([]);
    // A known device in a new region, a new device in a known region: nothing.
    await signInFrom(t, user.email, { ip: '10.9.0.5', device: 'phone-a' });
    await signInFrom(t, user.email, { ip: '10.1.200.7', device: 'tablet-b' });
    expect(await eventsOf(user.id, 'NEW_DEVICE_REGION')).toEqual([]);

    const unusual = await signInFrom(t, user.email, { ip: '10.20.3.4', device: 'laptop-c', agent: 'Odd/1.0' });
    expect(unusual.errors).toEqual([]);
    // Without RISK_FORCE_PASSWORD_CHANGE nothing more is asked.
    expect(unusual.user.passwordChangeRequired).toBe(false);
    expect(await eventsOf(user.id, 'NEW_DEVICE_REGION')).toEqual([
      { ip: '10.20.3.4', device_id: 'laptop-c', region: '10.20.0.0/16', detail: { userAgent: 'Odd/1.0', passwordChangeRequired: false } },
    ]);
    const sessions = await t.sql('select device_id, region from auth_session where user_id = ? order by created_at', [user.id]);
    expect(sessions.map((s: { device_id: string }) => s.device_id)).toEqual(['phone-a', 'phone-a', 'tablet-b', 'laptop-c']);
    expect(sessions[0].region).toBe('10.1.0.0/16');
  });

  it('compares the user agent when the client sends no device id', async () => {
    const user = await createUser(t);
    await signInFrom(t, user.email, { ip: '10.30.0.1', agent: 'Browser/1' });
    await signInFrom(t, user.email, { ip: '10.31.0.1', agent: 'Browser/1' });
    expect(await eventsOf(user.id, 'NEW_DEVICE_REGION')).toHaveLength(0);
    await signInFrom(t, user.email, { ip: '10.32.0.1', agent: 'Browser/2' });
    expect(await eventsOf(user.id, 'NEW_DEVICE_REGION')).toHaveLength(1);
  });

  it('is not flagged on the first sign-in, nor against sessions from before risk control (no region recorded)', async () => {
    const user = await createUser(t);
    await signInFrom(t, user.email, { ip: '10.40.0.1', device: 'old-phone' });
    await t.sql('update auth_session set region = null, device_id = null where user_id = ?', [user.id]);
    await signInFrom(t, user.email, { ip: '10.41.0.1', device: 'new-phone' });
    expect(await eventsOf(user.id, 'NEW_DEVICE_REGION')).toHaveLength(0);
  });

  it('takes the region from RISK_REGION_HEADER when a proxy sets it', async () => {
    const user = await createUser(regional);
    await signInFrom(regional, user.email, { ip: '10.50.0.1', device: 'd1', headers: { 'cf-ipcountry': 'cn' } });
    // Another network, but the same country: a known region.
    await signInFrom(regional, user.email, { ip: '10.51.0.1', device: 'd2', headers: { 'cf-ipcountry': 'CN' } });
    expect(await eventsOf(user.id, 'NEW_DEVICE_REGION')).toHaveLength(0);
    await signInFrom(regional, user.email, { ip: '10.50.0.1', device: 'd3', headers: { 'cf-ipcountry': 'US' } });
    expect(await eventsOf(user.id, 'NEW_DEVICE_REGION')).toEqual([{ ip: '10.50.0.1', device_id: 'd3', region: 'US', detail: expect.any(Object) }]);
  });
});

describe('a required password change (RISK_FORCE_PASSWORD_CHANGE)', () => {
  const MY_ADDRESSES = `{ myAddresses { id } }`;

  async function flaggedUser() {
    const user = await createUser(forced);
    const earlier = await signInFrom(forced, user.email, { ip: '10.60.0.1', device: 'home' });
    const unusual = await signInFrom(forced, user.email, { ip: '10.61.0.1', device: 'elsewhere' });
    expect(unusual.user.passwordChangeRequired).toBe(true);
    return { user, earlier, unusual };
  }

  it('refuses every operation but changePassword, logout, refreshSession and me, on every session of the user', async () => {
    const { user, earlier, unusual } = await flaggedUser();
    expect(await eventsOf(user.id, 'NEW_DEVICE_REGION')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ passwordChangeRequired: true }) })]);
    for (const token of [unusual.accessToken, earlier.accessToken]) {
      const refused = await forced.gql(MY_ADDRESSES, {}, { token });
      expect(refused.status).toBe(403);
      expect(code(refused)).toBe('PASSWORD_CHANGE_REQUIRED');
      expect(refused.data).toBeUndefined();
    }
    // Mixed with `me`, hidden in a fragment or an inline fragment, or a mutation: refused all the same.
    for (const query of [
      `{ me { id } myAddresses { id } }`,
      `query { ...F } fragment F on Query { me { id } myAddresses { id } }`,
      `query { ... on Query { myOrders(first: 1) { totalCount } } }`,
      `mutation { markNotificationsRead(input: { ids: null }) { errors { code } } }`,
      // `me` opens only its own fields: its shops (and their orders' addresses) stay closed.
      `{ me { id memberships { role shop { id } } } }`,
      `{ me { ...M } } fragment M on User { id ... on User { memberships { role } } }`,
    ]) {
      expect(code(await forced.gql(query, {}, { token: unusual.accessToken }))).toBe('PASSWORD_CHANGE_REQUIRED');
    }
    const me = await forced.gql(`{ me { id passwordChangeRequired } alias: __typename }`, {}, { token: unusual.accessToken });
    expect(me.data).toEqual({ me: { id: idOf('User', user.id), passwordChangeRequired: true }, alias: 'Query' });

    // The CSV exports are refused the same way.
    const csv = await forced.app.http.inject({ method: 'GET', url: '/exports/metrics.csv?scope=platform&from=2031-06-01&to=2031-06-30', headers: { authorization: `Bearer ${unusual.accessToken}` } });
    expect(csv.statusCode).toBe(403);
    expect(csv.json()).toMatchObject({ code: 'PASSWORD_CHANGE_REQUIRED' });

    // refreshSession goes on; the new token is held to the same.
    const refreshed = await forced.gql(`mutation($input: RefreshSessionInput!) { refreshSession(input: $input) { accessToken errors { code } } }`, { input: { refreshToken: unusual.refreshToken } });
    expect(refreshed.data!.refreshSession.errors).toEqual([]);
    expect(code(await forced.gql(MY_ADDRESSES, {}, { token: refreshed.data!.refreshSession.accessToken }))).toBe('PASSWORD_CHANGE_REQUIRED');
    // logout too.
    expect((await forced.gql(`mutation { logout { ok } }`, {}, { token: earlier.accessToken })).data!.logout.ok).toBe(true);
  });

  it('refuses subscriptions too', async () => {
    const { unusual } = await flaggedUser();
    const client = createClient({ url: forcedWs, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: { authorization: `Bearer ${unusual.accessToken}` }, onNonLazyError: () => undefined });
    const ended = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: `subscription { notificationAdded { id } }` }, { next: () => undefined, error: resolve, complete: () => resolve('completed') });
    });
    expect((ended as { extensions?: { code?: string } }[])[0].extensions?.code).toBe('PASSWORD_CHANGE_REQUIRED');
    await client.dispose();
  });

  it('is cleared by changePassword, after which everything works again', async () => {
    const { user, unusual } = await flaggedUser();
    const changed = await forced.gql(
      `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { passwordChangeRequired } errors { code } } }`,
      { input: { currentPassword: PASSWORD, newPassword: 'a brand new password' } },
      { token: unusual.accessToken },
    );
    expect(okPayload(changed, 'changePassword', 'user')).toEqual({ passwordChangeRequired: false });
    const after = await forced.gql(MY_ADDRESSES, {}, { token: unusual.accessToken });
    expect(after.errors).toBeUndefined();
    expect(after.data).toEqual({ myAddresses: [] });
    expect((await forced.sql('select password_change_required from users where id = ?', [user.id]))[0].password_change_required).toBe(false);
  });

  it('is cleared by a password reset through the emailed link too', async () => {
    const { user } = await flaggedUser();
    await forced.gql(`mutation($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { ok } }`, { input: { email: user.email } });
    const [message] = await forced.sql("select body from outbound_message where recipient = ? and kind = 'RESET_PASSWORD' order by id desc limit 1", [user.email]);
    const token = /reset-password\?token=([A-Za-z0-9_-]{43})/.exec(message.body)![1];
    const reset = await forced.gql(`mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { ok errors { code } } }`, { input: { token, newPassword: 'another new password' } });
    expect(okPayload(reset, 'resetPassword')).toMatchObject({ ok: true });
    expect((await forced.sql('select password_change_required from users where id = ?', [user.id]))[0].password_change_required).toBe(false);
  });

  it('leaves users without the flag alone', async () => {
    const user = await createUser(forced);
    const signedIn = await signInFrom(forced, user.email, { ip: '10.70.0.1', device: 'only' });
    expect(signedIn.user.passwordChangeRequired).toBe(false);
    expect((await forced.gql(MY_ADDRESSES, {}, { token: signedIn.accessToken })).data).toEqual({ myAddresses: [] });
  });
});

describe('bursts of failed sign-ins', () => {
  const fail = (email: string) => signInFrom(t, email, { ip: '10.80.0.1', device: 'guesser' }, 'not the password!');

  it('make one LOGIN_FAILURE_BURST event when LOGIN_FAILURE_BURST failures fall in the window, not one per failure after', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 4; i++) expect((await fail(user.email)).errors[0].code).toBe('INVALID_CREDENTIALS');
    expect(await eventsOf(user.id, 'LOGIN_FAILURE_BURST')).toEqual([]);
    await fail(user.email);
    expect(await eventsOf(user.id, 'LOGIN_FAILURE_BURST')).toEqual([{ ip: '10.80.0.1', device_id: 'guesser', region: '10.80.0.0/16', detail: { failures: 5, windowMinutes: 15 } }]);
    for (let i = 0; i < 5; i++) await fail(user.email);
    expect(await eventsOf(user.id, 'LOGIN_FAILURE_BURST')).toHaveLength(1);

    // A new window counts from zero.
    clock.advance(15 * 60_000 + 1000);
    for (let i = 0; i < 4; i++) await fail(user.email);
    expect(await eventsOf(user.id, 'LOGIN_FAILURE_BURST')).toHaveLength(1);
    await fail(user.email);
    expect(await eventsOf(user.id, 'LOGIN_FAILURE_BURST')).toHaveLength(2);
  });

  it('make exactly one event when the failures arrive together', async () => {
    const user = await createUser(t);
    await Promise.all(Array.from({ length: 12 }, () => fail(user.email)));
    expect(await eventsOf(user.id, 'LOGIN_FAILURE_BURST')).toHaveLength(1);
    expect((await t.sql('select failures from login_failure_window where user_id = ?', [user.id]))[0].failures).toBe(12);
  });

  it('are not counted for an email no account has', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 6; i++) await fail(email);
    expect(await t.sql("select 1 from risk_event where kind = 'LOGIN_FAILURE_BURST' and user_id is null")).toHaveLength(0);
  });
});

describe('riskEvents', () => {
  it('lists events newest first for staff RISK, filtered by kind, user and time, page by page', async () => {
    const user = await createUser(t);
    const tag = hex();
    const first = await signInFrom(t, user.email, { ip: '10.90.0.1', device: `a-${tag}` });
    expect(first.errors).toEqual([]);
    clock.advance(1000);
    const since = clock.now();
    await signInFrom(t, user.email, { ip: '10.91.0.1', device: `b-${tag}` });
    clock.advance(1000);
    await signInFrom(t, user.email, { ip: '10.92.0.1', device: `c-${tag}` });
    const list = async (filter: Record<string, unknown>, first = 10, after?: string) => {
      const res = await t.gql(EVENTS, { filter, first, after }, { token: risk.token });
      expect(res.errors).toBeUndefined();
      return res.data!.riskEvents;
    };
    const userId = idOf('User', user.id);
    const all = await list({ userId, kind: 'NEW_DEVICE_REGION' });
    expect(all.nodes.map((n: { deviceId: string }) => n.deviceId)).toEqual([`c-${tag}`, `b-${tag}`]);
    expect(all.nodes[0]).toMatchObject({ kind: 'NEW_DEVICE_REGION', ip: '10.92.0.1', region: '10.92.0.0/16', user: { id: userId }, detail: { passwordChangeRequired: false } });
    expect((await list({ userId, kind: 'LOGIN_FAILURE_BURST' })).nodes).toEqual([]);
    expect((await list({ userId, since: new Date(since.getTime() + 500).toISOString() })).nodes.map((n: { deviceId: string }) => n.deviceId)).toEqual([`c-${tag}`]);
    const page1 = await list({ userId }, 1);
    expect(page1.totalCount).toBe(2);
    const page2 = await list({ userId }, 1, page1.pageInfo.endCursor);
    expect([...page1.nodes, ...page2.nodes].map((n: { deviceId: string }) => n.deviceId)).toEqual([`c-${tag}`, `b-${tag}`]);
    expect(page2.pageInfo.hasNextPage).toBe(false);
  });

  it.each([
    ['a shopper', [] as StaffRole[]],
    ['staff OPERATIONS', [StaffRole.OPERATIONS]],
    ['staff ANALYST', [StaffRole.ANALYST]],
  ])('refuses %s with FORBIDDEN', async (_who, roles) => {
    const caller = await userWithToken(t, { roles });
    expect(code(await t.gql(EVENTS, {}, { token: caller.token }))).toBe('FORBIDDEN');
  });

  it('refuses anyone signed out with UNAUTHENTICATED', async () => {
    expect(code(await t.gql(EVENTS, {}))).toBe('UNAUTHENTICATED');
  });
});
