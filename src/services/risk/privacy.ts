import type { Context } from '../../context';
import { type AfterSaleCase, AfterSaleStatus, AfterSaleType, type Order, OrderStatus, type ShippingAddress, type ShopMemberRole, type User } from '../../entities';
import { maskName } from '../reviews';
import { AFTER_SALE_ROLES, FULFIL_ROLES, PERSONAL_DATA_STAFF } from '../shared';
import { phoneKey } from './normalise';

/**
 * Personal data by role (個人信息保護): a buyer's recipient name, phone and street, and a user's
 * email and phone, are shown in full only to whom they must be. The buyer (or the user) sees their
 * own; a shop's members see an order's address only while they must ship it; staff RISK and
 * CUSTOMER_SERVICE (ADMIN passes) see it in full, each view written to the audit log (one insert
 * per request batch, `ctx.loaders.personalDataViewAudit`); everyone else who reaches the object
 * sees it masked. Deciding costs no SQL: the order carries its status and hold, the viewer their
 * staff roles and (loaded once per request) their memberships.
 */

/** The audit actions of a full view by staff. */
export const VIEW_ORDER_PERSONAL_DATA = 'order.viewPersonalData';
export const VIEW_USER_PERSONAL_DATA = 'user.viewPersonalData';

/** What a masked street line shows. */
export const MASKED_STREET = '****';

/** An order's delivery address as one viewer sees it. */
export type ShippingAddressView = ShippingAddress & { masked: boolean };

/** How a viewer sees someone's personal data: in full, in full and audited (staff), or masked. */
type Access = 'FULL' | 'AUDITED' | 'MASKED';

/** A person's name masked: the first character and two stars ("王**", "A**"); a name of one character is all stars, or it would show whole. */
export function maskPersonName(name: string): string {
  return [...name.trim()].length <= 1 ? '*' : maskName(name);
}

/**
 * A phone number masked: of eleven or more digits the first three and last four stay
 * ("139****5678"); a shorter one keeps its last two ("***45"), a very short one nothing. A
 * mainland number given with +86 keeps the prefix ("+86 139****5678"); another + number its "+".
 */
export function maskPhone(phone: string): string {
  const trimmed = phone.trim();
  const digits = trimmed.replace(/\D/g, '');
  const national = phoneKey(trimmed);
  const prefix = national !== digits ? '+86 ' : trimmed.startsWith('+') ? '+' : '';
  const n = national.length;
  if (n >= 8) return `${prefix}${national.slice(0, 3)}${'*'.repeat(n - 7)}${national.slice(-4)}`;
  if (n >= 5) return `${prefix}${'*'.repeat(n - 2)}${national.slice(-2)}`;
  return `${prefix}${'*'.repeat(Math.max(n, 4))}`;
}

/** An email masked: the first character of the name and the domain ("w***@example.com"). */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return '***';
  const local = [...email.slice(0, at)];
  return `${local.length > 1 ? local[0] : ''}***${email.slice(at)}`;
}

/** The address with the recipient, phone and street masked; province, city, district and postal code stay (the region is not a person). */
export function maskAddress(address: ShippingAddress): ShippingAddressView {
  return { ...address, recipientName: maskPersonName(address.recipientName), phone: maskPhone(address.phone), line1: MASKED_STREET, masked: true };
}

/** Whether the order is one its shop must ship now: paid or accepted, and not held by risk control. */
export function mustShip(order: Pick<Order, 'status' | 'held'>): boolean {
  return (order.status === OrderStatus.PAID || order.status === OrderStatus.PROCESSING) && !order.held;
}

/**
 * How the viewer sees the order's buyer's data: its buyer in full; staff who may, audited; a member
 * of its shop in full when `shopDuty` says their role must use it now; anyone else masked.
 */
async function orderAccess(ctx: Context, order: Order, shopDuty: (role: ShopMemberRole) => boolean): Promise<Access> {
  const { viewer } = ctx;
  if (viewer.userId !== null && order.buyer.id === viewer.userId) return 'FULL';
  if (viewer.hasStaffRole(...PERSONAL_DATA_STAFF)) return 'AUDITED';
  const role = await viewer.roleIn(order.shop.id);
  return role !== undefined && shopDuty(role) ? 'FULL' : 'MASKED';
}

async function addressAs(ctx: Context, order: Order, access: Access): Promise<ShippingAddressView> {
  if (access === 'MASKED') return maskAddress(order.shippingAddress);
  if (access === 'AUDITED') await auditView(ctx, VIEW_ORDER_PERSONAL_DATA, 'Order', order.id);
  return { ...order.shippingAddress, masked: false };
}

/** Writes (batched with the request's other views) that the viewer saw the target's personal data in full. */
function auditView(ctx: Context, action: string, targetType: string, targetId: string): Promise<true> {
  return ctx.loaders.personalDataViewAudit.load({ actorId: ctx.viewer.userId, requestId: ctx.requestId, action, targetType, targetId });
}

/**
 * `Order.shippingAddress` for the viewer: in full to the buyer, to the shop's fulfilling roles
 * (OWNER, MANAGER, OPERATOR) while it is PAID or PROCESSING and not held, and to staff RISK and
 * CUSTOMER_SERVICE (audited); masked for everyone else who can see the order.
 */
export async function orderShippingAddress(ctx: Context, order: Order): Promise<ShippingAddressView> {
  return addressAs(ctx, order, await orderAccess(ctx, order, (role) => FULFIL_ROLES.includes(role) && mustShip(order)));
}

const RESENDS: readonly AfterSaleType[] = [AfterSaleType.EXCHANGE, AfterSaleType.REPAIR];

/**
 * `AfterSaleCase.resendAddress`: where an exchange's replacement or a repair goes back (the
 * order's delivery address), null for cases that send nothing back. The shop's after-sale roles
 * must ship it while the case is RECEIVED, so they see it in full then (the order itself is
 * DELIVERED, which its `shippingAddress` shows the shop masked); the buyer and staff as on the order.
 */
export async function caseResendAddress(ctx: Context, c: AfterSaleCase): Promise<ShippingAddressView | null> {
  if (!RESENDS.includes(c.type)) return null;
  const order = await ctx.loaders.orderById.load(c.order.id);
  if (!order) return null;
  return addressAs(ctx, order, await orderAccess(ctx, order, (role) => AFTER_SALE_ROLES.includes(role) && c.status === AfterSaleStatus.RECEIVED));
}

/**
 * How the viewer sees a user's email and phone. The shield tree lets only the user and staff
 * reach them (User.email, User.phone): the user in full, staff RISK and CUSTOMER_SERVICE audited,
 * other staff masked.
 */
function contactAccess(ctx: Context, user: User): Access {
  if (ctx.signedInUserId === user.id || ctx.viewer.userId === user.id) return 'FULL';
  return ctx.viewer.hasStaffRole(...PERSONAL_DATA_STAFF) ? 'AUDITED' : 'MASKED';
}

async function contactAs<T extends string | null | undefined>(ctx: Context, user: User, value: T, mask: (value: string) => string): Promise<T | string> {
  if (value == null) return value;
  const access = contactAccess(ctx, user);
  if (access === 'MASKED') return mask(value);
  if (access === 'AUDITED') await auditView(ctx, VIEW_USER_PERSONAL_DATA, 'User', user.id);
  return value;
}

/** `User.email` for the viewer. */
export function userEmail(ctx: Context, user: User): Promise<string> {
  return contactAs(ctx, user, user.email, maskEmail);
}

/** `User.phone` for the viewer (null when none was given: nothing to see, nothing audited). */
export async function userPhone(ctx: Context, user: User): Promise<string | null> {
  return (await contactAs(ctx, user, user.phone ?? null, maskPhone)) ?? null;
}
