import { hash, verify } from '@node-rs/argon2';
import { Problems, UserErrorCode } from '../../errors';

// argon2id (the library default algorithm) with OWASP's second recommended profile: 19 MiB, 2 passes.
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real verification, for an unknown email, so that wrong email and
 * wrong password cannot be told apart by timing.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('dummy-password-for-timing-equalisation');
  await verify(await dummyHash, password);
  return false;
}

/** Password rules: at least 10 characters (code points), at most 256, and not the email. */
export function checkPasswordRules(problems: Problems, password: string, email: string, field: string[]): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    problems.add(UserErrorCode.WEAK_PASSWORD, `Password must be at least ${MIN_PASSWORD_LENGTH} characters`, field);
  } else if (length > MAX_PASSWORD_LENGTH) {
    problems.add(UserErrorCode.WEAK_PASSWORD, `Password must be at most ${MAX_PASSWORD_LENGTH} characters`, field);
  } else if (password.trim().toLowerCase() === email.trim().toLowerCase() || password.toLowerCase() === email.split('@')[0]?.toLowerCase()) {
    problems.add(UserErrorCode.WEAK_PASSWORD, 'Password must not be your email', field);
  }
}
