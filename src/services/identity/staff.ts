import type { EntityManager } from '@mikro-orm/postgresql';
import { type StaffRole, User } from '../../entities';
import { Problems, UserErrorCode } from '../../errors';
import { checkText, isValidEmail } from '../shared';
import { normaliseEmail } from './identity';
import { checkPasswordRules, hashPassword } from './passwords';

/**
 * Creates a user with staff roles, or updates an existing one's password and roles. For the
 * `staff:create` bootstrap and the demo seed, which run outside any request.
 */
export async function upsertStaffUser(
  em: EntityManager,
  input: { email: string; password: string; roles: StaffRole[]; displayName?: string },
): Promise<{ user: User; created: boolean }> {
  const email = normaliseEmail(input.email);
  const problems = new Problems();
  if (!isValidEmail(email)) problems.add(UserErrorCode.INVALID_INPUT, 'Enter a valid email address of at most 254 characters', ['email']);
  checkPasswordRules(problems, input.password, email, ['password']);
  const displayName = input.displayName ? checkText(problems, input.displayName, ['displayName'], 1, 80, 'Display name') : undefined;
  problems.throwIfAny();
  const passwordHash = await hashPassword(input.password);
  const existing = await em.findOne(User, { email });
  const user = existing ?? new User(email, displayName ?? [...email.split('@')[0]].slice(0, 80).join(''), passwordHash);
  user.passwordHash = passwordHash;
  user.staffRoles = [...new Set(input.roles)].sort();
  if (displayName) user.displayName = displayName;
  await em.persistAndFlush(user);
  return { user, created: !existing };
}
