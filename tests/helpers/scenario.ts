import { randomBytes } from 'node:crypto';
import { ShopMemberRole, StaffRole, type User } from '../../src/entities';
import { ManualClock } from '../../src/services/shared';
import type { GqlResult, TestApp } from './app';
import { newKey, PAY, webhook } from './buying';
import { createProduct, listedProduct, productInput, type Seller, seller, staff } from './catalog';
import { createCategory, createUser, signIn, userWithToken } from './factories';
import { idOf, keyOf } from './kit';

/**
 * Scenarios in a line, set up through the API as a client would:
 *
 *   const s = await scenario(t).shop().product({ stock: 10, price: 1999 }).buyer().inCart(2).paid().run();
 *   s.shop.owner.token, s.product.id, s.variantKeys, s.buyer.token, s.order.status // 'PAID'
 *
 * Each call queues a step; `run()` performs the queued steps in order and resolves to the
 * scenario's state. The builder keeps that state, so it can go on after a `run()`:
 *
 *   const journey = scenario(t).shop().product().buyer().inCart(1).checkout();
 *   const s = await journey.run();        // s.order.status: 'PENDING_PAYMENT'
 *   await journey.shipped().run();        // paid, then shipped: s.order.status is 'SHIPPED'
 *
 * `shop()`, `product()` and `buyer()` make something new (or adopt what they are given) and make it
 * the current one; `inCart` puts the current product in the current buyer's cart (making a shop,
 * product or buyer first when there is none). The order steps move every order of the latest
 * checkout: `checkout` → `paid` (payCheckout, then the mock provider's signed webhook) → `accepted`
 * → `shipped` → `delivered` (the buyer confirms) → `completed` (the test clock passes
 * AFTER_SALES_DAYS and an ADMIN runs the `complete-orders` task; needs a ManualClock). A step takes the steps it
 * needs first: `delivered()` after `checkout()` pays and ships; `shipped()` does not accept.
 *
 * What has no API is done in the database: users (then signed in through `login`) and a shop's
 * status (see `seller`; the whole onboarding is tests/merchant-journey.test.ts).
 */

export interface Account {
  user: User;
  token: string;
}

/** A shopper with a default address (made with `createAddress`). */
export interface Shopper extends Account {
  addressId: string;
}

/** A shop with its OWNER (`owner`) and the members the scenario added, by role. */
export interface ScenarioShop extends Seller {
  members: Partial<Record<ShopMemberRole, Account>>;
}

export interface ScenarioProduct {
  id: string;
  shop: ScenarioShop;
  /** Global IDs of the live variants, in position order. */
  variantIds: string[];
  /** Their database keys (what `stockOf`, `cartLine` and SQL take). */
  variantKeys: string[];
}

/** A price: a number is in minor units (1999 = 19.99), a string an amount ('19.99'). */
export type Price = number | string;

export interface VariantSpec {
  /** Units on hand (10). */
  stock?: number;
  /** '100.00'. */
  price?: Price;
  /** The low-stock warning line. */
  threshold?: number;
  title?: string;
}

export interface ProductSpec {
  /** Shorthand for one variant: units on hand (10). */
  stock?: number;
  /** Shorthand for one variant: its price ('100.00'). */
  price?: Price;
  /** Shorthand for one variant: its low-stock warning line. */
  threshold?: number;
  /** One variant per entry, instead of the shorthands. */
  variants?: VariantSpec[];
  title?: string;
  description?: string;
  tags?: string[];
  categoryId?: string;
  brandId?: string;
  shippingTemplateId?: string;
  /** Submitted and approved, so on sale (the default); false leaves it a DRAFT. */
  listed?: boolean;
}

export interface ShopSpec {
  /** Members to add besides the OWNER, invited and joined through the API. */
  members?: ShopMemberRole[];
  /** The shop's status (ACTIVE). */
  status?: string;
}

/** An order as its buyer sees it (see ORDER_FIELDS), with its database key. */
export type ScenarioOrder = Record<string, any> & { id: string; key: string; status: string; total: { amount: string; amountMinor: number } };

export const ORDER_FIELDS = `id number status placedAt paidAt shippedAt deliveredAt completedAt
  subtotal { amount amountMinor } shippingFee { amount amountMinor } discountTotal { amount amountMinor } total { amount amountMinor }
  shop { id } shippingAddress { province recipientName }
  lines { productTitle sku quantity unitPrice { amountMinor } lineTotal { amountMinor } }
  shipments { carrier trackingNumber shippedAt } events { type status note } refunds { status reason amount { amountMinor } }`;

const CART_FIELDS = 'id subtotal { amount amountMinor } shippingTotal { amount amountMinor } total { amount amountMinor } lines { id quantity problem variant { id } }';
const ADD_TO_CART = `mutation($input: AddToCartInput!) { addToCart(input: $input) { cart { ${CART_FIELDS} } errors { code field message } } }`;
const CHECKOUT = `mutation($input: CheckoutInput!, $key: String!) { checkout(input: $input, idempotencyKey: $key) {
  checkout { id status expiresAt total { amount amountMinor } orders { ${ORDER_FIELDS} } } errors { code field message } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
const ACCEPT = `mutation($input: IdInput!) { acceptOrder(input: $input) { order { ${ORDER_FIELDS} } errors { code field message } } }`;
const SHIP = `mutation($input: ShipOrderInput!) { shipOrder(input: $input) { order { ${ORDER_FIELDS} } errors { code field message } } }`;
const CONFIRM = `mutation($input: IdInput!) { confirmDelivery(input: $input) { order { ${ORDER_FIELDS} } errors { code field message } } }`;
const CREATE_ADDRESS = `mutation($input: AddressInput!) { createAddress(input: $input) { address { id } errors { code field message } } }`;
const INVITE = `mutation($input: InviteShopMemberInput!) { inviteShopMember(input: $input) { invitation { id } invitationToken errors { code field message } } }`;
const JOIN = `mutation($input: AcceptShopInvitationInput!) { acceptShopInvitation(input: $input) { shopMember { id } errors { code field message } } }`;
const VARIANTS = `query($id: ID!) { product(id: $id) { variants { id } } }`;
const RUN_TASK = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code field message } } }`;

const DAY = 86_400_000;
const MINUTE = 60_000;

/** The payload of mutation `name`, or an error naming the step when it threw or reported errors. */
function must(res: GqlResult, name: string): any {
  const payload = res.data?.[name];
  if (res.errors || !payload || payload.errors?.length) throw new Error(`scenario: ${name} failed: ${JSON.stringify(res.errors ?? payload?.errors)}`);
  return payload;
}

const amount = (price: Price) => (typeof price === 'number' ? (price / 100).toFixed(2) : price);
const asVariantId = (variant: string) => (/^\d+$/.test(variant) ? idOf('ProductVariant', variant) : variant);

/** A reviewer and a category per test app, made once, for scenarios that are given none. */
const defaults = new WeakMap<TestApp, Promise<{ reviewerToken: string; categoryId: string }>>();
function defaultsFor(t: TestApp) {
  let made = defaults.get(t);
  if (!made) {
    made = (async () => ({ reviewerToken: (await staff(t, StaffRole.REVIEWER)).token, categoryId: idOf('Category', (await createCategory(t)).id) }))();
    defaults.set(t, made);
  }
  return made;
}

/** An ADMIN per test app, made once, to run scheduled tasks. */
const admins = new WeakMap<TestApp, Promise<string>>();
function adminFor(t: TestApp): Promise<string> {
  let made = admins.get(t);
  if (!made) {
    made = staff(t, StaffRole.ADMIN).then((a) => a.token);
    admins.set(t, made);
  }
  return made;
}

/** A new user who joins `s` with `role`: invited by the owner, then accepting with the secret. */
export async function joinShop(t: TestApp, s: Seller, role: ShopMemberRole): Promise<Account> {
  const user = await createUser(t);
  const invited = must(await t.gql(INVITE, { input: { shopId: s.shopId, email: user.email, role } }, { token: s.owner.token }), 'inviteShopMember');
  const { accessToken: token } = await signIn(t, user.email);
  must(await t.gql(JOIN, { input: { id: invited.invitation.id, token: invited.invitationToken } }, { token }), 'acceptShopInvitation');
  return { user, token };
}

/** A new user with a default address in `province`, made with `createAddress`. */
export async function newShopper(t: TestApp, province = '浙江省'): Promise<Shopper> {
  const { user, token } = await userWithToken(t);
  const input = { recipientName: '王小明', phone: '13812345678', province, city: '杭州市', district: '西湖區', line1: '文三路 100 號' };
  const { address } = must(await t.gql(CREATE_ADDRESS, { input }, { token }), 'createAddress');
  return { user, token, addressId: address.id };
}

/** What a scenario has made so far. Reading something it has not made throws, naming the step. */
export class Scenario {
  readonly shops: ScenarioShop[] = [];
  readonly products: ScenarioProduct[] = [];
  readonly buyers: Shopper[] = [];
  /** The current ones. */
  currentShop?: ScenarioShop;
  currentProduct?: ScenarioProduct;
  currentBuyer?: Shopper;
  /** Per buyer: the cart as the last `addToCart` returned it, and the lines `inCart` made, in order. */
  readonly carts = new Map<Shopper, { cart: Record<string, any>; lineIds: string[] }>();
  lastCheckout?: { checkout: Record<string, any>; buyer: Shopper; orders: ScenarioOrder[] };
  lastPayment?: Record<string, any>;

  get shop(): ScenarioShop {
    return need(this.currentShop, 'shop()');
  }
  get product(): ScenarioProduct {
    return need(this.currentProduct, 'product()');
  }
  /** The current product's variant keys. */
  get variantKeys(): string[] {
    return this.product.variantKeys;
  }
  /** The current product's variant global IDs. */
  get variantIds(): string[] {
    return this.product.variantIds;
  }
  get buyer(): Shopper {
    return need(this.currentBuyer, 'buyer()');
  }
  /** The current buyer's cart as the last `inCart` left it. */
  get cart(): Record<string, any> {
    return need(this.carts.get(this.buyer), 'inCart()').cart;
  }
  /** The current buyer's cart lines made by `inCart`, in order (emptied by a checkout). */
  get cartLineIds(): string[] {
    return this.carts.get(this.buyer)?.lineIds ?? [];
  }
  /** The latest checkout as `checkout` returned it. */
  get checkout(): Record<string, any> {
    return need(this.lastCheckout, 'checkout()').checkout;
  }
  /** The latest checkout's orders, as they are after the last step. */
  get orders(): ScenarioOrder[] {
    return need(this.lastCheckout, 'checkout()').orders;
  }
  /** The first order of the latest checkout. */
  get order(): ScenarioOrder {
    return this.orders[0];
  }
  /** The payment `paid()` opened (as payCheckout returned it). */
  get payment(): Record<string, any> {
    return need(this.lastPayment, 'paid()');
  }
}

function need<T>(value: T | undefined, step: string): T {
  if (value === undefined) throw new Error(`scenario: nothing yet — call ${step} first`);
  return value;
}

enum Stage {
  NONE,
  CHECKED_OUT,
  PAID,
  ACCEPTED,
  SHIPPED,
  DELIVERED,
  COMPLETED,
}

export class ScenarioBuilder {
  readonly state = new Scenario();
  private readonly queue: (() => Promise<void>)[] = [];
  private stage = Stage.NONE;

  constructor(
    private readonly t: TestApp,
    private readonly opts: { reviewer?: { token: string }; categoryId?: string } = {},
  ) {}

  /** Performs the queued steps, in order; resolves to the state (the same object every time). */
  async run(): Promise<Scenario> {
    while (this.queue.length) await this.queue.shift()!();
    return this.state;
  }

  private later(step: () => Promise<void>): this {
    this.queue.push(step);
    return this;
  }

  /** A new ACTIVE shop with an OWNER (and `members`), or `existing`; it becomes the current shop. */
  shop(spec: ShopSpec | Seller = {}): this {
    return this.later(() => this.makeShop(spec));
  }

  /** A product of the current shop, created with `createProduct` and (unless `listed: false`) approved; it becomes the current product. */
  product(spec: ProductSpec = {}): this {
    return this.later(() => this.makeProduct(spec));
  }

  /** A new shopper with a default address (in `province`), or `existing`; they become the current buyer. */
  buyer(spec: { province?: string } | Shopper = {}): this {
    return this.later(() => this.makeBuyer(spec));
  }

  /**
   * `quantity` units in the current buyer's cart, with `addToCart`: of the current product's
   * variant `variant` (an index, 0 by default), or of the variant with this key or global ID.
   */
  inCart(quantity: number, variant: number | string = 0): this {
    return this.later(async () => {
      if (!this.state.currentBuyer) await this.makeBuyer({});
      if (typeof variant === 'number' && !this.state.currentProduct) await this.makeProduct({});
      const variantId = typeof variant === 'number' ? need(this.state.product.variantIds[variant], `product() with ${variant + 1} variants`) : asVariantId(variant);
      const buyer = this.state.buyer;
      const { cart } = must(await this.t.gql(ADD_TO_CART, { input: { variantId, quantity } }, { token: buyer.token }), 'addToCart');
      const lineIds = this.state.carts.get(buyer)?.lineIds ?? [];
      const line = cart.lines.find((l: { variant: { id: string } }) => l.variant.id === variantId);
      if (!lineIds.includes(line.id)) lineIds.push(line.id);
      this.state.carts.set(buyer, { cart, lineIds });
    });
  }

  /** The current buyer checks out (every line, to their default address): one order per shop. */
  checkout(opts: { key?: string; lineIds?: string[]; note?: string } = {}): this {
    return this.later(() => this.placeCheckout(opts));
  }

  /** The latest checkout paid: `payCheckout` with the mock provider, then its signed `payment.succeeded` webhook. */
  paid(): this {
    return this.later(() => this.reach(Stage.PAID));
  }

  /** Every order accepted by its shop's owner: PROCESSING. */
  accepted(): this {
    return this.later(() => this.reach(Stage.ACCEPTED));
  }

  /** Every order shipped by its shop's owner with a carrier and tracking number: SHIPPED. */
  shipped(opts: { carrier?: string; trackingNumber?: string } = {}): this {
    return this.later(() => this.reach(Stage.SHIPPED, opts));
  }

  /** The buyer confirms delivery of every order: DELIVERED. */
  delivered(): this {
    return this.later(() => this.reach(Stage.DELIVERED));
  }

  /** The test clock passes AFTER_SALES_DAYS and an ADMIN runs `complete-orders` (runScheduledTask): COMPLETED. */
  completed(): this {
    return this.later(() => this.reach(Stage.COMPLETED));
  }

  private async makeShop(spec: ShopSpec | Seller): Promise<void> {
    let shop: ScenarioShop;
    if ('shopId' in spec) {
      shop = 'members' in spec ? (spec as ScenarioShop) : { ...spec, members: { [ShopMemberRole.OWNER]: spec.owner } };
    } else {
      const s = await seller(this.t, spec.status ?? 'ACTIVE');
      shop = { ...s, members: { [ShopMemberRole.OWNER]: s.owner } };
      for (const role of spec.members ?? []) shop.members[role] = await joinShop(this.t, s, role);
    }
    this.state.shops.push(shop);
    this.state.currentShop = shop;
  }

  private async makeProduct(spec: ProductSpec): Promise<void> {
    if (!this.state.currentShop) await this.makeShop({});
    const shop = this.state.shop;
    const { reviewerToken, categoryId } = await this.defaults();
    const sku = randomBytes(4).toString('hex');
    const variants = (spec.variants ?? [{ stock: spec.stock, price: spec.price, threshold: spec.threshold }]).map((v, i, all) => ({
      sku: `${sku}-${i}`,
      title: v.title ?? `V${i}`,
      options: all.length > 1 ? [{ name: 'Size', value: `S${i}` }] : [],
      price: amount(v.price ?? '100.00'),
      stockOnHand: v.stock ?? 10,
      ...(v.threshold === undefined ? {} : { lowStockThreshold: v.threshold }),
    }));
    const overrides: Record<string, unknown> = { variants };
    for (const field of ['title', 'description', 'tags', 'brandId', 'shippingTemplateId'] as const) if (spec[field] !== undefined) overrides[field] = spec[field];
    const input = productInput(shop.shopId, spec.categoryId ?? categoryId, overrides);
    const id = spec.listed === false ? await createProduct(this.t, shop.owner.token, input) : await listedProduct(this.t, shop, reviewerToken, input);
    const res = await this.t.gql(VARIANTS, { id }, { token: shop.owner.token });
    const variantIds: string[] = res.data!.product.variants.map((v: { id: string }) => v.id);
    const product = { id, shop, variantIds, variantKeys: variantIds.map(keyOf) };
    this.state.products.push(product);
    this.state.currentProduct = product;
  }

  private async makeBuyer(spec: { province?: string } | Shopper): Promise<void> {
    const buyer = 'token' in spec ? spec : await newShopper(this.t, spec.province);
    if (!this.state.buyers.includes(buyer)) this.state.buyers.push(buyer);
    this.state.currentBuyer = buyer;
  }

  private async placeCheckout(opts: { key?: string; lineIds?: string[]; note?: string }): Promise<void> {
    const buyer = this.state.buyer;
    const input = { addressId: buyer.addressId, ...(opts.lineIds ? { lineIds: opts.lineIds } : {}), ...(opts.note ? { note: opts.note } : {}) };
    const { checkout } = must(await this.t.gql(CHECKOUT, { input, key: opts.key ?? newKey() }, { token: buyer.token }), 'checkout');
    this.state.lastCheckout = { checkout, buyer, orders: checkout.orders.map(withKey) };
    this.state.lastPayment = undefined;
    this.state.carts.delete(buyer);
    this.stage = Stage.CHECKED_OUT;
  }

  private async defaults() {
    if (this.opts.reviewer && this.opts.categoryId) return { reviewerToken: this.opts.reviewer.token, categoryId: this.opts.categoryId };
    const made = await defaultsFor(this.t);
    return { reviewerToken: this.opts.reviewer?.token ?? made.reviewerToken, categoryId: this.opts.categoryId ?? made.categoryId };
  }

  /** Takes every step from where the latest checkout is to `target`. */
  private async reach(target: Stage, ship: { carrier?: string; trackingNumber?: string } = {}): Promise<void> {
    if (this.stage === Stage.NONE) await this.placeCheckout({});
    const { t } = this;
    const placed = this.state.lastCheckout!;
    const ownerOf = (order: ScenarioOrder) => need(this.state.shops.find((s) => s.shopId === order.shop.id), `shop() for the shop of order ${order.id}`).owner.token;
    const eachOrder = async (mutation: string, name: string, input: (o: ScenarioOrder) => Record<string, unknown>, token: (o: ScenarioOrder) => string) => {
      placed.orders = await Promise.all(placed.orders.map(async (o) => withKey(must(await t.gql(mutation, { input: input(o) }, { token: token(o) }), name).order)));
    };

    while (this.stage < target) {
      const next: Stage = this.stage === Stage.PAID && target > Stage.ACCEPTED ? Stage.SHIPPED : this.stage + 1;
      switch (next) {
        case Stage.PAID: {
          const { payment } = must(await t.gql(PAY, { input: { checkoutId: placed.checkout.id, provider: 'MOCK' } }, { token: placed.buyer.token }), 'payCheckout');
          const hook = await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id });
          if (hook.statusCode !== 200) throw new Error(`scenario: payment webhook answered ${hook.statusCode}: ${hook.body}`);
          this.state.lastPayment = payment;
          placed.orders = await Promise.all(placed.orders.map(async (o) => withKey((await t.gql(ORDER, { id: o.id }, { token: placed.buyer.token })).data!.order)));
          break;
        }
        case Stage.ACCEPTED:
          await eachOrder(ACCEPT, 'acceptOrder', (o) => ({ id: o.id }), ownerOf);
          break;
        case Stage.SHIPPED: {
          const trackingNumber = () => ship.trackingNumber ?? `SF${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`;
          await eachOrder(SHIP, 'shipOrder', (o) => ({ orderId: o.id, carrier: ship.carrier ?? 'SF Express', trackingNumber: trackingNumber() }), ownerOf);
          break;
        }
        case Stage.DELIVERED:
          await eachOrder(CONFIRM, 'confirmDelivery', (o) => ({ id: o.id }), () => placed.buyer.token);
          break;
        case Stage.COMPLETED: {
          const clock = t.app.deps.clock;
          if (!(clock instanceof ManualClock)) throw new Error('scenario: completed() needs a test app made with a ManualClock');
          clock.advance(t.config.orders.afterSalesDays * DAY + MINUTE);
          must(await t.gql(RUN_TASK, { input: { name: 'complete-orders' } }, { token: await adminFor(t) }), 'runScheduledTask');
          placed.orders = await Promise.all(placed.orders.map(async (o) => withKey((await t.gql(ORDER, { id: o.id }, { token: placed.buyer.token })).data!.order)));
          const late = placed.orders.filter((o) => o.status !== 'COMPLETED');
          if (late.length) throw new Error(`scenario: orders not completed: ${JSON.stringify(late.map((o) => [o.id, o.status]))}`);
          break;
        }
      }
      this.stage = next;
    }
  }
}

function withKey(order: Record<string, any>): ScenarioOrder {
  return { ...order, key: keyOf(order.id) } as ScenarioOrder;
}

/**
 * A scenario on `t`. Products are approved by a REVIEWER and filed in a category made once per test
 * app, unless `opts` gives them.
 */
export function scenario(t: TestApp, opts: { reviewer?: { token: string }; categoryId?: string } = {}): ScenarioBuilder {
  return new ScenarioBuilder(t, opts);
}
