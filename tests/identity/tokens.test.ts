import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../helpers/app';
import { createUser, signIn } from '../helpers/factories';

const ME = `{ me { email } }`;

let t: TestApp;
let sessionToken: string;
let claims: { sub: string; sid: string };
beforeAll(async () => {
  t = await createTestApp();
  const user = await createUser(t);
  sessionToken = (await signIn(t, user.email)).accessToken;
  const decoded = jwt.decode(sessionToken) as { sub: string; sid: string };
  claims = { sub: decoded.sub, sid: decoded.sid };
});
afterAll(() => t.close());

function sign(payload: object, secret: string, options: jwt.SignOptions) {
  return jwt.sign(payload, secret, options);
}

async function expectUnauthenticated(authorization: string) {
  const res = await t.gql(ME, {}, { headers: { authorization } });
  expect(res.status).toBe(401);
  expect(res.data ?? null).toBeNull();
  expect(res.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
}

describe('access tokens', () => {
  it('accepts a valid HS256 token bound to a live session', async () => {
    const res = await t.gql(ME, {}, { token: sessionToken });
    expect(res.status).toBe(200);
    expect(res.data!.me.email).toMatch(/@example\.com$/);
  });

  it('carries the session id and expires after 15 minutes', () => {
    const decoded = jwt.decode(sessionToken, { complete: true })!;
    const payload = decoded.payload as jwt.JwtPayload;
    expect(decoded.header.alg).toBe('HS256');
    expect(payload.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(payload.iss).toBe('marketplace');
    expect(payload.aud).toBe('marketplace-api');
  });

  it('refuses an expired token', async () => {
    const expired = sign({ sid: claims.sid }, t.config.jwt.secret, {
      algorithm: 'HS256', subject: claims.sub, issuer: 'marketplace', audience: 'marketplace-api', expiresIn: -10,
    });
    await expectUnauthenticated(`Bearer ${expired}`);
  });

  it('refuses a tampered token', async () => {
    const [header, payload, signature] = sessionToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...(jwt.decode(sessionToken) as object), sub: '999999' })).toString('base64url');
    await expectUnauthenticated(`Bearer ${header}.${forged}.${signature}`);
    await expectUnauthenticated(`Bearer ${header}.${payload}.${signature.slice(0, -2)}xx`);
  });

  it("refuses an unsigned alg 'none' token", async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: claims.sub, sid: claims.sid, iss: 'marketplace', aud: 'marketplace-api', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    await expectUnauthenticated(`Bearer ${header}.${payload}.`);
  });

  it('refuses a token signed with another algorithm, even with the same secret', async () => {
    const hs512 = sign({ sid: claims.sid }, t.config.jwt.secret, {
      algorithm: 'HS512', subject: claims.sub, issuer: 'marketplace', audience: 'marketplace-api', expiresIn: 600,
    });
    await expectUnauthenticated(`Bearer ${hs512}`);
  });

  it('refuses a token with the wrong secret, issuer or audience', async () => {
    const base = { algorithm: 'HS256' as const, subject: claims.sub, expiresIn: 600 };
    await expectUnauthenticated(`Bearer ${sign({ sid: claims.sid }, 'another-secret-that-is-at-least-32-bytes', { ...base, issuer: 'marketplace', audience: 'marketplace-api' })}`);
    await expectUnauthenticated(`Bearer ${sign({ sid: claims.sid }, t.config.jwt.secret, { ...base, issuer: 'someone-else', audience: 'marketplace-api' })}`);
    await expectUnauthenticated(`Bearer ${sign({ sid: claims.sid }, t.config.jwt.secret, { ...base, issuer: 'marketplace', audience: 'another-api' })}`);
  });

  it('refuses a validly signed token whose session does not exist', async () => {
    const orphan = sign({ sid: '00000000-0000-4000-8000-000000000000' }, t.config.jwt.secret, {
      algorithm: 'HS256', subject: claims.sub, issuer: 'marketplace', audience: 'marketplace-api', expiresIn: 600,
    });
    await expectUnauthenticated(`Bearer ${orphan}`);
  });

  it('refuses garbage and non-Bearer Authorization headers instead of treating them as anonymous', async () => {
    await expectUnauthenticated('Bearer not-a-jwt');
    await expectUnauthenticated(`Basic ${Buffer.from('a:b').toString('base64')}`);
    await expectUnauthenticated('Bearer');
  });

  it('stops a logged-out access token at once, before it expires', async () => {
    const user = await createUser(t);
    const { accessToken } = await signIn(t, user.email);
    await t.gql(`mutation { logout { ok } }`, {}, { token: accessToken });
    await expectUnauthenticated(`Bearer ${accessToken}`);
  });
});
