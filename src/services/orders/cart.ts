import type { Context } from '../../context';
import type { EntityManager } from '@mikro-orm/postgresql';
import { columnsOf, entityWhere, lockRowsOf, mapAliased, type RowOf, rowShape, selectRows } from '../../db/rows';
import { Address, CartLine, DiscountSource, type Funder, Product, ProductVariant, type Shop } from '../../entities';
import { Failure, NotFoundError, UserErrorCode } from '../../errors';
import type { LiveFlashItem } from '../../loaders';
import { FLASH_HELD_SQL, FLASH_LEFT_SQL, LIVE_FLASH_ITEM_SQL } from '../campaigns/flashStock';
import { Cart, CartLineProblem, CartShopGroup, CheckoutQuote } from '../../schema/orders/cart';
import { ApplicableCoupon, Discount, Gift } from '../../schema/promotions/discounts';
import { defaultAddress, lockUser } from '../identity';
import type { AppliedDiscount, CouponProblem, PointsRedemption, PricedGroup } from '../promotions/pricing';
import { maxRedeemablePoints, pointsByGroup, pointsRedemption, throwPointsProblem } from '../membership/redemption';
import { money } from '../shared';
import { type CartPriceLine, priceCartLines } from './pricing';

export interface CheckoutQuoteInput {
  /** Database key of an address of the buyer's; their default address when omitted. */
  addressId?: string | null;
  /** Database keys of the cart lines; all lines when omitted. */
  lineIds?: string[] | null;
  /** Database keys of the buyer's coupons. */
  couponIds?: string[] | null;
  /** Points to redeem. */
  pointsToRedeem?: number | null;
}

/**
 * The shopper's server-side cart: one row per variant (a unique index), 1–999 units a line, at
 * most MAX_CART_LINES lines. Reading it costs a fixed number of queries whatever its size: the
 * lines with their variants and products, the default address, the shops' templates and the
 * shops. Lines that cannot be bought as they are stay in the cart with a `problem` and count in
 * no amount. Stock checks here are advice to the shopper; checkout reserves stock atomically.
 */

export const MAX_CART_LINES = 100;
export const MAX_LINE_QUANTITY = 999;

export interface AddToCartInput {
  /** Database key of the variant. */
  variantId: string;
  quantity: number;
}

export interface UpdateCartLineInput {
  /** Database key of the line. */
  lineId: string;
  quantity: number;
}

/** Why a line cannot be bought as it is, or null when it can. A live flash-sale item's units (`flash`) are its own, not the variant's. */
export function lineProblem(
  quantity: number,
  variant: Pick<ProductVariant, 'archived' | 'onHand' | 'reserved'>,
  product: Pick<Product, 'visible'>,
  flash: Pick<LiveFlashItem, 'remaining'> | null = null,
): CartLineProblem | null {
  if (!product.visible || variant.archived) return CartLineProblem.UNAVAILABLE;
  if (quantity > (flash ? flash.remaining : variant.onHand - variant.reserved)) return CartLineProblem.INSUFFICIENT_STOCK;
  return null;
}

/**
 * The user's cart lines, newest first, with their variants and products loaded, and each
 * variant's live flash-sale item (primed into `liveFlashItemByVariantId`): one statement.
 */
async function cartLines(ctx: Context, userId: string): Promise<CartLine[]> {
  const { em } = ctx;
  const now = ctx.now();
  const rows = await em.execute<Record<string, unknown>[]>(
    `select ${columnsOf(em, CartLine, 'c', true)}, ${columnsOf(em, ProductVariant, 'v', true)}, ${columnsOf(em, Product, 'p', true)},
            f.id as "f.id", f.sale_price as "f.sale_price", f.title as "f.title", f.per_user_limit as "f.per_user_limit", f.funded_by as "f.funded_by",
            ${FLASH_LEFT_SQL('f.id')} as "f.remaining"
     from cart_line c join product_variant v on v.id = c.variant_id join product p on p.id = v.product_id
     left join lateral (${LIVE_FLASH_ITEM_SQL('v.id')}) f on true
     where c.user_id = ? order by c.id desc`,
    [now, now, userId],
  );
  return rows.map((row) => {
    mapAliased(em, ProductVariant, row, 'v');
    mapAliased(em, Product, row, 'p');
    const flash: LiveFlashItem | null =
      row['f.id'] == null
        ? null
        : { id: String(row['f.id']), salePrice: Number(row['f.sale_price']), title: String(row['f.title']), perUserLimit: Number(row['f.per_user_limit']), remaining: Number(row['f.remaining']), fundedBy: row['f.funded_by'] as Funder };
    ctx.loaders.liveFlashItemByVariantId.clear(String(row['v.id'])).prime(String(row['v.id']), flash);
    // The line's variant and the variant's product resolve to the entities just mapped.
    return mapAliased(em, CartLine, row, 'c');
  });
}

/** The viewer's cart, priced by the pricing engine (promotions, no coupons) and grouped by shop, with shipping quoted for their default address. */
export async function loadCart(ctx: Context): Promise<Cart> {
  const userId = ctx.viewer.userId!;
  const [lines, address] = await Promise.all([cartLines(ctx, userId), defaultAddress(ctx.em, userId)]);
  const view = await pricedView(ctx, lines, address, []);
  return Object.assign(new Cart(), { id: userId, lines, ...view.fields });
}

/**
 * What `checkout` with these lines, address and coupons would charge now: the cart's lines (the
 * chosen ones), priced by the same engine with the coupons applied. Coupons that cannot be used are
 * refused with their codes (COUPON_NOT_APPLICABLE, COUPON_EXPIRED), as checkout refuses them.
 */
export async function checkoutQuote(ctx: Context, input: CheckoutQuoteInput): Promise<CheckoutQuote> {
  const userId = ctx.viewer.userId!;
  const { config } = ctx.deps;
  const [all, address, { redemption, balance }] = await Promise.all([
    cartLines(ctx, userId),
    input.addressId ? entityWhere(ctx.em, Address, 'e.id = ? and e.user_id = ?', [input.addressId, userId]) : defaultAddress(ctx.em, userId),
    pointsRedemption(ctx.em, userId, input.pointsToRedeem, config, { balance: true }),
  ]);
  if (input.addressId && !address) throw new Failure(UserErrorCode.ADDRESS_NOT_FOUND, 'No such address in your address book', ['input', 'addressId']);
  let lines = all;
  if (input.lineIds) {
    const wanted = new Set(input.lineIds);
    lines = all.filter((l) => wanted.has(l.id));
    if (lines.length !== wanted.size) throw new Failure(UserErrorCode.INVALID_INPUT, 'A line is not in your cart', ['input', 'lineIds']);
  }
  const view = await pricedView(ctx, lines, address, input.couponIds ?? [], redemption);
  if (view.problems.length > 0) throw couponFailure(view.problems);
  throwPointsProblem(view.pricing);
  return Object.assign(new CheckoutQuote(), view.fields, {
    pointsBalance: balance!,
    maxRedeemablePoints: maxRedeemablePoints(view.pricing, balance!, config),
    pointsRedeemed: pointsByGroup(view.pricing, redemption).reduce((s, g) => s + g.points, 0),
  });
}

/** Coupon problems as one failure, each on its `couponIds` entry. */
export function couponFailure(problems: CouponProblem[]): Failure {
  return new Failure(problems.map((p) => ({ code: p.code, message: p.message, field: ['input', 'couponIds', String(p.index)] })));
}

/** The engine's discounts as the GraphQL type, in minor units of `currency`. */
export function toDiscounts(list: Pick<AppliedDiscount, 'source' | 'title' | 'fundedBy' | 'amount' | 'shippingAmount' | 'promotionId' | 'couponId'>[], currency: string): Discount[] {
  return list.map((d) =>
    Object.assign(new Discount(), {
      source: d.source,
      title: d.title,
      fundedBy: d.fundedBy,
      amount: money(d.amount, currency),
      shippingAmount: money(d.shippingAmount, currency),
      promotionId: d.promotionId,
      couponId: d.couponId,
    }),
  );
}

/** The discounts of several groups summed per promotion or coupon, in first-seen order. */
function sumDiscounts(groups: PricedGroup[]): AppliedDiscount[] {
  const byKey = new Map<string, AppliedDiscount>();
  for (const d of groups.flatMap((g) => g.discounts)) {
    const key = `${d.source}:${d.promotionId ?? d.couponId ?? d.campaignId}`;
    const seen = byKey.get(key);
    if (seen) byKey.set(key, { ...seen, amount: seen.amount + d.amount, shippingAmount: seen.shippingAmount + d.shippingAmount });
    else byKey.set(key, d);
  }
  return [...byKey.values()];
}

/**
 * Prices `lines` (the buyable ones; lines with a problem stay in their shop's group and count in
 * no amount) for `address` with `couponIds`, and shapes the result as the cart and the quote show it.
 */
async function pricedView(ctx: Context, lines: CartLine[], address: Address | null, couponIds: string[], points: PointsRedemption | null = null) {
  const { currency } = ctx.deps.config;
  const buyable: CartPriceLine[] = [];
  const order: string[] = [];
  // Primed by `cartLines`: no statement.
  const flashes = await Promise.all(lines.map((line) => ctx.loaders.liveFlashItemByVariantId.load(line.variant.id)));
  for (const [i, line] of lines.entries()) {
    const variant = line.variant;
    const product = variant.product;
    const flash = flashes[i];
    // The cart's field resolvers read variants and products through the loaders: hand them these.
    ctx.loaders.variantById.clear(variant.id).prime(variant.id, variant);
    ctx.loaders.productById.clear(product.id).prime(product.id, product);
    if (!order.includes(product.shop.id)) order.push(product.shop.id);
    if (lineProblem(line.quantity, variant, product, flash) === null) {
      buyable.push({
        key: line.id,
        variantId: variant.id,
        productId: product.id,
        shopId: product.shop.id,
        categoryPath: product.categoryPath,
        unitPrice: variant.price,
        quantity: line.quantity,
        templateId: product.shippingTemplate?.id ?? null,
        campaign: flash && { source: DiscountSource.FLASH_SALE, id: flash.id, title: flash.title, unitPrice: flash.salePrice, fundedBy: flash.fundedBy },
      });
    }
  }
  const [{ pricing, problems, rules }, shops] = await Promise.all([
    priceCartLines(ctx.em, { buyerId: ctx.viewer.userId!, lines: buyable, province: address?.province ?? null, couponIds, now: ctx.now(), points }),
    ctx.loaders.shopById.loadMany(order),
  ]);
  // `applicableCoupons { coupon }` and `discounts { coupon }` read these through the loaders.
  for (const coupon of rules.coupons) {
    ctx.loaders.userCouponById.clear(coupon.id).prime(coupon.id, coupon);
    ctx.loaders.couponCampaignById.clear(coupon.campaign.id).prime(coupon.campaign.id, coupon.campaign);
  }
  const priced = new Map(pricing.groups.map((g) => [g.shopId, g]));
  const zero = money(0, currency);
  const groups = order.map((shopId, i) => {
    const g = priced.get(shopId);
    return Object.assign(new CartShopGroup(), {
      shop: shops[i] as Shop,
      lines: lines.filter((l) => l.variant.product.shop.id === shopId),
      subtotal: g ? money(g.subtotal, currency) : zero,
      shippingFee: g ? money(g.shippingFee, currency) : zero,
      discounts: toDiscounts(g?.discounts ?? [], currency),
      discountTotal: g ? money(g.discountTotal, currency) : zero,
      total: g ? money(g.total, currency) : zero,
      gifts: (g?.gifts ?? []).map((gift) => Object.assign(new Gift(), gift)),
    });
  });
  return {
    problems,
    pricing,
    fields: {
      groups,
      shippingAddress: address,
      discounts: toDiscounts(sumDiscounts(pricing.groups), currency),
      subtotal: money(pricing.subtotal, currency),
      shippingTotal: money(pricing.shippingTotal, currency),
      discountTotal: money(pricing.discountTotal, currency),
      total: money(pricing.total, currency),
      applicableCoupons: pricing.applicable.map((a) => Object.assign(new ApplicableCoupon(), { couponId: a.couponId, discount: money(a.amount, currency) })),
    },
  };
}

function checkQuantity(quantity: number, min: number): void {
  if (!Number.isInteger(quantity) || quantity < min || quantity > MAX_LINE_QUANTITY) {
    throw new Failure(UserErrorCode.INVALID_INPUT, `Quantity must be a whole number from ${min} to ${MAX_LINE_QUANTITY}`, ['input', 'quantity']);
  }
}

/** Whether a variant is on sale, how many of its units are available now, and its live flash-sale item's limit, units left and the buyer's units of it. */
const AVAILABILITY = rowShape({ archived: 'bool', visible: 'bool', available: 'number', flash_id: 'key?', flash_limit: 'int?', flash_left: 'int', flash_held: 'int' });
const LINE_AVAILABILITY = rowShape({ ...AVAILABILITY, quantity: 'int' });

/** AVAILABILITY's flash-sale columns over variant `v`; parameters: the buyer, then now twice. */
const FLASH_COLUMNS = `f.id as flash_id, f.per_user_limit as flash_limit,
  ${FLASH_LEFT_SQL('f.id')} as flash_left, ${FLASH_HELD_SQL('f.id')} as flash_held`;
const FLASH_JOIN = `left join lateral (${LIVE_FLASH_ITEM_SQL('v.id')}) f on true`;

async function availabilityOf(em: EntityManager, variantKey: string, userId: string, now: Date): Promise<RowOf<typeof AVAILABILITY> | undefined> {
  const [row] = await selectRows(
    em,
    AVAILABILITY,
    `select v.archived, p.visible, v.on_hand - v.reserved as available, ${FLASH_COLUMNS}
     from product_variant v join product p on p.id = v.product_id ${FLASH_JOIN} where v.id = ?`,
    [userId, now, now, variantKey],
  );
  return row;
}

/**
 * Whether a line may hold `quantity` units. A live flash-sale item's units are its own (they left
 * the variant's stock when it was approved), and a buyer may have at most its `perUserLimit` of
 * them counting their orders not cancelled (FLASH_SALE_LIMIT_REACHED): the sale price is never
 * mixed with the normal one on a line. Otherwise the variant's available stock decides.
 */
function checkUnits(quantity: number, row: RowOf<typeof AVAILABILITY>): void {
  if (row.flash_id === null) {
    if (quantity > row.available) throw new Failure(UserErrorCode.INSUFFICIENT_STOCK, `Only ${Math.max(row.available, 0)} available`, ['input', 'quantity']);
    return;
  }
  if (quantity > row.flash_limit! - row.flash_held) {
    throw new Failure(UserErrorCode.FLASH_SALE_LIMIT_REACHED, `At most ${row.flash_limit} per buyer at the flash-sale price; your orders hold ${row.flash_held}`, ['input', 'quantity']);
  }
  if (row.flash_left === 0) throw new Failure(UserErrorCode.FLASH_SALE_SOLD_OUT, 'This flash-sale item is sold out', ['input', 'quantity']);
  if (quantity > row.flash_left) throw new Failure(UserErrorCode.INSUFFICIENT_STOCK, `Only ${row.flash_left} left at the flash-sale price`, ['input', 'quantity']);
}

/**
 * Adds units of a variant: a new line, or more units on the line the variant already has (one
 * upsert). A line never holds more than 999 units: an addition that would pass that is refused
 * with INVALID_INPUT rather than silently cut, so the shopper knows what the cart holds.
 */
export async function addToCart(ctx: Context, input: AddToCartInput): Promise<Cart> {
  checkQuantity(input.quantity, 1);
  const variantKey = input.variantId;
  const userId = ctx.viewer.userId!;
  await ctx.em.transactional(async (em) => {
    await lockUser(em, userId);
    const variant = await availabilityOf(em, variantKey, userId, ctx.now());
    if (!variant) throw new NotFoundError('No such variant');
    if (!variant.visible || variant.archived) throw new Failure(UserErrorCode.PRODUCT_UNAVAILABLE, 'This product is not on sale', ['input', 'variantId']);
    const [{ others }] = await selectRows(em, rowShape({ others: 'int' }), 'select count(*) as others from cart_line where user_id = ? and variant_id <> ?', [userId, variantKey]);
    if (others >= MAX_CART_LINES) throw new Failure(UserErrorCode.INVALID_INPUT, `A cart holds at most ${MAX_CART_LINES} lines`, ['input', 'variantId']);
    const [line] = await selectRows(
      em,
      rowShape({ quantity: 'int' }),
      `insert into cart_line (user_id, variant_id, quantity) values (?, ?, ?)
       on conflict (user_id, variant_id) do update set quantity = cart_line.quantity + excluded.quantity, updated_at = now()
       where cart_line.quantity + excluded.quantity <= ?
       returning quantity`,
      [userId, variantKey, input.quantity, MAX_LINE_QUANTITY],
    );
    if (!line) throw new Failure(UserErrorCode.INVALID_INPUT, `A cart line holds at most ${MAX_LINE_QUANTITY} units`, ['input', 'quantity']);
    // Thrown inside the transaction, so the upsert is rolled back.
    checkUnits(line.quantity, variant);
  });
  return loadCart(ctx);
}

/**
 * Sets a line's quantity; 0 removes the line. Raising it is checked like an addition (on sale,
 * enough stock); lowering it always works, so a flagged line can be fixed.
 */
export async function updateCartLine(ctx: Context, input: UpdateCartLineInput): Promise<Cart> {
  checkQuantity(input.quantity, 0);
  const key = input.lineId;
  const userId = ctx.viewer.userId!;
  await ctx.em.transactional(async (em) => {
    // The line locked and its variant's availability read in one statement.
    const [line] = await lockRowsOf(
      em,
      LINE_AVAILABILITY,
      `select c.quantity, v.archived, p.visible, v.on_hand - v.reserved as available, ${FLASH_COLUMNS}
       from cart_line c join product_variant v on v.id = c.variant_id join product p on p.id = v.product_id ${FLASH_JOIN}
       where c.id = ? and c.user_id = ?`,
      [userId, ctx.now(), ctx.now(), key, userId],
      { of: 'c' },
    );
    if (!line) throw new NotFoundError('No such cart line');
    if (input.quantity === 0) {
      await em.execute('delete from cart_line where id = ?', [key]);
      return;
    }
    if (input.quantity > line.quantity) {
      if (!line.visible || line.archived) throw new Failure(UserErrorCode.PRODUCT_UNAVAILABLE, 'This product is not on sale', ['input', 'lineId']);
      checkUnits(input.quantity, line);
    }
    await em.execute('update cart_line set quantity = ?, updated_at = now() where id = ?', [input.quantity, key]);
  });
  return loadCart(ctx);
}

/** The cart for `node(id:)`: its owner only. */
export async function visibleCart(ctx: Context, key: string): Promise<Cart | null> {
  return ctx.viewer.userId === key ? loadCart(ctx) : null;
}

/** One cart line by database key for `node(id:)`: its owner only. */
export function visibleCartLine(ctx: Context, key: string): Promise<CartLine | null> {
  return ctx.viewer.userId ? ctx.em.findOne(CartLine, { id: key, user: ctx.viewer.userId }) : Promise.resolve(null);
}
