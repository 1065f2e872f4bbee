import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { sendPendingMessages } from '../../src/services/notifications/messages';
import { ManualClock } from '../../src/services/shared';
import { type TestApp, createTestApp } from '../helpers/app';
import { PASSWORD, createShop, createUser, signIn, uniqueEmail, userWithToken } from '../helpers/factories';
import { code, idOf, okPayload } from '../helpers/kit';

const REQUEST_RESET = `mutation($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { ok errors { code field message } } }`;
const RESET = `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { ok errors { code field } } }`;
const REQUEST_VERIFICATION = `mutation { requestEmailVerification { ok errors { code field } } }`;
const VERIFY = `mutation($input: VerifyEmailInput!) { verifyEmail(input: $input) { ok errors { code field } } }`;
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id emailVerified } errors { code } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { accessToken errors { code } } }`;
const REFRESH = `mutation($input: RefreshSessionInput!) { refreshSession(input: $input) { accessToken errors { code } } }`;
const ME = `{ me { id emailVerified } }`;
const CHANGE_PASSWORD = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { email } errors { code field } } }`;

const clock = new ManualClock(new Date('2031-06-01T08:00:00Z'));
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({}, { clock });
});
afterAll(() => t.close());

/** The token of the newest emailed link of `kind` to `email`, read from the queued message. */
async function emailedToken(email: string, kind: 'RESET_PASSWORD' | 'VERIFY_EMAIL'): Promise<string> {
  const [message] = await t.sql('select body from outbound_message where recipient = ? and kind = ? order by id desc limit 1', [email, kind]);
  const page = kind === 'RESET_PASSWORD' ? 'reset-password' : 'verify-email';
  const match = new RegExp(`${t.config.publicUrl}/${page}\\?token=([A-Za-z0-9_-]{43})\\n`).exec(message?.body ?? '');
  if (!match) throw new Error(`no ${kind} link emailed to ${email}`);
  return match[1];
}

async function messagesTo(email: string): Promise<{ kind: string; transactional: boolean; status: string }[]> {
  return t.sql('select kind, transactional, status from outbound_message where recipient = ? order by id', [email]);
}

const requestReset = (email: string, ip?: string) => t.gql(REQUEST_RESET, { input: { email } }, { ip });
const reset = (token: string, newPassword: string) => t.gql(RESET, { input: { token, newPassword } });

describe('password reset', () => {
  it('resets the password with the emailed link: the old password stops working, the new one works, and every old session ends', async () => {
    const user = await createUser(t);
    const session = await signIn(t, user.email);
    const other = await signIn(t, user.email);

    expect(okPayload(await requestReset(user.email.toUpperCase()), 'requestPasswordReset')).toEqual({ ok: true, errors: [] });
    expect(await messagesTo(user.email)).toEqual([{ kind: 'RESET_PASSWORD', transactional: true, status: 'PENDING' }]);
    const token = await emailedToken(user.email, 'RESET_PASSWORD');
    // Only the token's hash is kept.
    const [stored] = await t.sql('select token_hash, expires_at from user_token where user_id = ? and purpose = ?', [user.id, 'RESET_PASSWORD']);
    expect(stored.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(new Date(stored.expires_at).toISOString()).toBe(new Date(clock.now().getTime() + 60 * 60_000).toISOString());

    expect(okPayload(await reset(token, 'a brand new password'), 'resetPassword')).toEqual({ ok: true, errors: [] });

    for (const old of [session, other]) {
      const me = await t.gql(ME, {}, { token: old.accessToken });
      expect(me.status).toBe(401);
      expect(code(me)).toBe('UNAUTHENTICATED');
      expect((await t.gql(REFRESH, { input: { refreshToken: old.refreshToken } })).data!.refreshSession.errors[0].code).toBe('INVALID_REFRESH_TOKEN');
    }
    expect((await t.gql(LOGIN, { input: { email: user.email, password: PASSWORD } })).data!.login.errors[0].code).toBe('INVALID_CREDENTIALS');
    const fresh = okPayload(await t.gql(LOGIN, { input: { email: user.email, password: 'a brand new password' } }), 'login');
    // The link reached the address: it counts as verified.
    expect((await t.gql(ME, {}, { token: fresh.accessToken })).data!.me.emailVerified).toBe(true);
  });

  it('sends the reset email with the link and the token readable in the .eml file', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'marketplace-reset-'));
    try {
      const user = await createUser(t);
      okPayload(await requestReset(user.email), 'requestPasswordReset');
      const token = await emailedToken(user.email, 'RESET_PASSWORD');
      const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: process.env.TEST_DB_URL!, DATA_DIR: dataDir });
      expect((await sendPendingMessages({ config, clock }, t.orm.em.fork())).sent).toBeGreaterThanOrEqual(1);
      expect(await messagesTo(user.email)).toEqual([{ kind: 'RESET_PASSWORD', transactional: true, status: 'SENT' }]);

      const files = await readdir(path.join(dataDir, 'mail'));
      const emls = await Promise.all(files.map((f) => readFile(path.join(dataDir, 'mail', f), 'utf8')));
      const eml = emls.find((e) => e.includes(`To: ${user.email}\n`))!;
      expect(eml).toMatch(/^Subject: Reset your password$/m);
      expect(eml).toMatch(new RegExp(`^${token}$`, 'm'));
      expect(eml.replace(/=\n/g, '').replace(/=3D/g, '=')).toContain(`${t.config.publicUrl}/reset-password?token=${token}`);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('accepts a reset token once', async () => {
    const user = await createUser(t);
    okPayload(await requestReset(user.email), 'requestPasswordReset');
    const token = await emailedToken(user.email, 'RESET_PASSWORD');
    okPayload(await reset(token, 'first new password'), 'resetPassword');
    expect((await reset(token, 'second new password')).data!.resetPassword).toEqual({ ok: null, errors: [{ code: 'INVALID_TOKEN', field: ['input', 'token'] }] });
    okPayload(await t.gql(LOGIN, { input: { email: user.email, password: 'first new password' } }), 'login');
  });

  it('voids the other open reset links of the user when one is used', async () => {
    const user = await createUser(t);
    okPayload(await requestReset(user.email), 'requestPasswordReset');
    const first = await emailedToken(user.email, 'RESET_PASSWORD');
    okPayload(await requestReset(user.email), 'requestPasswordReset');
    const second = await emailedToken(user.email, 'RESET_PASSWORD');
    expect(second).not.toBe(first);
    okPayload(await reset(second, 'the newest password'), 'resetPassword');
    expect((await reset(first, 'an older link password')).data!.resetPassword.errors).toEqual([{ code: 'INVALID_TOKEN', field: ['input', 'token'] }]);
  });

  it('refuses a link past PASSWORD_RESET_TTL_MINUTES with TOKEN_EXPIRED and leaves the password as it was', async () => {
    const user = await createUser(t);
    okPayload(await requestReset(user.email), 'requestPasswordReset');
    const token = await emailedToken(user.email, 'RESET_PASSWORD');
    clock.advance(60 * 60_000);
    expect((await reset(token, 'too late a password')).data!.resetPassword.errors).toEqual([{ code: 'TOKEN_EXPIRED', field: ['input', 'token'] }]);
    okPayload(await t.gql(LOGIN, { input: { email: user.email, password: PASSWORD } }), 'login');
  });

  it('refuses a weak new password with WEAK_PASSWORD on newPassword and keeps the link usable', async () => {
    const user = await createUser(t);
    okPayload(await requestReset(user.email), 'requestPasswordReset');
    const token = await emailedToken(user.email, 'RESET_PASSWORD');
    expect((await reset(token, 'short')).data!.resetPassword.errors).toEqual([{ code: 'WEAK_PASSWORD', field: ['input', 'newPassword'] }]);
    expect((await reset(token, user.email)).data!.resetPassword.errors).toEqual([{ code: 'WEAK_PASSWORD', field: ['input', 'newPassword'] }]);
    okPayload(await reset(token, 'a proper long password'), 'resetPassword');
  });

  it('refuses a made-up or malformed token with INVALID_TOKEN', async () => {
    for (const token of ['A'.repeat(43), 'not a token', '']) {
      expect((await reset(token, 'a proper long password')).data!.resetPassword.errors).toEqual([{ code: 'INVALID_TOKEN', field: ['input', 'token'] }]);
    }
  });

  it('answers an unknown email exactly as a known one, and emails nobody', async () => {
    const known = await createUser(t);
    const unknown = uniqueEmail('nobody');
    const tokensBefore = (await t.sql('select count(*)::int as n from user_token'))[0].n;
    const forKnown = await requestReset(known.email);
    const forUnknown = await requestReset(unknown);
    expect(forUnknown.status).toBe(forKnown.status);
    expect(forUnknown.data).toEqual(forKnown.data);
    expect(await messagesTo(unknown)).toEqual([]);
    expect((await t.sql('select count(*)::int as n from user_token'))[0].n).toBe(tokensBefore + 1);
  });

  it('refuses a malformed email with INVALID_INPUT', async () => {
    expect((await requestReset('not-an-email')).data!.requestPasswordReset).toEqual({ ok: null, errors: [{ code: 'INVALID_INPUT', field: ['input', 'email'], message: expect.any(String) }] });
  });

  it('limits reset requests per email address (PASSWORD_RESET_PER_HOUR, 5), known or not, without spending sign-in attempts', async () => {
    const known = await createUser(t);
    for (const email of [known.email, uniqueEmail('ghost')]) {
      const outcomes: string[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await requestReset(email, `203.0.113.${i + 1}`);
        outcomes.push(code(res) ?? (res.data!.requestPasswordReset.ok ? 'OK' : 'ERROR'));
      }
      expect(outcomes).toEqual([...Array(5).fill('OK'), 'RATE_LIMITED']);
    }
    // Counted apart from failed sign-ins: the account still signs in.
    okPayload(await t.gql(LOGIN, { input: { email: known.email, password: PASSWORD } }), 'login');
  });

  it('follows PASSWORD_RESET_PER_HOUR', async () => {
    const limited = await createTestApp({ PASSWORD_RESET_PER_HOUR: '2' }, { clock });
    try {
      const email = uniqueEmail('two');
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i++) outcomes.push(code(await limited.gql(REQUEST_RESET, { input: { email } })) ?? 'OK');
      expect(outcomes).toEqual(['OK', 'OK', 'RATE_LIMITED']);
      // Another address has its own count.
      expect(code(await limited.gql(REQUEST_RESET, { input: { email: uniqueEmail('other') } }))).toBeUndefined();
    } finally {
      await limited.close();
    }
  });

  it('lets a user locked out by failed sign-ins ask for a link, and the new password signs in at once', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 10; i++) {
      const res = await t.gql(LOGIN, { input: { email: user.email, password: 'a wrong guess' } }, { ip: `192.0.2.${i + 1}` });
      expect(res.data!.login.errors[0].code).toBe('INVALID_CREDENTIALS');
    }
    expect(code(await t.gql(LOGIN, { input: { email: user.email, password: PASSWORD } }))).toBe('RATE_LIMITED');

    expect(okPayload(await requestReset(user.email), 'requestPasswordReset')).toEqual({ ok: true, errors: [] });
    okPayload(await reset(await emailedToken(user.email, 'RESET_PASSWORD'), 'my recovered password'), 'resetPassword');
    okPayload(await t.gql(LOGIN, { input: { email: user.email, password: 'my recovered password' } }), 'login');
  });

  it('voids the open reset links when the password is changed while signed in', async () => {
    const user = await createUser(t);
    okPayload(await requestReset(user.email), 'requestPasswordReset');
    const before = await emailedToken(user.email, 'RESET_PASSWORD');
    const session = await signIn(t, user.email);
    const changed = await t.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: 'changed while signed in' } }, { token: session.accessToken });
    expect(changed.data!.changePassword).toEqual({ user: { email: user.email }, errors: [] });
    const [stored] = await t.sql('select used_at from user_token where user_id = ? and purpose = ?', [user.id, 'RESET_PASSWORD']);
    expect(new Date(stored.used_at).toISOString()).toBe(clock.now().toISOString());

    expect((await reset(before, 'an attacker password')).data!.resetPassword.errors).toEqual([{ code: 'INVALID_TOKEN', field: ['input', 'token'] }]);
    okPayload(await t.gql(LOGIN, { input: { email: user.email, password: 'changed while signed in' } }), 'login');
    // A link asked for afterwards works.
    okPayload(await requestReset(user.email), 'requestPasswordReset');
    okPayload(await reset(await emailedToken(user.email, 'RESET_PASSWORD'), 'reset after the change'), 'resetPassword');
  });

  it('limits reset requests per IP (RATE_LIMIT_AUTH_PER_MINUTE)', async () => {
    const limited = await createTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '3' }, { clock });
    try {
      const ip = '198.51.100.77';
      const outcomes: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await limited.gql(REQUEST_RESET, { input: { email: uniqueEmail('ip') } }, { ip });
        outcomes.push(code(res) ?? 'OK');
      }
      expect(outcomes).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED']);
    } finally {
      await limited.close();
    }
  });
});

describe('email verification', () => {
  it('emails a verification link at registration; the link marks the address verified', async () => {
    const email = uniqueEmail('new');
    const registered = okPayload(await t.gql(REGISTER, { input: { email, password: PASSWORD, displayName: 'New' } }), 'register');
    expect(registered.user.emailVerified).toBe(false);
    expect(await messagesTo(email)).toEqual([{ kind: 'VERIFY_EMAIL', transactional: true, status: 'PENDING' }]);

    const token = await emailedToken(email, 'VERIFY_EMAIL');
    // No sign-in needed: the link may be opened on another device.
    expect(okPayload(await t.gql(VERIFY, { input: { token } }), 'verifyEmail')).toEqual({ ok: true, errors: [] });
    expect((await t.gql(ME, {}, { token: registered.accessToken })).data!.me.emailVerified).toBe(true);
    const [row] = await t.sql('select email_verified_at from users where email = ?', [email]);
    expect(new Date(row.email_verified_at).toISOString()).toBe(clock.now().toISOString());
  });

  it('answers ALREADY_VERIFIED to a verified user asking again, and to a second link', async () => {
    const email = uniqueEmail('twice');
    const registered = okPayload(await t.gql(REGISTER, { input: { email, password: PASSWORD, displayName: 'Twice' } }), 'register');
    const first = await emailedToken(email, 'VERIFY_EMAIL');
    okPayload(await t.gql(REQUEST_VERIFICATION, {}, { token: registered.accessToken }), 'requestEmailVerification');
    const second = await emailedToken(email, 'VERIFY_EMAIL');
    okPayload(await t.gql(VERIFY, { input: { token: second } }), 'verifyEmail');

    expect((await t.gql(REQUEST_VERIFICATION, {}, { token: registered.accessToken })).data!.requestEmailVerification).toEqual({ ok: null, errors: [{ code: 'ALREADY_VERIFIED', field: null }] });
    expect((await t.gql(VERIFY, { input: { token: first } })).data!.verifyEmail.errors).toEqual([{ code: 'ALREADY_VERIFIED', field: null }]);
    expect((await messagesTo(email)).map((m) => m.kind)).toEqual(['VERIFY_EMAIL', 'VERIFY_EMAIL']);
  });

  it('refuses a verification link past EMAIL_VERIFICATION_TTL_HOURS with TOKEN_EXPIRED, and a new one works', async () => {
    const email = uniqueEmail('late');
    const registered = okPayload(await t.gql(REGISTER, { input: { email, password: PASSWORD, displayName: 'Late' } }), 'register');
    const stale = await emailedToken(email, 'VERIFY_EMAIL');
    clock.advance(48 * 3_600_000);
    expect((await t.gql(VERIFY, { input: { token: stale } })).data!.verifyEmail.errors).toEqual([{ code: 'TOKEN_EXPIRED', field: ['input', 'token'] }]);

    const session = await signIn(t, email);
    okPayload(await t.gql(REQUEST_VERIFICATION, {}, { token: session.accessToken }), 'requestEmailVerification');
    okPayload(await t.gql(VERIFY, { input: { token: await emailedToken(email, 'VERIFY_EMAIL') } }), 'verifyEmail');
    expect((await t.gql(ME, {}, { token: registered.accessToken })).data!.me.emailVerified).toBe(true);
  });

  it('refuses an unknown verification token with INVALID_TOKEN', async () => {
    expect((await t.gql(VERIFY, { input: { token: 'B'.repeat(43) } })).data!.verifyEmail.errors).toEqual([{ code: 'INVALID_TOKEN', field: ['input', 'token'] }]);
  });

  it('asks for sign-in to request a verification email', async () => {
    expect(code(await t.gql(REQUEST_VERIFICATION))).toBe('UNAUTHENTICATED');
  });

  it('shows emailVerified to the user and staff only', async () => {
    const owner = await userWithToken(t);
    const operator = await userWithToken(t);
    await createShop(t, [{ user: owner.user, role: ShopMemberRole.OWNER }, { user: operator.user, role: ShopMemberRole.OPERATOR }]);
    const asCoMember = await t.gql(`{ me { memberships { shop { members { user { id emailVerified } } } } } }`, {}, { token: operator.token });
    expect(new Set(asCoMember.errors!.map((e) => e.extensions!.code))).toEqual(new Set(['FORBIDDEN']));

    const staff = await userWithToken(t, { roles: [StaffRole.ANALYST] });
    const asStaff = await t.gql(`query($id: ID!) { node(id: $id) { ... on User { emailVerified } } }`, { id: idOf('User', owner.user.id) }, { token: staff.token });
    expect(asStaff.data!.node).toEqual({ emailVerified: false });
  });
});
