import type { EntityManager } from '@mikro-orm/postgresql';
import { type StaffRole, User } from '../../entities';
import { Problems } from '../../errors';
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
  checkPasswordRules(problems, input.password, email, ['password']);
  problems.throwIfAny();
  const passwordHash = await hashPassword(input.password);
  const existing = await em.findOne(User, { email });
  const user = existing ?? new User(email, input.displayName ?? email.split('@')[0], passwordHash);
  user.passwordHash = passwordHash;
  user.staffRoles = [...new Set(input.roles)].sort();
  if (input.displayName) user.displayName = input.displayName;
  await em.persistAndFlush(user);
  return { user, created: !existing };
}
