import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Order, StaffRole } from '../../src/entities';
import { refundOrder } from '../../src/services/payments';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { newKey, PAY, webhook } from '../helpers/buying';
import { staff } from '../helpers/catalog';
import { idOf, keyOf, okPayload } from '../helpers/kit';
import { CHECKOUT_PRICED, grantCoupon, insertPromotion } from '../helpers/promotions';
import { newShopper, scenario, type Shopper } from '../helpers/scenario';

/**
 * campaignReport on a history built through the API: a shop's 滿減 promotion, a platform coupon and
 * a flash sale, bought by new and returning buyers, with an unpaid order, refunds that succeeded and
 * one still pending. Orders, buyers, new buyers, units, GMV, refunds, cost by funder, cost per order
 * and ROI, each from the orders themselves.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const clock = new ManualClock(new Date('2031-09-01T02:00:00Z'));
let t: TestApp;
let analyst: string;

const REPORT = `query($id: ID!) { campaignReport(id: $id) {
  campaign { __typename ... on Promotion { id } ... on CouponCampaign { id } ... on FlashSale { id } }
  kind title startsAt endsAt orders buyers newBuyers units gmv { amountMinor } refunds { amountMinor } netSales { amountMinor }
  cost { shop { amountMinor } platform { amountMinor } total { amountMinor } } costPerOrder { amountMinor } roi } }`;
const ADD = `mutation($input: AddToCartInput!) { addToCart(input: $input) { errors { code field message } } }`;
const CREATE_SALE = `mutation($input: FlashSaleInput!) { createFlashSale(input: $input) { flashSale { id } errors { code field message } } }`;

let promotionId: string;
let couponCampaignId: string;
let flashSaleId: string;
let idlePromotionId: string;
const totals: Record<string, number> = {};
/** When the promotions were made: their windows are a day either side. */
let promotionsAt: Date;

/** `quantity` of `variantId` bought and (unless `unpaid`) paid by `buyer`, with `couponIds`; returns the order's key. */
async function buy(buyer: Shopper, variantId: string, quantity: number, opts: { couponIds?: string[]; unpaid?: boolean } = {}): Promise<string> {
  okPayload(await t.gql(ADD, { input: { variantId, quantity } }, { token: buyer.token }), 'addToCart');
  const checkout = okPayload(await t.gql(CHECKOUT_PRICED, { input: { addressId: buyer.addressId, couponIds: opts.couponIds ?? [] }, key: newKey() }, { token: buyer.token }), 'checkout', 'checkout');
  if (!opts.unpaid) {
    const { payment } = okPayload(await t.gql(PAY, { input: { checkoutId: checkout.id, provider: 'MOCK' } }, { token: buyer.token }), 'payCheckout');
    expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id })).statusCode).toBe(200);
  }
  clock.advance(MINUTE);
  const [order] = checkout.orders;
  totals[order.id] = order.total.amountMinor;
  return keyOf(order.id);
}

/** A refund of `amount` of the order; SUCCEEDED unless `pending`. */
async function refund(orderKey: string, amount: number, pending = false): Promise<void> {
  const made = await t.orm.em.fork().transactional(async (em) => refundOrder(em, await em.findOneOrFail(Order, { id: orderKey }), '退貨', clock.now(), amount));
  // What the provider's confirmation would do (send-refunds and its webhook are tested with payments).
  if (!pending) await t.sql(`update refund set status = 'SUCCEEDED' where id = ?`, [made!.id]);
}

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  analyst = (await staff(t, StaffRole.ANALYST)).token;
  const ops = (await staff(t, StaffRole.OPERATIONS)).token;

  // Shop S runs 滿100減10 (shop-funded); shop F's product is in a flash sale at 59.90 placed by staff (platform-funded).
  const s = await scenario(t).shop().product({ price: 10_000, stock: 50 }).run();
  const shopS = s.shop;
  const productS = s.variantIds[0];
  const f = await scenario(t).shop().product({ price: 10_000, stock: 50 }).run();
  const productF = f.variantIds[0];
  promotionsAt = clock.now();
  const promotionKey = await insertPromotion(t, { shopKey: shopS.shop.id, kind: 'AMOUNT_OFF_THRESHOLD', title: '滿100減10', tiers: [{ threshold: 10_000, amountOff: 1_000 }], at: clock.now() });
  promotionId = idOf('Promotion', promotionKey);
  idlePromotionId = idOf('Promotion', await insertPromotion(t, { shopKey: shopS.shop.id, kind: 'PERCENT_OFF', tiers: [{ threshold: 5_000_000, percentOffBp: 1000 }], at: clock.now() }));
  const sale = okPayload(
    await t.gql(CREATE_SALE, { input: { title: '九月 秒殺', startsAt: clock.now().toISOString(), endsAt: new Date(clock.now().getTime() + 24 * HOUR).toISOString(), items: [{ variantId: productF, salePrice: '59.90', quantity: 10, perUserLimit: 2 }] } }, { token: ops }),
    'createFlashSale',
    'flashSale',
  );
  flashSaleId = sale.id;

  const buyer1 = await newShopper(t);
  const buyer2 = await newShopper(t);
  const buyer3 = await newShopper(t);
  const buyer4 = await newShopper(t);
  const coupon = await grantCoupon(t, buyer1.user.id, { shopKey: null, kind: 'AMOUNT_OFF', amountOff: 500, title: '平台券 5 元', at: clock.now() });
  couponCampaignId = idOf('CouponCampaign', coupon.campaignKey);

  // Buyer 1, new: S's product with the platform coupon, partly refunded.
  const order1 = await buy(buyer1, productS, 1, { couponIds: [coupon.id] });
  // Buyer 2: first the flash sale (their first paid order), then two of S's products.
  const order2 = await buy(buyer2, productF, 1);
  const order3 = await buy(buyer2, productS, 2);
  // Buyer 3 never pays.
  await buy(buyer3, productS, 1, { unpaid: true });
  // Buyer 4, new: the flash sale, refunded in part (and a second refund still pending).
  const order4 = await buy(buyer4, productF, 1);
  await refund(order1, 3_000);
  await refund(order4, 2_000);
  await refund(order4, 1_000, true);
  Object.assign(totals, { order1: totals[idOf('Order', order1)], order2: totals[idOf('Order', order2)], order3: totals[idOf('Order', order3)], order4: totals[idOf('Order', order4)] });
}, 120_000);
afterAll(() => t.close());

const report = async (id: string, token = analyst) => {
  const res = await t.gql(REPORT, { id }, { token });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.campaignReport;
};

describe('campaignReport', () => {
  it('reports a shop’s promotion: its paid orders, buyers (one new), units, GMV less refunds, its shop-funded cost and ROI', async () => {
    // 100.00 − 10.00 promotion − 5.00 coupon; 2 × 100.00 − 10.00.
    expect([totals.order1, totals.order3]).toEqual([8_500, 19_000]);
    expect(await report(promotionId)).toEqual({
      campaign: { __typename: 'Promotion', id: promotionId },
      kind: 'PROMOTION',
      title: '滿100減10',
      startsAt: new Date(promotionsAt.getTime() - 24 * HOUR).toISOString(),
      endsAt: new Date(promotionsAt.getTime() + 24 * HOUR).toISOString(),
      orders: 2,
      buyers: 2,
      newBuyers: 1,
      units: 3,
      gmv: { amountMinor: 27_500 },
      refunds: { amountMinor: 3_000 },
      netSales: { amountMinor: 24_500 },
      cost: { shop: { amountMinor: 2_000 }, platform: { amountMinor: 0 }, total: { amountMinor: 2_000 } },
      costPerOrder: { amountMinor: 1_000 },
      roi: 12.25,
    });
  });

  it('reports a platform coupon campaign: the order its coupon was used on, its platform-funded cost', async () => {
    expect(await report(couponCampaignId)).toMatchObject({
      campaign: { __typename: 'CouponCampaign', id: couponCampaignId },
      kind: 'COUPON_CAMPAIGN',
      title: '平台券 5 元',
      orders: 1,
      buyers: 1,
      newBuyers: 1,
      units: 1,
      gmv: { amountMinor: 8_500 },
      refunds: { amountMinor: 3_000 },
      netSales: { amountMinor: 5_500 },
      cost: { shop: { amountMinor: 0 }, platform: { amountMinor: 500 }, total: { amountMinor: 500 } },
      costPerOrder: { amountMinor: 500 },
      roi: 11,
    });
  });

  it('reports a flash sale: the orders of its items, both buyers new, the sale prices’ cost, refunds that succeeded only', async () => {
    expect([totals.order2, totals.order4]).toEqual([5_990, 5_990]);
    const r = await report(flashSaleId);
    expect(r).toMatchObject({
      campaign: { __typename: 'FlashSale', id: flashSaleId },
      kind: 'FLASH_SALE',
      title: '九月 秒殺',
      orders: 2,
      buyers: 2,
      newBuyers: 2,
      units: 2,
      gmv: { amountMinor: 11_980 },
      refunds: { amountMinor: 2_000 },
      netSales: { amountMinor: 9_980 },
      cost: { shop: { amountMinor: 0 }, platform: { amountMinor: 8_020 }, total: { amountMinor: 8_020 } },
      costPerOrder: { amountMinor: 4_010 },
    });
    expect(r.roi).toBeCloseTo(9_980 / 8_020, 12);
  });

  it('reports a campaign nothing was bought with as zeros, with no ROI', async () => {
    expect(await report(idlePromotionId)).toMatchObject({ orders: 0, buyers: 0, newBuyers: 0, units: 0, gmv: { amountMinor: 0 }, cost: { total: { amountMinor: 0 } }, costPerOrder: { amountMinor: 0 }, roi: null });
  });

  it('costs staff the session, the campaign and the report: three statements', async () => {
    for (const id of [promotionId, couponCampaignId, flashSaleId]) {
      const { result, queries } = await t.countQueries(REPORT, { id }, { token: analyst });
      expect(result.errors).toBeUndefined();
      expect(queries).toBe(3);
    }
  });
});
