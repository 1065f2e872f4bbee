import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { entityWhere, lockRowsOf, type RowOf, rowShape } from '../../db/rows';
import { dailyNumbers } from '../../db/numbers';
import { Address, Checkout, Order, OrderEventType, OrderLine, type ShippingAddress, Shop, User } from '../../entities';
import { BadInputError, Failure, Problems, UserErrorCode } from '../../errors';
import { reserveStock } from '../inventory';
import { commissionOn } from '../shared';
import { addEvent } from './lifecycle';
import { quoteShipping } from './shipping';

export interface CheckoutInput {
  /** Database key of an address of the buyer's. */
  addressId: string;
  /** Database keys of the cart lines to buy; all lines when omitted. */
  lineIds?: string[] | null;
  /** A note to every shop of the checkout (訂單備註). */
  note?: string | null;
}

const KEY = /^[A-Za-z0-9._:-]{8,100}$/;

const LINE_ROW = rowShape({
  line_id: 'key',
  quantity: 'int',
  variant_id: 'key',
  sku: 'text',
  variant_title: 'text',
  price: 'number',
  archived: 'bool',
  available: 'number',
  product_id: 'key',
  product_title: 'text',
  visible: 'bool',
  shipping_template_id: 'key?',
  shop_id: 'key',
  commission_rate: 'text',
});
type LineRow = RowOf<typeof LINE_ROW>;

/**
 * Places one order per shop from the buyer's cart, in one transaction: validates the lines, the
 * address and availability; snapshots titles, SKUs, prices, address and fees; reserves stock with
 * one conditional update; clears the bought cart lines. The same `idempotencyKey` from the same
 * buyer returns the first checkout and creates nothing (requests with one key are serialised by
 * an advisory lock, so a race resolves the same way).
 */
export async function checkout(ctx: Context, input: CheckoutInput, idempotencyKey: string): Promise<Checkout> {
  if (!KEY.test(idempotencyKey)) throw new BadInputError('`idempotencyKey` is 8–100 letters, digits, ".", "_", ":" or "-" (a UUID is ideal)', 'idempotencyKey');
  const buyerId = ctx.viewer.userId!;
  const note = input.note?.trim() || null;
  if (note && [...note].length > 200) throw new Failure(UserErrorCode.INVALID_INPUT, 'A note has at most 200 characters', ['input', 'note']);
  return ctx.em.transactional(async (em) => {
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`checkout:${buyerId}:${idempotencyKey}`]);
    const earlier = await entityWhere(em, Checkout, 'e.buyer_id = ? and e.idempotency_key = ?', [buyerId, idempotencyKey]);
    if (earlier) return earlier;

    const address = await entityWhere(em, Address, 'e.id = ? and e.user_id = ?', [input.addressId, buyerId]);
    if (!address) throw new Failure(UserErrorCode.ADDRESS_NOT_FOUND, 'No such address in your address book', ['input', 'addressId']);
    const rows = await lockCartLines(em, buyerId, input.lineIds, ctx.deps.config.defaultCommissionRate);
    if (rows.length === 0) throw new Failure(UserErrorCode.EMPTY_CART, 'Your cart has nothing to check out', ['input', 'lineIds']);

    const problems = new Problems();
    for (const r of rows) {
      const field = ['lines', r.line_id];
      // `visible`: an approved version on sale in an ACTIVE shop.
      if (!r.visible || r.archived) {
        problems.add(UserErrorCode.PRODUCT_UNAVAILABLE, `${r.product_title} is not on sale`, field);
      } else if (r.quantity > r.available) {
        problems.add(UserErrorCode.INSUFFICIENT_STOCK, `Only ${Math.max(r.available, 0)} of ${r.sku} available`, field);
      }
    }
    problems.throwIfAny();

    const groups = groupByShop(rows);
    const fees = await quoteShipping(em, groups.map((g) => ({
      shopId: g.shopId,
      subtotal: g.subtotal,
      lines: g.rows.map((r) => ({ templateId: r.shipping_template_id, quantity: r.quantity })),
    })), address.province);
    const now = ctx.now();
    // The placing date in China time and a cluster-wide sequence, e.g. 20261123000042.
    const numbers = await dailyNumbers(em, 'order_number_seq', groups.length, now);
    const snapshot: ShippingAddress = {
      recipientName: address.recipientName,
      phone: address.phone,
      province: address.province,
      city: address.city,
      district: address.district,
      line1: address.line1,
      postalCode: address.postalCode ?? null,
    };
    const checkoutRow = em.create(Checkout, {
      buyer: em.getReference(User, buyerId),
      idempotencyKey,
      total: 0,
      expiresAt: new Date(now.getTime() + ctx.deps.config.orders.checkoutTtlMinutes * 60_000),
    });
    const orders = groups.map((g, i) => {
      const shippingFee = fees.get(g.shopId) ?? 0;
      const order = em.create(Order, {
        number: numbers[i],
        checkout: checkoutRow,
        shop: em.getReference(Shop, g.shopId),
        buyer: em.getReference(User, buyerId),
        subtotal: g.subtotal,
        shippingFee,
        discountTotal: 0,
        total: g.subtotal + shippingFee,
        shippingAddress: snapshot,
        note,
        placedAt: now,
      });
      for (const r of g.rows) {
        const lineTotal = r.price * r.quantity;
        const commission = commissionOn(lineTotal, r.commission_rate);
        order.commission += commission;
        em.create(OrderLine, {
          order,
          variant: r.variant_id,
          productId: r.product_id,
          productTitle: r.product_title,
          variantTitle: r.variant_title,
          sku: r.sku,
          unitPrice: r.price,
          quantity: r.quantity,
          lineTotal,
          commissionRate: r.commission_rate,
          commission,
        });
      }
      addEvent(em, order, OrderEventType.PLACED, now);
      return order;
    });
    checkoutRow.total = orders.reduce((sum, o) => sum + o.total, 0);
    await em.flush();
    await em.execute('delete from cart_line where id in (?)', [rows.map((r) => r.line_id)]);

    // The reservation comes last: it locks the variants, which every other buyer of them waits
    // for, so they stay locked only for its one statement (update, ledger, alerts) and the commit.
    const wanted = groups.flatMap((g, i) => g.rows.map((r) => ({ variantId: r.variant_id, quantity: r.quantity, orderId: orders[i].id })));
    const reservation = await reserveStock(em, wanted, now, buyerId);
    if (reservation.short.length > 0) {
      // Someone bought the last units between the read and the reservation: nothing was reserved,
      // and the rollback undoes the orders above.
      const short = new Set(reservation.short);
      throw new Failure(rows.filter((r) => short.has(r.variant_id)).map((r) => ({
        code: UserErrorCode.INSUFFICIENT_STOCK,
        message: `Not enough ${r.sku} available`,
        field: ['lines', r.line_id],
      })));
    }
    return checkoutRow;
  });
}

/**
 * The buyer's cart lines to buy (`keys`, or all), locked in id order (a concurrent checkout of the
 * same lines waits, then finds them gone), with their variants and products as they are now.
 */
async function lockCartLines(em: EntityManager, buyerId: string, keys: string[] | null | undefined, defaultRate: string): Promise<LineRow[]> {
  if (keys && keys.length === 0) return [];
  const rows = await lockRowsOf(
    em,
    LINE_ROW,
    `select c.id as line_id, c.quantity, v.id as variant_id, v.sku, v.title as variant_title, v.price, v.archived,
            v.on_hand - v.reserved as available, p.id as product_id, p.title as product_title,
            p.visible, p.shipping_template_id, p.shop_id,
            -- The commission rate: the shop's own, else the nearest category up the product's path that has one, else the default.
            coalesce(
              s.commission_rate,
              (select cat.own_commission_rate from category cat
               where cat.id = any(string_to_array(trim(both '/' from p.category_path), '/')::bigint[]) and cat.own_commission_rate is not null
               order by cat.depth desc limit 1),
              ?::numeric
            )::text as commission_rate
     from cart_line c
     join product_variant v on v.id = c.variant_id
     join product p on p.id = v.product_id
     join shop s on s.id = p.shop_id
     where c.user_id = ? ${keys ? 'and c.id in (?)' : ''}
     order by c.id`,
    keys ? [defaultRate, buyerId, keys] : [defaultRate, buyerId],
    { of: 'c' },
  );
  if (keys && rows.length !== new Set(keys).size) throw new Failure(UserErrorCode.INVALID_INPUT, 'A line is not in your cart', ['input', 'lineIds']);
  return rows;
}

function groupByShop(rows: LineRow[]): { shopId: string; rows: LineRow[]; subtotal: number }[] {
  const groups = new Map<string, { shopId: string; rows: LineRow[]; subtotal: number }>();
  for (const r of rows) {
    const g = groups.get(r.shop_id) ?? { shopId: r.shop_id, rows: [], subtotal: 0 };
    g.rows.push(r);
    g.subtotal += r.price * r.quantity;
    groups.set(r.shop_id, g);
  }
  return [...groups.values()];
}
