import { createHash, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config } from '../../config';

export interface AccessClaims {
  /** User id (database key). */
  sub: string;
  /** Session id: checked live on every request. */
  sid: string;
}

const keys = new Map<string, KeyObject>();

/**
 * The signing secret as a KeyObject, made once. Given a string, jsonwebtoken first tries (and
 * fails) to parse it as a PEM public key on every verification, which cost 6% of the server's
 * CPU on signed-in requests.
 */
function secretKey(config: Config): KeyObject {
  let key = keys.get(config.jwt.secret);
  if (!key) {
    key = createSecretKey(Buffer.from(config.jwt.secret, 'utf8'));
    keys.set(config.jwt.secret, key);
  }
  return key;
}

/** Short-lived HS256 access token carrying the user and session ids. */
export function signAccessToken(config: Config, claims: AccessClaims): string {
  return jwt.sign({ sid: claims.sid }, secretKey(config), {
    algorithm: 'HS256',
    subject: claims.sub,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    expiresIn: config.jwt.accessTokenTtlSeconds,
  });
}

/**
 * Verifies signature (HS256 only: `none` and every other algorithm are refused), expiry, issuer
 * and audience. Returns null for any invalid token.
 */
export function verifyAccessToken(config: Config, token: string): AccessClaims | null {
  try {
    const payload = jwt.verify(token, secretKey(config), {
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
    });
    if (typeof payload !== 'object' || typeof payload.sub !== 'string' || typeof payload.sid !== 'string') return null;
    return { sub: payload.sub, sid: payload.sid };
  } catch {
    return null;
  }
}

/** A 256-bit random refresh token and the SHA-256 hash that is all the database keeps. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
