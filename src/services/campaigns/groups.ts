import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { entityWhere, lockById, lockKeys, lockWhere, rowShape, selectRows } from '../../db/rows';
import { Checkout, DiscountSource, Group, GroupBuy, GroupMember, GroupStatus, Order, OrderEventType, OrderStatus, Product, ProductVariant, ShopStatus, User } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { GroupBuyStatus } from '../../schema/campaigns/groups';
import { moveOrderStock } from '../inventory';
import { lockShopAsMember } from '../onboarding';
import { assertShopUnrestricted, withBlacklistEvents } from '../risk';
import { addEvent, CHECKOUT_TRANSITIONS, PLATFORM, placeDirectOrder, step, stepCheckout } from '../orders';
// The refunds module alone (not the payments index), as the orders domain refunds.
import { refundOrder } from '../payments/refunds';
import { checkCount, checkWindow, isPromotionInsider, newestFirst } from '../promotions';
import { releaseDiscounts } from '../promotions/release';
import { isAllowed, PROMOTION_ROLES, toMinor } from '../shared';

/**
 * Group buys (拼團). A shop's PROMOTION_ROLES members offer a product of their ACTIVE shop at group
 * prices per variant; while the offer is LIVE a buyer starts a group (its leader) by placing an
 * order at the group price, and others join it the same way. A member counts once their order is
 * paid: the payment webhook forms the group (`formGroups`, groupHooks.ts) when `size` members have
 * paid, and only then may the merchant accept and ship its orders. A group not formed by its
 * `expiresAt` fails (`expire-groups`): every member order still open is cancelled, the paid ones
 * refunded in full. A seat is taken by a member whose order is not cancelled, paid or not, so an
 * unpaid checkout that expires frees its seat.
 *
 * Locks: a join takes the group's row, then (placing the order) the buyer's and the variants'. The
 * payment webhook and `expire-groups` take checkouts, then orders, then groups, then variants (and
 * the expiry job the payment, refunding): every path takes groups before variants, and none takes
 * a checkout or an order after a group.
 */

const HOUR = 3_600_000;
/** The longest window of an offer, in days. */
export const MAX_GROUP_BUY_DAYS = 90;
/** Variants one offer may price. */
export const MAX_GROUP_VARIANTS = 50;
/** Units one member may buy in a group. */
export const MAX_GROUP_QUANTITY = 10;

const { UPCOMING, LIVE, ENDED } = GroupBuyStatus;
const { FORMING, FAILED } = GroupStatus;

/** Where an offer stands at `now`: UPCOMING before `startsAt`, ENDED from `endsAt`, else LIVE. */
export function groupBuyStatus(offer: Pick<GroupBuy, 'startsAt' | 'endsAt'>, now: Date): GroupBuyStatus {
  if (now.getTime() >= offer.endsAt.getTime()) return ENDED;
  return now.getTime() < offer.startsAt.getTime() ? UPCOMING : LIVE;
}

/** A LIVE offer in SQL over alias `e`, its parameters twice `now`. */
const LIVE_SQL = 'e.starts_at <= ? and e.ends_at > ?';
/** An offer shoppers see: its product on sale (which needs an ACTIVE shop), SQL over alias `e`. */
const ON_SALE_SQL = 'exists (select 1 from product p where p.id = e.product_id and p.visible)';

// --- Creating -----------------------------------------------------------------------------------

export interface GroupBuyInput {
  /** Database key of a product of the viewer's shop. */
  productId: string;
  /** Database keys of its variants, with Decimal group prices. */
  variantPrices: { variantId: string; groupPrice: string }[];
  groupSize: number;
  hoursToForm: number;
  startsAt: Date;
  endsAt: Date;
}

/** Every field of `input` checked but what it names (each problem an INVALID_INPUT naming its field); the prices in minor units. */
function parseGroupBuy(ctx: Context, input: GroupBuyInput): { variantId: string; groupPrice: number }[] {
  const problems = new Problems();
  const path = ['input', 'variantPrices'];
  if (input.variantPrices.length < 1 || input.variantPrices.length > MAX_GROUP_VARIANTS) {
    problems.add(UserErrorCode.INVALID_INPUT, `An offer prices 1 to ${MAX_GROUP_VARIANTS} variants`, path);
  }
  const seen = new Set<string>();
  const prices = input.variantPrices.map((v, i) => {
    const at = [...path, String(i)];
    if (seen.has(v.variantId)) problems.add(UserErrorCode.INVALID_INPUT, 'Each variant is priced once', [...at, 'variantId']);
    seen.add(v.variantId);
    const minor = toMinor(v.groupPrice, ctx.deps.config.currency, problems, [...at, 'groupPrice']);
    if (minor !== null && minor <= 0) problems.add(UserErrorCode.INVALID_INPUT, 'A group price must be more than 0', [...at, 'groupPrice']);
    return { variantId: v.variantId, groupPrice: minor ?? 0 };
  });
  checkCount(problems, input.groupSize, ['input', 'groupSize'], 2, 100, 'A group’s size');
  checkCount(problems, input.hoursToForm, ['input', 'hoursToForm'], 0, 720, 'The hours to form');
  checkWindow(problems, input.startsAt, input.endsAt, ctx.now(), ['startsAt', 'endsAt'], MAX_GROUP_BUY_DAYS);
  problems.throwIfAny();
  return prices;
}

/** Each priced variant is a live variant of the product, its group price below its own (INVALID_INPUT naming the entry). */
async function checkVariantPrices(em: EntityManager, productId: string, prices: { variantId: string; groupPrice: number }[]): Promise<void> {
  const rows = await selectRows(em, rowShape({ id: 'key', price: 'number' }), 'select id, price from product_variant where product_id = ? and id in (?) and not archived', [
    productId,
    prices.map((p) => p.variantId),
  ]);
  const priceOf = new Map(rows.map((r) => [r.id, r.price]));
  const problems = new Problems();
  prices.forEach((p, i) => {
    const at = ['input', 'variantPrices', String(i)];
    const price = priceOf.get(p.variantId);
    if (price === undefined) problems.add(UserErrorCode.INVALID_INPUT, 'Not a live variant of this product', [...at, 'variantId']);
    else if (p.groupPrice >= price) problems.add(UserErrorCode.INVALID_INPUT, 'A group price must be less than the variant’s price', [...at, 'groupPrice']);
  });
  problems.throwIfAny();
}

/**
 * Creates a group-buy offer for a product on sale of the viewer's shop: its PROMOTION_ROLES members
 * (re-read under the shop's lock), the shop ACTIVE (SHOP_NOT_ACTIVE). Every field is checked first
 * (INVALID_INPUT naming it), then the product (another shop's is NOT_FOUND, one not on sale
 * PRODUCT_UNAVAILABLE) and its variants.
 */
export async function createGroupBuy(ctx: Context, input: GroupBuyInput): Promise<GroupBuy> {
  const variantPrices = parseGroupBuy(ctx, input);
  return ctx.em.transactional(async (em) => {
    const [owner] = await selectRows(em, rowShape({ shop_id: 'key' }), 'select shop_id from product where id = ?', [input.productId]);
    if (!owner) throw new NotFoundError('No such product');
    const shop = await lockShopAsMember(ctx, em, owner.shop_id, PROMOTION_ROLES);
    if (shop.status !== ShopStatus.ACTIVE) throw new Failure(UserErrorCode.SHOP_NOT_ACTIVE, `The shop is ${shop.status}: only ACTIVE shops run group buys`, ['input', 'productId']);
    await assertShopUnrestricted(em, shop, ['input', 'productId']);
    const [product] = await selectRows(em, rowShape({ visible: 'bool' }), 'select visible from product where id = ?', [input.productId]);
    if (!product.visible) throw new Failure(UserErrorCode.PRODUCT_UNAVAILABLE, 'Only a product on sale can be offered in groups', ['input', 'productId']);
    await checkVariantPrices(em, input.productId, variantPrices);
    const now = ctx.now();
    const offer = em.create(GroupBuy, {
      shop,
      product: em.getReference(Product, input.productId),
      variantPrices,
      groupSize: input.groupSize,
      hoursToForm: input.hoursToForm,
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      createdBy: em.getReference(User, ctx.viewer.userId!),
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    return offer;
  });
}

// --- Starting and joining -----------------------------------------------------------------------

export interface GroupOrderInput {
  /** Database key of one of the offer's variants. */
  variantId: string;
  quantity: number;
  /** Database key of an address of the buyer's. */
  addressId: string;
}

export interface StartGroupInput extends GroupOrderInput {
  /** Database key. */
  groupBuyId: string;
}

export interface JoinGroupInput extends GroupOrderInput {
  /** Database key. */
  groupId: string;
}

function checkQuantity(quantity: number): void {
  const problems = new Problems();
  checkCount(problems, quantity, ['input', 'quantity'], 1, MAX_GROUP_QUANTITY, 'The quantity');
  problems.throwIfAny();
}

/**
 * Places the buyer's order in `group` at the offer's price for the variant (INVALID_INPUT when the
 * offer does not price it), through `placeDirectOrder` (address, availability, reservation), and
 * records them as a member. Returns the checkout to pay.
 */
async function placeMemberOrder(ctx: Context, em: EntityManager, group: Group, offer: GroupBuy, input: GroupOrderInput, now: Date): Promise<Checkout> {
  const price = offer.variantPrices.find((p) => p.variantId === input.variantId);
  if (!price) throw new Failure(UserErrorCode.INVALID_INPUT, 'This variant is not offered in the group buy', ['input', 'variantId']);
  const buyerId = ctx.viewer.userId!;
  const { checkout, order } = await placeDirectOrder(ctx, em, {
    buyerId,
    addressId: input.addressId,
    variantId: input.variantId,
    quantity: input.quantity,
    campaign: { source: DiscountSource.GROUP_BUY, id: group.id, title: `${offer.groupSize}人團`, unitPrice: price.groupPrice },
    // One checkout per buyer and group: a member never has two.
    idempotencyKey: `#group/${group.id}`,
  });
  em.persist(em.create(GroupMember, { group, user: em.getReference(User, buyerId), order, joinedAt: now }));
  await em.flush();
  return checkout;
}

/**
 * A signed-in buyer starts a group of a LIVE offer (INVALID_TRANSITION otherwise) and becomes its
 * leader and first member: the group needs the offer's `groupSize` paid members by now +
 * `hoursToForm`. Returns the group and the checkout of the buyer's order, to pay as usual.
 */
export async function startGroup(ctx: Context, input: StartGroupInput): Promise<{ group: Group; checkout: Checkout }> {
  checkQuantity(input.quantity);
  // The order's blacklist refusal is recorded once the transaction has rolled back.
  return withBlacklistEvents(ctx, () => ctx.em.transactional(async (em) => {
    const offer = await entityWhere(em, GroupBuy, 'e.id = ?', [input.groupBuyId]);
    if (!offer) throw new NotFoundError('No such group buy');
    const now = ctx.now();
    const status = groupBuyStatus(offer, now);
    if (status !== LIVE) throw new Failure(UserErrorCode.INVALID_TRANSITION, `The group buy is ${status}: groups start while it is LIVE`, ['input', 'groupBuyId']);
    const group = em.create(Group, {
      groupBuy: offer,
      leader: em.getReference(User, ctx.viewer.userId!),
      size: offer.groupSize,
      expiresAt: new Date(now.getTime() + offer.hoursToForm * HOUR),
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    const checkout = await placeMemberOrder(ctx, em, group, offer, input, now);
    return { group, checkout };
  }));
}

const SEATS = rowShape({ member: 'bool', taken: 'int' });

/**
 * A signed-in buyer joins a group: FORMING and not expired (INVALID_TRANSITION), not already a
 * member, the leader included (ALREADY_IN_GROUP, even when their order was cancelled), with a seat
 * left — members whose orders are not cancelled, paid or not, fewer than its size (GROUP_FULL).
 * The group's row is locked first, so joins take turns and the last seat goes to one of them.
 */
export async function joinGroup(ctx: Context, input: JoinGroupInput): Promise<{ group: Group; checkout: Checkout }> {
  checkQuantity(input.quantity);
  const buyerId = ctx.viewer.userId!;
  return withBlacklistEvents(ctx, () => ctx.em.transactional(async (em) => {
    const group = await lockById(em, Group, input.groupId);
    if (!group) throw new NotFoundError('No such group');
    const now = ctx.now();
    if (group.status !== FORMING || group.expiresAt.getTime() <= now.getTime()) {
      throw new Failure(UserErrorCode.INVALID_TRANSITION, group.status === FORMING ? 'The group expired' : `The group is ${group.status}`, ['input', 'groupId']);
    }
    const [seats] = await selectRows(
      em,
      SEATS,
      `select coalesce(bool_or(m.user_id = ?), false) as member, (count(*) filter (where o.status <> '${OrderStatus.CANCELLED}'))::int as taken
       from group_member m join orders o on o.id = m.order_id where m.group_id = ?`,
      [buyerId, group.id],
    );
    if (seats.member) throw new Failure(UserErrorCode.ALREADY_IN_GROUP, 'You are already in this group', ['input', 'groupId']);
    if (seats.taken >= group.size) throw new Failure(UserErrorCode.GROUP_FULL, 'Every seat of this group is taken', ['input', 'groupId']);
    const offer = (await entityWhere(em, GroupBuy, 'e.id = ?', [group.groupBuy.id]))!;
    const checkout = await placeMemberOrder(ctx, em, group, offer, input, now);
    return { group, checkout };
  }));
}

// --- Failing ------------------------------------------------------------------------------------

const MEMBER_ORDER = rowShape({ group_id: 'key', order_id: 'key', checkout_id: 'key' });
const OPEN_MEMBER_ORDERS = `select m.group_id, o.id as order_id, o.checkout_id from group_member m join orders o on o.id = m.order_id
  where m.group_id in (?) and o.status <> '${OrderStatus.CANCELLED}' order by o.id`;
const FAILED_NOTE = 'The group did not form in time';

/**
 * `expire-groups`: FORMING groups past their `expiresAt` by `deps.clock.now()` fail, in batches of
 * `batch` groups a transaction. Each member order still open is cancelled: an unpaid one like an
 * expired checkout's (its reservation released, its checkout cancelled), a paid one refunded in
 * full (its units back on hand). Locks follow the payment webhook's order: the member orders'
 * checkouts, then the orders, then the groups (SKIP LOCKED: a group a join holds waits for the next
 * run, as does one that gained a member meanwhile), then the variants. A group already settled is
 * not selected again. Returns the groups failed.
 */
export async function expireGroups(deps: SystemDeps, em: EntityManager, batch = 100): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await em.fork().transactional((tx) => failDueGroups(tx, deps.clock.now(), batch));
    total += done;
    if (done < batch) return total;
  }
}

async function failDueGroups(tx: EntityManager, now: Date, batch: number): Promise<number> {
  const due = await selectRows(tx, rowShape({ id: 'key' }), `select id from buy_group where status = '${FORMING}' and expires_at <= ? order by expires_at, id limit ?`, [now, batch]);
  if (due.length === 0) return 0;
  const seen = await selectRows(tx, MEMBER_ORDER, OPEN_MEMBER_ORDERS, [due.map((g) => g.id)]);
  const checkoutRows = seen.length > 0 ? await lockWhere(tx, Checkout, 'e.id in (?)', [[...new Set(seen.map((r) => r.checkout_id))]], { orderBy: 'e.id' }) : [];
  const checkoutById = new Map(checkoutRows.map((c) => [c.id, c]));
  const orders = seen.length > 0 ? await lockWhere(tx, Order, 'e.id in (?)', [seen.map((r) => r.order_id)], { orderBy: 'e.id' }) : [];
  const groups = await lockWhere(tx, Group, `e.id in (?) and e.status = '${FORMING}' and e.expires_at <= ?`, [due.map((g) => g.id), now], { orderBy: 'e.id', skipLocked: true });
  if (groups.length === 0) return 0;
  // Under the groups' locks no member joins: a member order not locked above joined since.
  const locked = new Map(orders.filter((o) => o.status !== OrderStatus.CANCELLED).map((o) => [o.id, o]));
  const members = await selectRows(tx, MEMBER_ORDER, OPEN_MEMBER_ORDERS, [groups.map((g) => g.id)]);
  const stale = new Set(members.filter((m) => !locked.has(m.order_id)).map((m) => m.group_id));
  const failing = groups.filter((g) => !stale.has(g.id));
  if (failing.length === 0) return 0;
  const failingIds = new Set(failing.map((g) => g.id));
  const theirs = members.filter((m) => failingIds.has(m.group_id)).map((m) => locked.get(m.order_id)!);

  const unpaid = theirs.filter((o) => o.status === OrderStatus.PENDING_PAYMENT);
  // PROCESSING cannot happen before a group forms; it is handled like PAID all the same.
  const paid = theirs.filter((o) => o.status === OrderStatus.PAID || o.status === OrderStatus.PROCESSING);
  for (const order of unpaid) step(tx, order, 'expire', PLATFORM, now, FAILED_NOTE);
  for (const order of paid) step(tx, order, 'refundedCancel', PLATFORM, now, `${FAILED_NOTE}: refunded in full`);
  const checkouts = new Map<string, Checkout>();
  for (const order of unpaid) {
    const checkout = checkoutById.get(order.checkout.id)!;
    checkout.total -= order.total;
    checkouts.set(checkout.id, checkout);
  }
  for (const group of failing) {
    group.status = FAILED;
    group.settledAt = now;
    group.updatedAt = now;
  }
  await tx.flush();
  // An unpaid checkout with no order left open is cancelled (a member's checkout holds its one order).
  const open = new Set(
    checkouts.size === 0
      ? []
      : (await selectRows(tx, rowShape({ checkout_id: 'key' }), `select distinct checkout_id from orders where checkout_id in (?) and status <> '${OrderStatus.CANCELLED}'`, [[...checkouts.keys()]])).map((r) => r.checkout_id),
  );
  for (const checkout of checkouts.values()) if (!open.has(checkout.id) && isAllowed(CHECKOUT_TRANSITIONS, 'cancel', checkout.status)) stepCheckout(checkout, 'cancel');
  await tx.flush();

  // The variants of both moves in id order first, in a statement of their own: two moves must not lock them in two orders.
  const orderIds = [...unpaid, ...paid].map((o) => o.id);
  if (orderIds.length > 0) await lockKeys(tx, ProductVariant, { subquery: 'select variant_id from order_line where order_id in (?)', params: [orderIds] });
  await moveOrderStock(tx, unpaid.map((o) => o.id), 'release', now, null);
  await moveOrderStock(tx, paid.map((o) => o.id), 'restock', now, null);
  await releaseDiscounts(tx, orderIds, now);
  for (const order of paid) {
    const reason = `${FAILED_NOTE}: refunded in full`;
    if (await refundOrder(tx, order, reason, now)) addEvent(tx, order, OrderEventType.REFUND_REQUESTED, now, reason);
  }
  await tx.flush();
  return failing.length;
}

// --- Reading ------------------------------------------------------------------------------------

/** One offer by database key: for its shop's members and promotion staff in any state; for anyone else while its product is on sale; else null. */
export async function visibleGroupBuy(ctx: Context, key: string): Promise<GroupBuy | null> {
  const offer = await ctx.loaders.groupBuyById.load(key);
  if (!offer || (await isPromotionInsider(ctx, offer.shop.id))) return offer;
  const product = await ctx.loaders.productById.load(offer.product.id);
  return product?.visible ? offer : null;
}

/** One group by database key: anyone who may see its offer, and its members; else null. */
export async function visibleGroup(ctx: Context, key: string): Promise<Group | null> {
  const group = await ctx.loaders.groupById.load(key);
  if (!group || (await visibleGroupBuy(ctx, group.groupBuy.id))) return group;
  const userId = ctx.viewer.userId;
  if (!userId) return null;
  const member = await selectRows(ctx.em, rowShape({ n: 'int' }), 'select 1 as n from group_member where group_id = ? and user_id = ?', [group.id, userId]);
  return member.length > 0 ? group : null;
}

export interface GroupBuyFilterInput {
  /** Database key. */
  shopId?: string | null;
  /** Database key. */
  productId?: string | null;
  /** true: only LIVE offers; false: only the others. */
  live?: boolean | null;
}

/**
 * Group-buy offers, newest first (keyset on the id): promotion staff see every one, a shop's
 * members every one of their shop when `shopId` names it; anyone else the LIVE ones whose product
 * is on sale (`live: false` finds nothing for them).
 */
export async function listGroupBuys(ctx: Context, args: PageArgs & { filter?: GroupBuyFilterInput | null }): Promise<Page<GroupBuy>> {
  const window = pageWindow(args, ['id']);
  const f = args.filter ?? {};
  const insider = await isPromotionInsider(ctx, f.shopId ?? null);
  if (!insider && f.live === false) return page([], window, (g: GroupBuy) => [g.id], async () => 0);
  const now = ctx.now();
  const base = () => {
    const qb = ctx.em.createQueryBuilder(GroupBuy, 'e');
    if (f.shopId) qb.andWhere({ shop: f.shopId });
    if (f.productId) qb.andWhere({ product: f.productId });
    if (!insider || f.live === true) qb.andWhere(LIVE_SQL, [now, now]);
    if (f.live === false) qb.andWhere(`not (${LIVE_SQL})`, [now, now]);
    if (!insider) qb.andWhere(ON_SALE_SQL);
    return qb;
  };
  return newestFirst(base, window);
}

/** An offer's groups that can still be joined (FORMING, not expired), newest first. */
export function joinableGroups(ctx: Context, offer: GroupBuy, args: PageArgs): Promise<Page<Group>> {
  const window = pageWindow(args, ['id']);
  const now = ctx.now();
  return newestFirst(() => ctx.em.createQueryBuilder(Group, 'e').andWhere({ groupBuy: offer.id, status: FORMING }).andWhere('e.expires_at > ?', [now]), window);
}

/** The groups the viewer is a member of (leader or not), newest first. */
export function myGroups(ctx: Context, args: PageArgs): Promise<Page<Group>> {
  const window = pageWindow(args, ['id']);
  return newestFirst(() => ctx.em.createQueryBuilder(Group, 'e').andWhere('exists (select 1 from group_member m where m.group_id = e.id and m.user_id = ?)', [ctx.viewer.userId!]), window);
}

/** Paid members a group still needs: none once FORMED; of a FAILED group, what it lacked when it failed. */
export function membersNeeded(group: Group, members: { paid: boolean }[]): number {
  if (group.status === GroupStatus.FORMED) return 0;
  return Math.max(0, group.size - members.filter((m) => m.paid).length);
}

