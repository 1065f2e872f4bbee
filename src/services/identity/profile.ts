import type { Context } from '../../context';
import { User } from '../../entities';
import { Problems, UserErrorCode } from '../../errors';
import { charLength } from '../shared';

/** A mobile number in E.164 form: +, a country code and up to 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Changes the viewer's display name and SMS number; a field left out keeps its value, a phone of
 * null removes the number (and with it SMS notifications).
 */
export async function updateProfile(ctx: Context, input: { displayName?: string | null; phone?: string | null }): Promise<User> {
  const problems = new Problems();
  const displayName = input.displayName?.trim();
  if (input.displayName === null) problems.add(UserErrorCode.INVALID_INPUT, 'A display name cannot be removed', ['input', 'displayName']);
  else if (displayName !== undefined && (charLength(displayName) < 1 || charLength(displayName) > 80)) {
    problems.add(UserErrorCode.INVALID_INPUT, 'Display name must be 1 to 80 characters', ['input', 'displayName']);
  }
  const phone = input.phone === undefined ? undefined : input.phone === null ? null : input.phone.replace(/[\s-]/g, '');
  if (phone && !E164.test(phone)) problems.add(UserErrorCode.INVALID_INPUT, 'Give the number in international form, e.g. +8613812345678', ['input', 'phone']);
  problems.throwIfAny();
  const user = await ctx.em.findOneOrFail(User, ctx.viewer.userId!);
  if (displayName !== undefined) user.displayName = displayName;
  if (phone !== undefined) user.phone = phone;
  await ctx.em.flush();
  return user;
}
