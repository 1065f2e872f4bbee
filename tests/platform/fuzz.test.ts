import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { buildBareSchema } from '../../src/schema';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type TestApp, createTestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { applicationInput, uniqueEmail } from '../helpers/factories';
import { type FuzzOperation, type FuzzPools, fuzzOperations, leaksIn, preview, variablesArb } from '../helpers/fuzz';
import { okPayload } from '../helpers/kit';
import { type Scenario, type ScenarioShop, type Shopper, scenario } from '../helpers/scenario';

/**
 * Property-based fuzzing of every root field (tests/helpers/fuzz.ts generates the operations and
 * their arguments from the schema) as four callers, over HTTP, in a world of two shops and two
 * buyers. No response may be an internal error, a 5xx, or carry a stack trace, SQL or a source
 * path; and no caller may change the rows of a shop or buyer that is not theirs.
 *
 * Deterministic by default. FUZZ_SEED picks another seed (caller i fuzzes with FUZZ_SEED + i, the
 * seed fast-check prints; a failure also names the FUZZ_SEED that replays it) and FUZZ_RUNS the runs
 * per root field and caller.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_207);
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

// `logout` ends the caller's session: fuzzed last, so it does not sign the caller out of the rest.
const operations: FuzzOperation[] = fuzzOperations(buildBareSchema()).sort((a, b) => Number(a.field === 'logout') - Number(b.field === 'logout'));

let t: TestApp;
let world: World;

interface World {
  shopA: ScenarioShop;
  shopB: ScenarioShop;
  buyerA: Shopper;
  buyerB: Shopper;
  admin: { user: { id: string }; token: string };
}

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t);
}, 120_000);
afterAll(() => t.close());

/**
 * Shop A (the owner caller's) and shop B, each with a listed product of two variants, a draft, a
 * shipping template, a member, a pending invitation and a webhook subscription. Buyer A (the buyer caller) has a paid order
 * in shop A; buyer B has a shipped and an unpaid order in shop B and a draft merchant application.
 * Buyer B has asked shop B for a refund of the shipped order (an after-sale case, REQUESTED). Both
 * have two addresses, a cart with lines from both shops and a ticket about their first order;
 * the FAQ has an entry.
 */
async function buildWorld(t: TestApp): Promise<World> {
  const b = scenario(t);
  const s: Scenario = await b.shop({ members: [ShopMemberRole.MANAGER] }).product({ variants: [{ stock: 500 }, { stock: 500, price: '5.00' }] }).run();
  const [shopA, productA] = [s.shop, s.product];
  await b.product({ listed: false }).shop({ members: [ShopMemberRole.OPERATOR] }).product({ variants: [{ stock: 500 }, { stock: 500, price: '5.00' }] }).run();
  const [shopB, productB] = [s.shop, s.product];
  await b.product({ listed: false }).run();

  await b.buyer().inCart(2, productB.variantIds[0]).checkout().shipped().run();
  await b.inCart(1, productB.variantIds[1]).checkout().run();
  await b.inCart(1, productB.variantIds[0]).inCart(1, productA.variantIds[1]).run();
  const buyerB = s.buyer;
  await b.buyer().inCart(2, productA.variantIds[0]).checkout().paid().run();
  await b.inCart(1, productA.variantIds[1]).inCart(1, productB.variantIds[1]).run();
  const buyerA = s.buyer;

  const address = { recipientName: '李雷', phone: '13900000000', province: '北京市', city: '北京市', district: '海淀區', line1: '中關村大街 1 號' };
  for (const buyer of [buyerA, buyerB]) {
    okPayload(await t.gql(`mutation($input: AddressInput!) { createAddress(input: $input) { errors { code } } }`, { input: address }, { token: buyer.token }), 'createAddress');
  }
  const rule = { firstUnits: 1, firstFee: '10.00', additionalUnits: 1, additionalFee: '5.00' };
  for (const shop of [shopA, shopB]) {
    const template = { shopId: shop.shopId, name: 'Express', defaultRule: rule, rules: [{ regions: ['北京市'], ...rule }] };
    okPayload(await t.gql(`mutation($input: ShippingTemplateInput!) { createShippingTemplate(input: $input) { errors { code } } }`, { input: template }, { token: shop.owner.token }), 'createShippingTemplate');
    const invitation = { shopId: shop.shopId, email: uniqueEmail('invitee'), role: 'OPERATOR' };
    okPayload(await t.gql(`mutation($input: InviteShopMemberInput!) { inviteShopMember(input: $input) { errors { code } } }`, { input: invitation }, { token: shop.owner.token }), 'inviteShopMember');
    const subscription = { shopId: shop.shopId, url: 'https://hooks.example.com/orders', events: ['ORDER_PAID'] };
    okPayload(await t.gql(`mutation($input: WebhookSubscriptionInput!) { createWebhookSubscription(input: $input) { errors { code } } }`, { input: subscription }, { token: shop.owner.token }), 'createWebhookSubscription');
  }
  const [category] = await t.sql('select id from category order by id limit 1');
  const application = applicationInput([toGlobalId('Category', category.id)]);
  okPayload(await t.gql(`mutation($input: MerchantApplicationInput!) { createMerchantApplication(input: $input) { errors { code } } }`, { input: application }, { token: buyerB.token }), 'createMerchantApplication');

  const admin = await staff(t, StaffRole.ADMIN);
  const brand = { name: 'Acme Audio' };
  okPayload(await t.gql(`mutation($input: BrandInput!) { createBrand(input: $input) { errors { code } } }`, { input: brand }, { token: admin.token }), 'createBrand');
  const course = { title: 'Selling on the marketplace', description: 'Listing rules, shipping and after-sales.', passScore: 80, required: false };
  okPayload(await t.gql(`mutation($input: TrainingCourseInput!) { createTrainingCourse(input: $input) { errors { code } } }`, { input: course }, { token: admin.token }), 'createTrainingCourse');
  // Each buyer's complaint about their order names its shop: shop A's team may answer buyer A's, nobody else's but staff.
  for (const [buyer, order] of [[buyerA, 'A'], [buyerB, 'B']] as const) {
    const [row] = await t.sql('select id from orders where buyer_id = ? order by id limit 1', [buyer.user.id]);
    const ticket = { kind: 'COMPLAINT_ABOUT_DELIVERY', subject: `Where is order ${order}?`, body: '包裹還沒到。', orderId: toGlobalId('Order', row.id) };
    okPayload(await t.gql(`mutation($input: OpenTicketInput!) { openTicket(input: $input) { errors { code } } }`, { input: ticket }, { token: buyer.token }), 'openTicket');
  }
  // Buyer B asks shop B for a refund of their shipped order: nobody but buyer B, shop B's team and staff may touch that case.
  const [shipped] = await t.sql("select l.id from order_line l join orders o on o.id = l.order_id where o.buyer_id = ? and o.status = 'SHIPPED' order by l.id limit 1", [buyerB.user.id]);
  const [shippedOrder] = await t.sql("select id from orders where buyer_id = ? and status = 'SHIPPED'", [buyerB.user.id]);
  const afterSale = { orderId: toGlobalId('Order', shippedOrder.id), type: 'REFUND_ONLY', reason: 'Parcel lost', lines: [{ orderLineId: toGlobalId('OrderLine', shipped.id), quantity: 1 }] };
  okPayload(await t.gql(`mutation($input: RequestAfterSaleInput!) { requestAfterSale(input: $input) { errors { code } } }`, { input: afterSale }, { token: buyerB.token }), 'requestAfterSale');
  const faq = { question: '如何申請退款？', answer: 'Open the order and ask for a refund.', category: 'Returns' };
  okPayload(await t.gql(`mutation($input: CreateFaqInput!) { createFaq(input: $input) { errors { code } } }`, { input: faq }, { token: admin.token }), 'createFaq');
  return { shopA, shopB, buyerA, buyerB, admin };
}

// --- What the values point into -----------------------------------------------------------------

/** GraphQL type of the rows of each table, for the ID pools. */
const TYPE_OF_TABLE: Record<string, string> = {
  shop: 'Shop',
  shop_member: 'ShopMember',
  shop_invitation: 'ShopInvitation',
  users: 'User',
  category: 'Category',
  brand: 'Brand',
  product: 'Product',
  product_variant: 'ProductVariant',
  shipping_template: 'ShippingTemplate',
  cart_line: 'CartLine',
  address: 'Address',
  checkout: 'Checkout',
  orders: 'Order',
  payment: 'Payment',
  refund: 'Refund',
  stocktake: 'Stocktake',
  merchant_application: 'MerchantApplication',
  training_course: 'TrainingCourse',
  training_lesson: 'TrainingLesson',
  quiz_question: 'QuizQuestion',
  audit_entry: 'AuditEntry',
  ticket: 'Ticket',
  after_sale_case: 'AfterSaleCase',
  order_line: 'OrderLine',
  faq: 'Faq',
  promotion: 'Promotion',
  coupon_campaign: 'CouponCampaign',
  user_coupon: 'UserCoupon',
  flash_sale: 'FlashSale',
  flash_sale_item: 'FlashSaleItem',
  group_buy: 'GroupBuy',
  buy_group: 'Group',
  bargain_campaign: 'BargainCampaign',
  bargain: 'Bargain',
  review: 'Review',
  growth_task: 'GrowthTask',
  member_level: 'MemberLevel',
  points_entry: 'PointsEntry',
  webhook_subscription: 'WebhookSubscription',
  webhook_delivery: 'WebhookDelivery',
};

/** The world's rows (the oldest) and the newest ones the fuzzing made, of `table`. */
const rowsOf = (table: string, column: string) => t.sql(`(select ${column} as v from ${table} order by id limit 40) union (select ${column} from ${table} order by id desc limit 20)`);

/** Every object's global ID and the strings fields may name, as the database holds them now. */
async function poolsNow(): Promise<FuzzPools> {
  const ids: Record<string, string[]> = {};
  for (const [table, type] of Object.entries(TYPE_OF_TABLE)) ids[type] = (await rowsOf(table, 'id')).map((r) => toGlobalId(type, String(r.v)));
  ids.Cart = [world.buyerA, world.buyerB, world.shopA.owner].map((a) => toGlobalId('Cart', a.user.id));
  const strings = async (table: string, column: string) => (await rowsOf(table, column)).map((r) => String(r.v));
  const cursors = await t.gql<{ products: { edges: { cursor: string }[] } }>(`{ products(first: 2) { edges { cursor } } }`);
  return {
    ids,
    strings: {
      email: await strings('users', 'email'),
      sku: await strings('product_variant', 'sku'),
      slug: [...(await strings('shop', 'slug')), ...(await strings('category', 'slug')), ...(await strings('brand', 'slug'))],
      name: [...(await strings('shop', 'name')), ...(await strings('brand', 'name'))],
      number: await strings('orders', 'number'),
      version: await strings('merchant_agreement', 'version'),
      cursor: cursors.data?.products.edges.map((e) => e.cursor) ?? [],
    },
  };
}

// --- Calling ------------------------------------------------------------------------------------

interface Caller {
  name: 'anonymous' | 'buyer' | 'shop owner' | 'admin';
  token(): string | undefined;
  /** The snapshot parts (see `snapshot`) this caller must leave as they were. */
  untouchable: RegExp;
}

const CALLERS: Caller[] = [
  { name: 'anonymous', token: () => undefined, untouchable: /./ },
  { name: 'buyer', token: () => world.buyerA.token, untouchable: /^(shopA|shopB|buyerB)\./ },
  // Shop A's owner may act on buyer A's orders in shop A.
  { name: 'shop owner', token: () => world.shopA.owner.token, untouchable: /^(shopB\.|buyerB\.|buyerA\.(user|addresses|cart|applications))/ },
  // Staff moderate shops, products and orders; nobody but the buyer touches an address book or cart.
  { name: 'admin', token: () => world.admin.token, untouchable: /^buyer[AB]\.(addresses|cart)$/ },
];

interface Sent {
  status: number;
  text: string;
  body: { data?: unknown; errors?: { message: string; path?: unknown; extensions?: { code?: string } }[] } | undefined;
}

async function send(op: FuzzOperation, variables: Record<string, unknown>, token: string | undefined): Promise<Sent> {
  const res = await t.app.http.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload: JSON.stringify({ query: op.document, variables }),
  });
  let body: Sent['body'];
  try {
    body = JSON.parse(res.body);
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, text: res.body, body };
}

/** What is wrong with a response, if anything. */
function problemsOf(res: Sent, variables: unknown): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`HTTP ${res.status}`);
  for (const error of res.body?.errors ?? []) {
    if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') problems.push(`INTERNAL_SERVER_ERROR at ${JSON.stringify(error.path)}`);
    // The document itself is generated: a refused one fuzzes nothing (a bug in tests/helpers/fuzz.ts).
    if (['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'QUERY_TOO_COMPLEX'].includes(error.extensions?.code ?? '')) problems.push(`the generated document was refused: ${error.message}`);
  }
  for (const leak of leaksIn(res.text, res.body, variables)) problems.push(`${leak} in the response`);
  return problems;
}

// --- The rows of others ---------------------------------------------------------------------------

const SHOP_PARTS: Record<string, string> = {
  shop: 'select id, to_jsonb(x) as j from shop x where id = ?',
  members: 'select id, to_jsonb(x) as j from shop_member x where shop_id = ?',
  invitations: 'select id, to_jsonb(x) as j from shop_invitation x where shop_id = ?',
  products: "select id, to_jsonb(x) - 'search_vector' as j from product x where shop_id = ?",
  productHistory: 'select id, to_jsonb(x) as j from product_status_change x where product_id in (select id from product where shop_id = ?)',
  // Buyers move stock with their own orders (a checkout reserves, a cancelled order gives back):
  // the shop's own stock changes are the movements no order made.
  variants: "select id, to_jsonb(x) - array['on_hand', 'reserved', 'in_stock', 'low_stock', 'updated_at'] as j from product_variant x where shop_id = ?",
  stockMovements: 'select id, to_jsonb(x) as j from stock_movement x where shop_id = ? and order_id is null',
  stocktakes: 'select id, to_jsonb(x) as j from stocktake x where shop_id = ?',
  shippingTemplates: 'select id, to_jsonb(x) as j from shipping_template x where shop_id = ?',
  agreements: 'select id, to_jsonb(x) as j from agreement_acceptance x where shop_id = ?',
  quizAttempts: 'select id, to_jsonb(x) as j from quiz_attempt x where shop_id = ?',
  // The shop's money: adjustments, settlements and payouts are finance staff's alone.
  ledger: "select id, to_jsonb(x) as j from ledger_entry x where shop_id = ? and kind not in ('PAYMENT', 'REFUND', 'REFUND_SENT')",
  settlements: 'select id, to_jsonb(x) as j from settlement x where shop_id = ?',
  payouts: 'select id, to_jsonb(x) as j from payout x where shop_id = ?',
  webhookSubscriptions: 'select id, to_jsonb(x) as j from webhook_subscription x where shop_id = ?',
};

const BUYER_PARTS: Record<string, string> = {
  user: 'select id, to_jsonb(x) as j from users x where id = ?',
  addresses: 'select id, to_jsonb(x) as j from address x where user_id = ?',
  cart: 'select id, to_jsonb(x) as j from cart_line x where user_id = ?',
  applications: 'select id, to_jsonb(x) as j from merchant_application x where applicant_id = ?',
  orders: 'select id, to_jsonb(x) as j from orders x where buyer_id = ?',
  orderLines: 'select id, to_jsonb(x) as j from order_line x where order_id in (select id from orders where buyer_id = ?)',
  orderEvents: 'select id, to_jsonb(x) as j from order_event x where order_id in (select id from orders where buyer_id = ?)',
  shipments: 'select id, to_jsonb(x) as j from shipment x where order_id in (select id from orders where buyer_id = ?)',
  refunds: 'select id, to_jsonb(x) as j from refund x where order_id in (select id from orders where buyer_id = ?)',
  checkouts: 'select id, to_jsonb(x) as j from checkout x where buyer_id = ?',
  payments: 'select id, to_jsonb(x) as j from payment x where checkout_id in (select id from checkout where buyer_id = ?)',
  afterSaleCases: 'select id, to_jsonb(x) as j from after_sale_case x where buyer_id = ?',
  afterSaleLines: 'select id, to_jsonb(x) as j from after_sale_case_line x where case_id in (select id from after_sale_case where buyer_id = ?)',
  afterSaleMessages: 'select id, to_jsonb(x) as j from after_sale_message x where case_id in (select id from after_sale_case where buyer_id = ?)',
  afterSaleEvents: 'select id, to_jsonb(x) as j from after_sale_event x where case_id in (select id from after_sale_case where buyer_id = ?)',
  // A ticket is its requester's even when it names a shop (as an order is its buyer's): the named
  // shop's team and staff may answer it, nobody else may touch it.
  tickets: 'select id, to_jsonb(x) as j from ticket x where requester_id = ?',
  ticketMessages: 'select id, to_jsonb(x) as j from ticket_message x where ticket_id in (select id from ticket where requester_id = ?)',
};

/** The rows of each part of each shop's and buyer's data, named `shopA.products`, `buyerB.cart` …, keeping those `keep` matches. */
async function snapshot(keep: RegExp): Promise<Record<string, string[]>> {
  const owners: [string, string, Record<string, string>][] = [
    ['shopA', world.shopA.shop.id, SHOP_PARTS],
    ['shopB', world.shopB.shop.id, SHOP_PARTS],
    ['buyerA', world.buyerA.user.id, BUYER_PARTS],
    ['buyerB', world.buyerB.user.id, BUYER_PARTS],
  ];
  const out: Record<string, string[]> = {};
  for (const [owner, key, parts] of owners) {
    for (const [part, sql] of Object.entries(parts)) {
      const name = `${owner}.${part}`;
      if (keep.test(name)) out[name] = (await t.sql(`select j::text as row from (${sql}) q order by id`, [key])).map((r) => r.row);
    }
  }
  return out;
}

// --- The properties -------------------------------------------------------------------------------

describe.each(CALLERS)('fuzzing every root field as $name', (caller) => {
  let before: Record<string, string[]>;
  let pools: FuzzPools;
  const tally = { sent: 0, executed: 0 };

  beforeAll(async () => {
    pools = await poolsNow();
    before = await snapshot(caller.untouchable);
  });

  it.each(operations)('$field', async (op) => {
    // The admin's own fuzzing may take its ADMIN role away (after granting it to someone else).
    if (caller.name === 'admin') await t.sql("update users set staff_roles = '{ADMIN}' where id = ?", [world.admin.user.id]);
    await fc.assert(
      fc.asyncProperty(variablesArb(op, pools), async (variables) => {
        const res = await send(op, variables, caller.token());
        tally.sent++;
        if (res.body?.data !== undefined) tally.executed++;
        const problems = problemsOf(res, variables);
        if (problems.length) {
          throw new Error(`${caller.name} ${op.field}: ${problems.join('; ')} (replay: FUZZ_SEED=${SEED})\nvariables: ${preview(variables)}\nresponse ${res.status}: ${res.text.slice(0, 1500)}`);
        }
      }),
      { seed: SEED + CALLERS.indexOf(caller), numRuns: op.args.length ? RUNS : 1, plugins: [fc.interruptAfterTimeLimit(40_000)] },
    );
  }, 60_000);

  it("changes no other shop's or buyer's rows", async () => {
    expect(await snapshot(caller.untouchable)).toEqual(before);
  });

  // Guards the generator: arguments that mostly fail input coercion would test nothing behind it.
  it('gets most requests past input coercion into execution', () => {
    expect(tally.sent).toBeGreaterThan(0);
    expect(tally.executed / tally.sent).toBeGreaterThan(0.5);
  });
});
