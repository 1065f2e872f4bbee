import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { entityWhere, lockKeys } from '../../db/rows';
import { Address, User } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { checkText, isValidPhone } from '../shared';

/**
 * The shopper's address book (收貨地址). A non-empty book always has exactly one default: the
 * first address becomes it, moving it clears the old one first (a partial unique index allows
 * one per user), and deleting it promotes the newest remaining address.
 */

export const MAX_ADDRESSES = 50;

export interface AddressInput {
  recipientName: string;
  phone: string;
  province: string;
  city: string;
  district: string;
  line1: string;
  postalCode?: string | null;
  isDefault?: boolean | null;
}

export type UpdateAddressInput = { id: string } & { [K in keyof AddressInput]?: AddressInput[K] | null };

type AddressFields = Partial<Pick<Address, 'recipientName' | 'phone' | 'province' | 'city' | 'district' | 'line1' | 'postalCode'>>;

/** Validates the fields given (all of them on create); trims texts and strips spaces and dashes from the phone. */
function parseAddress(input: Omit<UpdateAddressInput, 'id'>): AddressFields {
  const problems = new Problems();
  const out: AddressFields = {};
  const text = (name: 'recipientName' | 'province' | 'city' | 'district' | 'line1', max: number, label: string) => {
    const value = input[name];
    if (value != null) out[name] = checkText(problems, value, ['input', name], 1, max, label);
  };
  text('recipientName', 40, 'Recipient name');
  text('province', 40, 'Province');
  text('city', 40, 'City');
  text('district', 40, 'District');
  text('line1', 200, 'Street address');
  if (input.phone != null) {
    out.phone = input.phone.replace(/[\s-]/g, '');
    if (!isValidPhone(out.phone)) problems.add(UserErrorCode.INVALID_INPUT, 'Enter a mainland mobile number or an E.164 number', ['input', 'phone']);
  }
  if (input.postalCode !== undefined) {
    out.postalCode = input.postalCode?.trim() || null;
    if (out.postalCode && !/^\d{6}$/.test(out.postalCode)) problems.add(UserErrorCode.INVALID_INPUT, 'Postal code must be 6 digits', ['input', 'postalCode']);
  }
  problems.throwIfAny();
  return out;
}

/**
 * Serialises one user's address-book and cart changes: a lock on their `users` row (NO KEY
 * UPDATE, so inserts referencing the user are not blocked). Counting limits and moving the
 * default are then consistent under concurrent requests.
 */
export async function lockUser(em: EntityManager, userId: string): Promise<void> {
  await lockKeys(em, User, [userId]);
}

async function clearDefault(em: EntityManager, userId: string): Promise<void> {
  await em.nativeUpdate(Address, { user: userId, isDefault: true }, { isDefault: false });
}

/** The viewer's addresses: the default first, then the newest. */
export function myAddresses(ctx: Context): Promise<Address[]> {
  return ctx.em.find(Address, { user: ctx.viewer.userId! }, { orderBy: { isDefault: 'desc', id: 'desc' } });
}

/** The user's default address, or null when their book is empty. */
export function defaultAddress(em: EntityManager, userId: string): Promise<Address | null> {
  return entityWhere(em, Address, 'e.user_id = ? and e.is_default', [userId]);
}

export async function createAddress(ctx: Context, input: AddressInput): Promise<Address> {
  const fields = parseAddress(input);
  const userId = ctx.viewer.userId!;
  return ctx.em.transactional(async (em) => {
    await lockUser(em, userId);
    const count = await em.count(Address, { user: userId });
    if (count >= MAX_ADDRESSES) throw new Failure(UserErrorCode.INVALID_INPUT, `An address book holds at most ${MAX_ADDRESSES} addresses`);
    const isDefault = count === 0 || input.isDefault === true;
    if (isDefault) await clearDefault(em, userId);
    const address = em.create(Address, {
      user: em.getReference(User, userId),
      recipientName: fields.recipientName!,
      phone: fields.phone!,
      province: fields.province!,
      city: fields.city!,
      district: fields.district!,
      line1: fields.line1!,
      postalCode: fields.postalCode ?? null,
      isDefault,
    });
    await em.flush();
    return address;
  });
}

/** The viewer's address by key, or NOT_FOUND (another user's address does not exist for them). */
async function ownAddress(ctx: Context, em: EntityManager, id: string): Promise<Address> {
  const address = await em.findOne(Address, { id, user: ctx.viewer.userId! }, { refresh: true });
  if (!address) throw new NotFoundError('No such address');
  return address;
}

export async function updateAddress(ctx: Context, input: UpdateAddressInput): Promise<Address> {
  const fields = parseAddress(input);
  const userId = ctx.viewer.userId!;
  return ctx.em.transactional(async (em) => {
    await lockUser(em, userId);
    const address = await ownAddress(ctx, em, input.id);
    if (input.isDefault === false && address.isDefault) {
      throw new Failure(UserErrorCode.INVALID_INPUT, 'Make another address the default instead', ['input', 'isDefault']);
    }
    if (input.isDefault === true && !address.isDefault) {
      await clearDefault(em, userId);
      address.isDefault = true;
    }
    em.assign(address, fields);
    await em.flush();
    return address;
  });
}

/** Deletes one of the viewer's addresses and returns its key; a deleted default passes to the newest remaining address. */
export async function deleteAddress(ctx: Context, id: string): Promise<string> {
  const userId = ctx.viewer.userId!;
  return ctx.em.transactional(async (em) => {
    await lockUser(em, userId);
    const address = await ownAddress(ctx, em, id);
    const key = address.id;
    await em.remove(address).flush();
    if (address.isDefault) {
      await em.execute('update address set is_default = true where id = (select id from address where user_id = ? order by id desc limit 1)', [userId]);
    }
    return key;
  });
}

/** One address by database key for `node(id:)`: its owner only. */
export function visibleAddress(ctx: Context, key: string): Promise<Address | null> {
  return ctx.viewer.userId ? ctx.em.findOne(Address, { id: key, user: ctx.viewer.userId }) : Promise.resolve(null);
}
