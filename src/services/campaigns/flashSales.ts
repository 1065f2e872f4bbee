import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { entityWhere, lockById, rowShape, type RowOf, selectRows } from '../../db/rows';
import { FlashSale, FlashSaleItem, FlashSaleItemStatus, Funder, ProductVariant, Shop, ShopStatus, User } from '../../entities';
import { Failure, ForbiddenError, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { FlashSaleItemDecision, FlashSaleStatus } from '../../schema/campaigns/flashSales';
import { lockShopAsMember } from '../onboarding';
import { assertShopUnrestricted } from '../risk';
import { recordAudit } from '../platform';
import { checkCount, checkWindow } from '../promotions';
import { charLength, checkText, guardUnique, PROMOTION_ROLES, PROMOTION_STAFF, toMinor, transition, type TransitionTable } from '../shared';
import { holdFlashUnits, settleFlashSales } from './flashStock';

/**
 * Flash sales (限時搶購 / 秒殺): staff PROMOTION_STAFF run them; a shop's PROMOTION_ROLES members
 * nominate their ACTIVE shop's variants before a sale starts, and staff approve or reject each
 * nomination until it ends. Staff may also place items themselves when they create a sale (approved
 * at once). Approval sets the item's quantity aside from the variant's stock (flashStock.ts), so a
 * variant sits in at most one approved item of sales that overlap in time: approvals of one variant
 * take turns (an advisory lock) and each sees the others. A sale's status is not stored: it is read
 * off the clock (`flashSaleStatus`), in SQL the same way for the list's filter. The cart and
 * checkout price a live item's variant at its sale price; `end-flash-sales` returns what is unsold.
 */

const { NOMINATED, APPROVED, REJECTED } = FlashSaleItemStatus;
const { UPCOMING, LIVE, ENDED } = FlashSaleStatus;

/** The longest flash sale, in days. */
export const MAX_FLASH_SALE_DAYS = 7;
/** Items staff may place in a sale when creating it. */
export const MAX_FLASH_SALE_ITEMS = 100;
const MAX_QUANTITY = 100_000;
const MAX_PER_USER = 100;

/** Staff decide once on a nomination, until the sale ends. */
export const FLASH_ITEM_TRANSITIONS: TransitionTable<FlashSaleItemStatus, FlashSaleItemDecision> = {
  APPROVE: { from: [NOMINATED], to: APPROVED },
  REJECT: { from: [NOMINATED], to: REJECTED },
};

/** Where a sale stands at `now`: UPCOMING before its window, LIVE in it, ENDED from its end. */
export function flashSaleStatus(sale: Pick<FlashSale, 'startsAt' | 'endsAt'>, now: Date): FlashSaleStatus {
  if (now.getTime() >= sale.endsAt.getTime()) return ENDED;
  return now.getTime() < sale.startsAt.getTime() ? UPCOMING : LIVE;
}

/** `flashSaleStatus` as SQL over alias `e`, with its parameters. */
function statusCondition(status: FlashSaleStatus, now: Date): [string, unknown[]] {
  switch (status) {
    case UPCOMING:
      return ['e.starts_at > ?', [now]];
    case LIVE:
      return ['e.starts_at <= ? and e.ends_at > ?', [now, now]];
    case ENDED:
      return ['e.ends_at <= ?', [now]];
  }
}

/** Staff PROMOTION_STAFF (or ADMIN), checked again here behind the shield. */
function requireFlashStaff(ctx: Context): void {
  if (!ctx.viewer.hasStaffRole(...PROMOTION_STAFF)) throw new ForbiddenError();
}

// --- Checking input -----------------------------------------------------------------------------

export interface FlashSaleOfferInput {
  /** Database key of the variant. */
  variantId: string;
  salePrice: string;
  quantity: number;
  perUserLimit?: number | null;
}

export interface FlashSaleItemInput extends FlashSaleOfferInput {
  /** Database key of the sale. */
  flashSaleId: string;
}

export interface FlashSaleInput {
  title: string;
  startsAt: Date;
  endsAt: Date;
  items?: FlashSaleOfferInput[] | null;
}

interface Offer {
  variantId: string;
  salePrice: number;
  quantity: number;
  perUserLimit: number;
}

/** An offer's numbers at `path` (each problem an INVALID_INPUT naming its field), in minor units. */
function parseOffer(problems: Problems, offer: FlashSaleOfferInput, path: string[], currency: string): Offer {
  const salePrice = toMinor(offer.salePrice, currency, problems, [...path, 'salePrice']);
  if (salePrice !== null && salePrice <= 0) problems.add(UserErrorCode.INVALID_INPUT, 'The sale price must be more than 0', [...path, 'salePrice']);
  const perUserLimit = offer.perUserLimit ?? 1;
  checkCount(problems, offer.quantity, [...path, 'quantity'], 1, MAX_QUANTITY, 'The quantity');
  checkCount(problems, perUserLimit, [...path, 'perUserLimit'], 1, MAX_PER_USER, 'The limit per buyer');
  return { variantId: offer.variantId, salePrice: salePrice ?? 0, quantity: offer.quantity, perUserLimit };
}

const VARIANT = rowShape({ id: 'key', price: 'number', archived: 'bool', visible: 'bool', shop_id: 'key', shop_status: 'text' });
type VariantRow = RowOf<typeof VARIANT>;

async function variantsOf(em: EntityManager, keys: string[]): Promise<Map<string, VariantRow>> {
  const rows = await selectRows(
    em,
    VARIANT,
    `select v.id, v.price, v.archived, p.visible, v.shop_id, s.status as shop_status
     from product_variant v join product p on p.id = v.product_id join shop s on s.id = v.shop_id where v.id in (?)`,
    [keys],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** The variant is on sale (PRODUCT_UNAVAILABLE) and the sale price below its price (INVALID_INPUT), reported at `path`. */
function checkOffer(problems: Problems, variant: VariantRow, offer: Offer, path: string[]): void {
  if (variant.archived || !variant.visible) problems.add(UserErrorCode.PRODUCT_UNAVAILABLE, 'The variant’s product is not on sale', [...path, 'variantId']);
  else if (offer.salePrice >= variant.price) problems.add(UserErrorCode.INVALID_INPUT, 'The sale price must be less than the variant’s price', [...path, 'salePrice']);
}

const KEY = rowShape({ id: 'key' });

/**
 * Sets an approved item's quantity aside from its variant (`holdFlashUnits`), in the caller's
 * transaction. Approvals of one variant take turns (an advisory lock held until commit), so the
 * check that no approved item of an overlapping sale has the variant (INVALID_INPUT on `fields.variant`)
 * sees every approval before it. A variant short of units is INSUFFICIENT_STOCK on `fields.quantity`.
 */
async function setAside(ctx: Context, em: EntityManager, item: FlashSaleItem, sale: FlashSale, fields: { variant: string[]; quantity: string[] }): Promise<void> {
  const variantId = item.variant.id;
  await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`flash-sale-variant:${variantId}`]);
  const clash = await selectRows(
    em,
    KEY,
    `select i.id from flash_sale_item i join flash_sale s on s.id = i.flash_sale_id
     where i.variant_id = ? and i.status = ? and i.id <> ? and s.starts_at < ? and s.ends_at > ? limit 1`,
    [variantId, APPROVED, item.id, sale.endsAt, sale.startsAt],
  );
  if (clash.length > 0) throw new Failure(UserErrorCode.INVALID_INPUT, 'The variant is already in an approved item of a flash sale at the same time', fields.variant);
  try {
    // Last: it locks the variant, which its buyers wait for.
    await holdFlashUnits(em, { id: item.id, variantId, quantity: item.quantity }, ctx.now(), ctx.viewer.userId);
  } catch (err) {
    if (err instanceof Failure) throw new Failure(err.errors.map((e) => ({ ...e, field: fields.quantity })));
    throw err;
  }
}

const summary = (s: FlashSale, items: FlashSaleItem[]) => ({
  title: s.title,
  startsAt: s.startsAt.toISOString(),
  endsAt: s.endsAt.toISOString(),
  items: items.map((i) => ({ id: i.id, variantId: i.variant.id, salePrice: i.salePrice, quantity: i.quantity, perUserLimit: i.perUserLimit })),
});

// --- Creating, nominating, reviewing ------------------------------------------------------------

/**
 * Creates a flash sale (staff PROMOTION_STAFF; audited): a title of 2–40 characters and a window
 * that ends after it starts, in the future, at most MAX_FLASH_SALE_DAYS long. Items staff list
 * (different variants of products on sale, any shop's, each below its variant's price) are
 * approved at once and their quantities set aside, all or none; the platform funds their price
 * (a platform subsidy: the shop is paid its normal price), as the shop did not nominate them.
 */
export async function createFlashSale(ctx: Context, input: FlashSaleInput): Promise<FlashSale> {
  requireFlashStaff(ctx);
  const problems = new Problems();
  const title = checkText(problems, input.title, ['input', 'title'], 2, 40, 'Title');
  checkWindow(problems, input.startsAt, input.endsAt, ctx.now(), ['startsAt', 'endsAt'], MAX_FLASH_SALE_DAYS);
  const listed = input.items ?? [];
  if (listed.length > MAX_FLASH_SALE_ITEMS) problems.add(UserErrorCode.INVALID_INPUT, `A sale is created with at most ${MAX_FLASH_SALE_ITEMS} items`, ['input', 'items']);
  const path = (i: number) => ['input', 'items', String(i)];
  const offers = listed.map((o, i) => parseOffer(problems, o, path(i), ctx.deps.config.currency));
  offers.forEach((o, i) => {
    if (offers.findIndex((x) => x.variantId === o.variantId) < i) problems.add(UserErrorCode.INVALID_INPUT, 'The variant is listed twice', [...path(i), 'variantId']);
  });
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const now = ctx.now();
    const staff = em.getReference(User, ctx.viewer.userId!);
    const sale = em.create(FlashSale, { title, startsAt: input.startsAt, endsAt: input.endsAt, createdBy: staff, createdAt: now, updatedAt: now });
    const items: FlashSaleItem[] = [];
    if (offers.length > 0) {
      const variants = await variantsOf(em, offers.map((o) => o.variantId));
      const found = new Problems();
      offers.forEach((o, i) => {
        const variant = variants.get(o.variantId);
        if (!variant) found.add(UserErrorCode.INVALID_INPUT, 'No such variant', [...path(i), 'variantId']);
        else checkOffer(found, variant, o, path(i));
      });
      found.throwIfAny();
      for (const o of offers) {
        const shop = em.getReference(Shop, variants.get(o.variantId)!.shop_id);
        const fields = { salePrice: o.salePrice, quantity: o.quantity, perUserLimit: o.perUserLimit, variant: em.getReference(ProductVariant, o.variantId) };
        // Placed by staff, not nominated by the shop: the platform funds its price (the shop is paid its normal price).
        items.push(em.create(FlashSaleItem, { ...fields, flashSale: sale, shop, status: APPROVED, fundedBy: Funder.PLATFORM, nominatedBy: staff, reviewedBy: staff, createdAt: now, updatedAt: now }));
      }
    }
    await em.flush();
    // In variant order, so that two sales created at once lock shared variants in one order.
    const order = items.map((item, i) => ({ item, i })).sort((a, b) => Number(BigInt(a.item.variant.id) - BigInt(b.item.variant.id)));
    for (const { item, i } of order) await setAside(ctx, em, item, sale, { variant: [...path(i), 'variantId'], quantity: [...path(i), 'quantity'] });
    recordAudit(ctx, em, { action: 'flashSale.create', targetType: 'FlashSale', targetId: sale.id, after: summary(sale, items) });
    await em.flush();
    return sale;
  });
}

/**
 * A shop's PROMOTION_ROLES member nominates a variant of their ACTIVE shop (SHOP_NOT_ACTIVE) for a
 * sale that has not started (INVALID_TRANSITION): a variant of a product on sale
 * (PRODUCT_UNAVAILABLE), at a sale price below its price. Another shop's variant does not exist for
 * them (NOT_FOUND). One item per variant and sale (INVALID_INPUT on `variantId`, the unique index
 * deciding between two at once). The item waits, NOMINATED, for staff.
 */
export async function nominateFlashSaleItem(ctx: Context, input: FlashSaleItemInput): Promise<FlashSaleItem> {
  const problems = new Problems();
  const offer = parseOffer(problems, input, ['input'], ctx.deps.config.currency);
  problems.throwIfAny();
  const taken = (message: string) =>
    message.includes('flash_sale_item_variant_unique') ? new Failure(UserErrorCode.INVALID_INPUT, 'The variant is already nominated for this flash sale', ['input', 'variantId']) : undefined;
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        const variant = (await variantsOf(em, [input.variantId])).get(input.variantId);
        if (!variant) throw new NotFoundError('No such variant');
        // The role re-read under the shop's lock: the shield rule ran before the transaction.
        const shop = await lockShopAsMember(ctx, em, variant.shop_id, PROMOTION_ROLES);
        if (shop.status !== ShopStatus.ACTIVE) throw new Failure(UserErrorCode.SHOP_NOT_ACTIVE, `The shop is ${shop.status}: only ACTIVE shops take part in flash sales`, ['input', 'variantId']);
        await assertShopUnrestricted(em, shop, ['input', 'variantId']);
        const sale = await entityWhere(em, FlashSale, 'e.id = ?', [input.flashSaleId]);
        if (!sale) throw new NotFoundError('No such flash sale');
        const now = ctx.now();
        if (flashSaleStatus(sale, now) !== UPCOMING) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'Nominations close when the flash sale starts', ['input', 'flashSaleId']);
        const found = new Problems();
        checkOffer(found, variant, offer, ['input']);
        found.throwIfAny();
        const item = em.create(FlashSaleItem, {
          salePrice: offer.salePrice,
          quantity: offer.quantity,
          perUserLimit: offer.perUserLimit,
          flashSale: sale,
          shop,
          variant: em.getReference(ProductVariant, offer.variantId),
          nominatedBy: em.getReference(User, ctx.viewer.userId!),
          createdAt: now,
          updatedAt: now,
        });
        await em.flush();
        return item;
      }),
    taken,
  );
}

export interface ReviewFlashSaleItemInput {
  /** Database key of the item. */
  itemId: string;
  decision: FlashSaleItemDecision;
  reason?: string | null;
}

/**
 * Staff PROMOTION_STAFF approve or reject a NOMINATED item (else INVALID_TRANSITION) of a sale that
 * has not ended (INVALID_TRANSITION); audited. A rejection needs a reason of 3–200 characters
 * (REASON_REQUIRED). Approval needs the variant still on sale (PRODUCT_UNAVAILABLE) and free of
 * overlapping sales (INVALID_INPUT), and sets the quantity aside now (INSUFFICIENT_STOCK when the
 * variant lacks it: nothing changes).
 */
export async function reviewFlashSaleItem(ctx: Context, input: ReviewFlashSaleItemInput): Promise<FlashSaleItem> {
  requireFlashStaff(ctx);
  const reason = input.reason?.trim() || null;
  if (input.decision === FlashSaleItemDecision.REJECT && (reason === null || charLength(reason) < 3 || charLength(reason) > 200)) {
    throw new Failure(UserErrorCode.REASON_REQUIRED, 'Give a reason (3 to 200 characters)', ['input', 'reason']);
  }
  const field = ['input', 'itemId'];
  return ctx.em.transactional(async (em) => {
    const item = await lockById(em, FlashSaleItem, input.itemId);
    if (!item) throw new NotFoundError('No such flash-sale item');
    // Shared: `end-flash-sales` cannot settle the sale meanwhile (it skips it until its next run),
    // so units set aside here are returned with the others.
    const sale = (await lockById(em, FlashSale, item.flashSale.id, 'share'))!;
    const before = item.status;
    const to = transition(FLASH_ITEM_TRANSITIONS, input.decision, before, 'flash-sale item');
    const now = ctx.now();
    if (sale.settledAt || flashSaleStatus(sale, now) === ENDED) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'The flash sale has ended', field);
    if (to === APPROVED) {
      const variant = (await variantsOf(em, [item.variant.id])).get(item.variant.id)!;
      if (variant.archived || !variant.visible) throw new Failure(UserErrorCode.PRODUCT_UNAVAILABLE, 'The variant’s product is no longer on sale', field);
    }
    Object.assign(item, { status: to, reason: to === REJECTED ? reason : null, reviewedBy: em.getReference(User, ctx.viewer.userId!), updatedAt: now });
    await em.flush();
    if (to === APPROVED) await setAside(ctx, em, item, sale, { variant: field, quantity: field });
    const action = to === APPROVED ? 'approve' : 'reject';
    recordAudit(ctx, em, { action: `flashSaleItem.${action}`, targetType: 'FlashSaleItem', targetId: item.id, before: { status: before }, after: { status: to, reason: item.reason ?? null } });
    await em.flush();
    return item;
  });
}

/** `end-flash-sales`: every sale ended by `deps.clock.now()` and not settled returns its unsold units to stock. */
export function endFlashSales(deps: SystemDeps, em: EntityManager): Promise<number> {
  return settleFlashSales(em, deps.clock.now());
}

// --- Reading ------------------------------------------------------------------------------------

/** One sale by database key: sales are public. */
export function visibleFlashSale(ctx: Context, key: string): Promise<FlashSale | null> {
  return ctx.loaders.flashSaleById.load(key);
}

/**
 * Flash sales, keyset on (starts_at, id): UPCOMING and LIVE ones the soonest start first, ENDED
 * ones and the unfiltered list the latest start first. Public.
 */
export async function listFlashSales(ctx: Context, args: PageArgs & { filter?: { status?: FlashSaleStatus | null } | null }): Promise<Page<FlashSale>> {
  const window = pageWindow(args, ['timestamp', 'id']);
  const status = args.filter?.status ?? null;
  const direction = status === UPCOMING || status === LIVE ? 'asc' : 'desc';
  const now = ctx.now();
  const base = () => {
    const qb = ctx.em.createQueryBuilder(FlashSale, 'e');
    if (status) qb.andWhere(...statusCondition(status, now));
    return qb;
  };
  const rows = await applyKeyset(base(), [{ column: 'e.starts_at', direction }, { column: 'e.id', direction }], window).getResultList();
  return page(rows, window, (s) => [s.startsAt.toISOString(), s.id], () => base().getCount());
}

/** Whether the viewer sees `item` in any state, with its review: staff PROMOTION_STAFF, its shop's members. */
export async function isFlashItemInsider(ctx: Context, item: FlashSaleItem): Promise<boolean> {
  return ctx.viewer.hasStaffRole(...PROMOTION_STAFF) || (await ctx.viewer.roleIn(item.shop.id)) !== undefined;
}

/** The items of a sale the viewer sees, oldest first: APPROVED ones to anyone, every one to staff PROMOTION_STAFF and to its shop's members. */
export async function visibleFlashSaleItems(ctx: Context, saleKey: string): Promise<FlashSaleItem[]> {
  const items = await ctx.loaders.flashSaleItemsBySaleId.load(saleKey);
  if (ctx.viewer.hasStaffRole(...PROMOTION_STAFF) || items.every((i) => i.status === APPROVED)) return items;
  const shops = await ctx.viewer.memberships();
  return items.filter((i) => i.status === APPROVED || shops.has(i.shop.id));
}

/** One item by database key, as `visibleFlashSaleItems` shows it; else null. */
export async function visibleFlashSaleItem(ctx: Context, key: string): Promise<FlashSaleItem | null> {
  const item = await ctx.loaders.flashSaleItemById.load(key);
  return item && (item.status === APPROVED || (await isFlashItemInsider(ctx, item))) ? item : null;
}
