import type { Context } from '../../context';
import type { EntityManager } from '@mikro-orm/postgresql';
import { columnsOf, lockRowsOf, mapAliased, type RowOf, rowShape, selectRows } from '../../db/rows';
import { CartLine, Product, ProductVariant, type Shop } from '../../entities';
import { Failure, NotFoundError, UserErrorCode } from '../../errors';
import { Cart, CartLineProblem, CartShopGroup } from '../../schema/orders/cart';
import { defaultAddress, lockUser } from '../identity';
import { quoteShipping } from './shipping';

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

/** Why a line cannot be bought as it is, or null when it can. */
export function lineProblem(quantity: number, variant: Pick<ProductVariant, 'archived' | 'onHand' | 'reserved'>, product: Pick<Product, 'visible'>): CartLineProblem | null {
  if (!product.visible || variant.archived) return CartLineProblem.UNAVAILABLE;
  if (quantity > variant.onHand - variant.reserved) return CartLineProblem.INSUFFICIENT_STOCK;
  return null;
}

/** The user's cart lines, newest first, with their variants and products loaded: one statement. */
async function cartLines(em: EntityManager, userId: string): Promise<CartLine[]> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `select ${columnsOf(em, CartLine, 'c', true)}, ${columnsOf(em, ProductVariant, 'v', true)}, ${columnsOf(em, Product, 'p', true)}
     from cart_line c join product_variant v on v.id = c.variant_id join product p on p.id = v.product_id
     where c.user_id = ? order by c.id desc`,
    [userId],
  );
  return rows.map((row) => {
    mapAliased(em, ProductVariant, row, 'v');
    mapAliased(em, Product, row, 'p');
    // The line's variant and the variant's product resolve to the entities just mapped.
    return mapAliased(em, CartLine, row, 'c');
  });
}

/** The viewer's cart, priced and grouped by shop, with shipping quoted for their default address. */
export async function loadCart(ctx: Context): Promise<Cart> {
  const userId = ctx.viewer.userId!;
  const [lines, address] = await Promise.all([
    cartLines(ctx.em, userId),
    defaultAddress(ctx.em, userId),
  ]);

  interface Group { shopId: string; lines: CartLine[]; subtotal: number; buyable: { templateId: string | null; quantity: number }[] }
  const groups = new Map<string, Group>();
  for (const line of lines) {
    const variant = line.variant;
    const product = variant.product;
    // The cart's field resolvers read variants and products through the loaders: hand them these.
    ctx.loaders.variantById.clear(variant.id).prime(variant.id, variant);
    ctx.loaders.productById.clear(product.id).prime(product.id, product);
    const group = groups.get(product.shop.id) ?? { shopId: product.shop.id, lines: [], subtotal: 0, buyable: [] };
    groups.set(group.shopId, group);
    group.lines.push(line);
    if (lineProblem(line.quantity, variant, product) === null) {
      group.subtotal += variant.price * line.quantity;
      group.buyable.push({ templateId: product.shippingTemplate?.id ?? null, quantity: line.quantity });
    }
  }

  const list = [...groups.values()];
  const [fees, shops] = await Promise.all([
    quoteShipping(ctx.em, list.map((g) => ({ shopId: g.shopId, subtotal: g.subtotal, lines: g.buyable })), address?.province ?? null),
    ctx.loaders.shopById.loadMany(list.map((g) => g.shopId)),
  ]);
  const cartGroups = list.map((g, i) =>
    Object.assign(new CartShopGroup(), { shop: shops[i] as Shop, lines: g.lines, subtotalMinor: g.subtotal, shippingFeeMinor: g.buyable.length ? (fees.get(g.shopId) ?? 0) : 0 }),
  );
  return Object.assign(new Cart(), {
    id: userId,
    lines,
    groups: cartGroups,
    shippingAddress: address,
    subtotalMinor: cartGroups.reduce((sum, g) => sum + g.subtotalMinor, 0),
    shippingTotalMinor: cartGroups.reduce((sum, g) => sum + g.shippingFeeMinor, 0),
  });
}

function checkQuantity(quantity: number, min: number): void {
  if (!Number.isInteger(quantity) || quantity < min || quantity > MAX_LINE_QUANTITY) {
    throw new Failure(UserErrorCode.INVALID_INPUT, `Quantity must be a whole number from ${min} to ${MAX_LINE_QUANTITY}`, ['input', 'quantity']);
  }
}

/** Whether a variant is on sale, and how many of its units are available now. */
const AVAILABILITY = rowShape({ archived: 'bool', visible: 'bool', available: 'number' });
const LINE_AVAILABILITY = rowShape({ ...AVAILABILITY, quantity: 'int' });

async function availabilityOf(em: EntityManager, variantKey: string): Promise<RowOf<typeof AVAILABILITY> | undefined> {
  const [row] = await selectRows(
    em,
    AVAILABILITY,
    'select v.archived, p.visible, v.on_hand - v.reserved as available from product_variant v join product p on p.id = v.product_id where v.id = ?',
    [variantKey],
  );
  return row;
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
    const variant = await availabilityOf(em, variantKey);
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
    if (line.quantity > variant.available) {
      throw new Failure(UserErrorCode.INSUFFICIENT_STOCK, `Only ${Math.max(variant.available, 0)} available`, ['input', 'quantity']);
    }
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
      `select c.quantity, v.archived, p.visible, v.on_hand - v.reserved as available
       from cart_line c join product_variant v on v.id = c.variant_id join product p on p.id = v.product_id
       where c.id = ? and c.user_id = ?`,
      [key, userId],
      { of: 'c' },
    );
    if (!line) throw new NotFoundError('No such cart line');
    if (input.quantity === 0) {
      await em.execute('delete from cart_line where id = ?', [key]);
      return;
    }
    if (input.quantity > line.quantity) {
      if (!line.visible || line.archived) throw new Failure(UserErrorCode.PRODUCT_UNAVAILABLE, 'This product is not on sale', ['input', 'lineId']);
      if (input.quantity > line.available) {
        throw new Failure(UserErrorCode.INSUFFICIENT_STOCK, `Only ${Math.max(line.available, 0)} available`, ['input', 'quantity']);
      }
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
