import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../helpers/app';
import { PASSWORD, createUser, signIn, uniqueEmail } from '../helpers/factories';

const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken user { id email displayName staffRoles } errors { code field message } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken user { email } errors { code field message } } }`;
const REFRESH = `mutation($input: RefreshSessionInput!) { refreshSession(input: $input) { accessToken refreshToken errors { code field } } }`;
const ME = `{ me { id email displayName staffRoles memberships { id } createdAt } }`;
const LOGOUT = `mutation { logout { ok errors { code } } }`;
const CHANGE_PASSWORD = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { email } errors { code field } } }`;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('register', () => {
  it('creates the user, normalises the email and signs them in', async () => {
    const email = uniqueEmail('Mixed');
    const res = await t.gql(REGISTER, { input: { email: `  ${email.toUpperCase()} `, password: 'a long enough password', displayName: ' Ada ' } });
    const payload = res.data!.register;
    expect(payload.errors).toEqual([]);
    expect(payload.user.email).toBe(email.toLowerCase());
    expect(payload.user.displayName).toBe('Ada');
    expect(payload.user.staffRoles).toEqual([]);
    const me = await t.gql(ME, {}, { token: payload.accessToken });
    expect(me.data!.me.email).toBe(email.toLowerCase());
    expect(me.data!.me.id).toBe(payload.user.id);
  });

  it('stores the password as an argon2id hash', async () => {
    const email = uniqueEmail();
    await t.gql(REGISTER, { input: { email, password: 'a long enough password', displayName: 'Hash' } });
    const [row] = await t.orm.em.fork().getConnection().execute('select password_hash from users where email = ?', [email]);
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain('a long enough password');
  });

  it('refuses a taken email, case-insensitively, with EMAIL_TAKEN', async () => {
    const email = uniqueEmail();
    await t.gql(REGISTER, { input: { email, password: 'a long enough password', displayName: 'First' } });
    const res = await t.gql(REGISTER, { input: { email: email.toUpperCase(), password: 'a long enough password', displayName: 'Second' } });
    expect(res.data!.register.errors).toEqual([{ code: 'EMAIL_TAKEN', field: ['input', 'email'], message: expect.any(String) }]);
    expect(res.data!.register.accessToken).toBeNull();
  });

  it('lets exactly one of two simultaneous registrations of one email succeed', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      [1, 2, 3].map((i) => t.gql(REGISTER, { input: { email, password: 'a long enough password', displayName: `Racer ${i}` } })),
    );
    const codes = results.map((r) => r.data!.register.errors[0]?.code ?? 'OK').sort();
    expect(codes).toEqual(['EMAIL_TAKEN', 'EMAIL_TAKEN', 'OK']);
  });

  it.each([
    ['short', 'WEAK_PASSWORD', 'password'],
    ['EMAIL', 'WEAK_PASSWORD', 'password'],
  ])('refuses password %s with %s', async (kind, code, field) => {
    const email = uniqueEmail();
    const password = kind === 'short' ? 'short1' : email;
    const res = await t.gql(REGISTER, { input: { email, password, displayName: 'X' } });
    expect(res.data!.register.errors).toEqual([expect.objectContaining({ code, field: ['input', field] })]);
    expect(await t.orm.em.fork().getConnection().execute('select 1 from users where email = ?', [email])).toHaveLength(0);
  });

  it('refuses a malformed email and an empty display name with field errors', async () => {
    const res = await t.gql(REGISTER, { input: { email: 'not-an-email', password: 'a long enough password', displayName: '  ' } });
    expect(res.data!.register.errors.map((e: { field: string[] }) => e.field[1]).sort()).toEqual(['displayName', 'email']);
    expect(res.data!.register.errors.every((e: { code: string }) => e.code === 'INVALID_INPUT')).toBe(true);
  });
});

describe('login', () => {
  it('gives the same INVALID_CREDENTIALS for a wrong password and an unknown email', async () => {
    const user = await createUser(t);
    const wrongPassword = await t.gql(LOGIN, { input: { email: user.email, password: 'wrong password!!' } });
    const unknownEmail = await t.gql(LOGIN, { input: { email: uniqueEmail('nobody'), password: 'wrong password!!' } });
    expect(wrongPassword.data!.login).toEqual(unknownEmail.data!.login);
    expect(wrongPassword.data!.login.errors).toEqual([{ code: 'INVALID_CREDENTIALS', field: null, message: 'Wrong email or password' }]);
  });

  it('accepts the email in any case and with surrounding spaces', async () => {
    const user = await createUser(t);
    const res = await t.gql(LOGIN, { input: { email: ` ${user.email.toUpperCase()} `, password: PASSWORD } });
    expect(res.data!.login.errors).toEqual([]);
    expect(res.data!.login.user.email).toBe(user.email);
  });
});

describe('sessions', () => {
  it('round-trips register, login, refresh and logout', async () => {
    const user = await createUser(t);
    const first = await signIn(t, user.email);
    const refreshed = await t.gql(REFRESH, { input: { refreshToken: first.refreshToken } });
    const { accessToken, refreshToken } = refreshed.data!.refreshSession;
    expect(refreshed.data!.refreshSession.errors).toEqual([]);
    expect(refreshToken).not.toBe(first.refreshToken);
    expect((await t.gql(ME, {}, { token: accessToken })).data!.me.email).toBe(user.email);

    const logout = await t.gql(LOGOUT, {}, { token: accessToken });
    expect(logout.data!.logout).toEqual({ ok: true, errors: [] });
    const after = await t.gql(ME, {}, { token: accessToken });
    expect(after.status).toBe(401);
    expect(after.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    const refreshAfterLogout = await t.gql(REFRESH, { input: { refreshToken } });
    expect(refreshAfterLogout.data!.refreshSession.errors[0].code).toBe('INVALID_REFRESH_TOKEN');
  });

  it('refuses an access token whose session has expired, though the token itself has not', async () => {
    const user = await createUser(t);
    const session = await signIn(t, user.email);
    expect((await t.gql(ME, {}, { token: session.accessToken })).data!.me.email).toBe(user.email);
    await t.sql("update auth_session set expires_at = now() - interval '1 second' where user_id = ?", [user.id]);
    const after = await t.gql(ME, {}, { token: session.accessToken });
    expect(after.status).toBe(401);
    expect(after.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('revokes the whole family when a rotated refresh token is presented again', async () => {
    const user = await createUser(t);
    const first = await signIn(t, user.email);
    const second = (await t.gql(REFRESH, { input: { refreshToken: first.refreshToken } })).data!.refreshSession;

    const replay = await t.gql(REFRESH, { input: { refreshToken: first.refreshToken } });
    expect(replay.data!.refreshSession).toMatchObject({ accessToken: null, errors: [{ code: 'REFRESH_TOKEN_REUSED' }] });

    // Both the newest refresh token and the newest access token of the family are dead now.
    expect((await t.gql(REFRESH, { input: { refreshToken: second.refreshToken } })).data!.refreshSession.errors[0].code).toBe('INVALID_REFRESH_TOKEN');
    expect((await t.gql(ME, {}, { token: second.accessToken })).status).toBe(401);
  });

  it('rotates a token once when two refreshes race, and revokes the family', async () => {
    const user = await createUser(t);
    const first = await signIn(t, user.email);
    const results = await Promise.all([1, 2].map(() => t.gql(REFRESH, { input: { refreshToken: first.refreshToken } })));
    const winners = results.filter((r) => r.data!.refreshSession.errors.length === 0);
    expect(winners).toHaveLength(1);
    expect(results.find((r) => r.data!.refreshSession.errors.length > 0)!.data!.refreshSession.errors[0].code).toBe('REFRESH_TOKEN_REUSED');
    expect((await t.gql(ME, {}, { token: winners[0].data!.refreshSession.accessToken })).status).toBe(401);
  });

  it('keeps only hashes of refresh tokens', async () => {
    const user = await createUser(t);
    const { refreshToken } = await signIn(t, user.email);
    const rows = await t.orm.em.fork().getConnection().execute<{ token_hash: string }[]>('select token_hash from refresh_token');
    expect(rows.some((r: { token_hash: string }) => r.token_hash === refreshToken)).toBe(false);
    expect(refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a malformed or unknown refresh token', async () => {
    for (const refreshToken of ['nope', 'A'.repeat(43)]) {
      const res = await t.gql(REFRESH, { input: { refreshToken } });
      expect(res.data!.refreshSession.errors[0]).toEqual({ code: 'INVALID_REFRESH_TOKEN', field: ['input', 'refreshToken'] });
    }
  });

  it('changePassword ends every other session, keeps this one, and the new password works', async () => {
    const user = await createUser(t);
    const mine = await signIn(t, user.email);
    const other = await signIn(t, user.email);
    const res = await t.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: 'a brand new password' } }, { token: mine.accessToken });
    expect(res.data!.changePassword).toEqual({ user: { email: user.email }, errors: [] });
    expect((await t.gql(ME, {}, { token: mine.accessToken })).data!.me.email).toBe(user.email);
    expect((await t.gql(ME, {}, { token: other.accessToken })).status).toBe(401);
    expect((await t.gql(LOGIN, { input: { email: user.email, password: PASSWORD } })).data!.login.errors[0].code).toBe('INVALID_CREDENTIALS');
    expect((await t.gql(LOGIN, { input: { email: user.email, password: 'a brand new password' } })).data!.login.errors).toEqual([]);
  });

  it('changePassword refuses a wrong current password and a weak new one, changing nothing', async () => {
    const user = await createUser(t);
    const { accessToken } = await signIn(t, user.email);
    const wrong = await t.gql(CHANGE_PASSWORD, { input: { currentPassword: 'not my password', newPassword: 'a brand new password' } }, { token: accessToken });
    expect(wrong.data!.changePassword.errors).toEqual([{ code: 'INVALID_CREDENTIALS', field: ['input', 'currentPassword'] }]);
    const weak = await t.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: 'short' } }, { token: accessToken });
    expect(weak.data!.changePassword.errors).toEqual([{ code: 'WEAK_PASSWORD', field: ['input', 'newPassword'] }]);
    const same = await t.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: PASSWORD } }, { token: accessToken });
    expect(same.data!.changePassword.errors[0].code).toBe('WEAK_PASSWORD');
    expect((await t.gql(LOGIN, { input: { email: user.email, password: PASSWORD } })).data!.login.errors).toEqual([]);
  });

  it('refuses logout and changePassword to anonymous callers with UNAUTHENTICATED', async () => {
    for (const op of [LOGOUT, `mutation { changePassword(input: {currentPassword: "x", newPassword: "yyyyyyyyyyyy"}) { errors { code } } }`]) {
      const res = await t.gql(op);
      expect(res.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    }
  });

  it('answers me with null for anonymous callers', async () => {
    const res = await t.gql(ME);
    expect(res.status).toBe(200);
    expect(res.data!.me).toBeNull();
  });
});
