import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { type Scenario, scenario } from '../helpers/scenario';
import { REPORTS, reportInput, type TrustClient, trustClient } from '../helpers/trust';

/**
 * Product reports (舉報): any signed-in user reports a product they can see, with evidence; staff
 * RISK or OPERATIONS work the queue. Upholding bans the product, records one violation against the
 * shop and upholds the product's other open reports; dismissing closes the report alone.
 */

const PRODUCT = `query($id: ID!) { product(id: $id) { id status } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on ProductReport { status reporter { id } } } }`;
const BAN = `mutation($input: ProductModerationInput!) { banProduct(input: $input) { product { id status } errors { code } } }`;

let t: TestApp;
let trust: TrustClient;
let risk: { token: string; user: { id: string } };
let ops: { token: string };
let reviewer: { token: string };
let shoppers: { token: string; user: { id: string } }[];
/** A shop with an OPERATOR member and two products on sale, reported by the tests that uphold nothing. */
let a: Scenario;
let productA1: string;
let productA2: string;

beforeAll(async () => {
  t = await createTestApp();
  trust = trustClient(t);
  risk = await staff(t, StaffRole.RISK);
  ops = await staff(t, StaffRole.OPERATIONS);
  reviewer = await staff(t, StaffRole.REVIEWER);
  shoppers = await Promise.all(Array.from({ length: 4 }, () => userWithToken(t)));
  a = await scenario(t).shop({ members: [ShopMemberRole.OPERATOR] }).product().run();
  productA1 = a.product.id;
  productA2 = (await scenario(t).shop(a.shop).product().run()).product.id;
});
afterAll(() => t.close());

/** A new ACTIVE shop with one product on sale (upholding restricts a shop: each test takes its own). */
const freshProduct = async () => (await scenario(t).shop().product().run()).product;
const reportCount = async () => (await t.sql('select count(*)::int as n from product_report'))[0].n;
const statusOf = async (reportId: string) => (await t.sql('select status from product_report where id = ?', [keyOf(reportId)]))[0].status;
const violationsOf = async (shopId: string) => t.sql('select kind, points, status, product_id::text, report_id::text from shop_violation where shop_id = ? order by id', [keyOf(shopId)]);

describe('reportProduct', () => {
  it('files an OPEN report with its evidence, seen by its reporter and the report staff alone', async () => {
    const [reporter, other] = shoppers;
    const report = await trust.reported(productA1, reporter.token, { reason: 'IP_INFRINGEMENT' });
    expect(report).toMatchObject({
      reason: 'IP_INFRINGEMENT',
      status: 'OPEN',
      evidenceUrls: reportInput(productA1).evidenceUrls,
      description: reportInput(productA1).description,
      decidedAt: null,
      decisionReason: null,
      product: { id: productA1 },
      shop: { id: a.shop.shopId },
      reporter: { id: idOf('User', reporter.user.id) },
    });
    expect((await t.gql(NODE, { id: report.id }, { token: reporter.token })).data!.node).toMatchObject({ status: 'OPEN', reporter: { id: idOf('User', reporter.user.id) } });
    expect((await t.gql(NODE, { id: report.id }, { token: ops.token })).data!.node.reporter.id).toBe(idOf('User', reporter.user.id));
    expect((await t.gql(NODE, { id: report.id }, { token: other.token })).data!.node).toBeNull();
    expect((await t.gql(NODE, { id: report.id }, { token: a.shop.owner.token })).data!.node).toBeNull();
  });

  it('refuses a report without evidence, with a plain http or too many URLs, or a short description, saving nothing', async () => {
    const before = await reportCount();
    const token = shoppers[1].token;
    const failures = async (overrides: Record<string, unknown>) => failuresOf(await trust.report(productA2, token, overrides), 'reportProduct', 'productReport');
    expect(await failures({ evidenceUrls: [] })).toEqual([['INVALID_INPUT', 'input.evidenceUrls']]);
    expect(await failures({ evidenceUrls: ['https://ok.example.com/a.jpg', 'http://evidence.example.com/b.jpg'] })).toEqual([['INVALID_INPUT', 'input.evidenceUrls.1']]);
    expect(await failures({ evidenceUrls: Array.from({ length: 10 }, (_, i) => `https://evidence.example.com/${i}.jpg`) })).toEqual([['INVALID_INPUT', 'input.evidenceUrls']]);
    expect(await failures({ description: 'Fake!' })).toEqual([['INVALID_INPUT', 'input.description']]);
    expect(await failures({ evidenceUrls: ['ftp://x'], description: ' ' })).toEqual([
      ['INVALID_INPUT', 'input.evidenceUrls.0'],
      ['INVALID_INPUT', 'input.description'],
    ]);
    expect(await reportCount()).toBe(before);
  });

  it('takes one open report per user and product (ALREADY_REPORTED), also when two arrive at once', async () => {
    const product = await freshProduct();
    const [first, second] = [shoppers[2], shoppers[3]];
    await trust.reported(product.id, first.token);
    expect(failuresOf(await trust.report(product.id, first.token), 'reportProduct', 'productReport')).toEqual([['ALREADY_REPORTED', 'input.productId']]);
    const racing = await Promise.all([trust.report(product.id, second.token), trust.report(product.id, second.token)]);
    expect(racing.map((r) => outcomeOf(r, 'reportProduct')).sort()).toEqual(['ALREADY_REPORTED', 'OK']);
    expect((await t.sql('select count(*)::int as n from product_report where product_id = ?', [keyOf(product.id)]))[0].n).toBe(2);
  });

  it('lets a user report again once staff dismissed their report', async () => {
    const product = await freshProduct();
    const report = await trust.reported(product.id, shoppers[0].token);
    await trust.decided(report.id, 'DISMISS', ops.token);
    expect((await trust.reported(product.id, shoppers[0].token)).status).toBe('OPEN');
  });

  it('does not find what the reporter cannot see: a draft of another shop, a malformed ID', async () => {
    const draft = (await scenario(t).shop().product({ listed: false }).run()).product.id;
    expect(code(await trust.report(draft, shoppers[0].token))).toBe('NOT_FOUND');
    expect(code(await trust.report('not-an-id', shoppers[0].token))).toBe('NOT_FOUND');
    expect(code(await trust.report(idOf('Shop', keyOf(a.shop.shopId)), shoppers[0].token))).toBe('NOT_FOUND');
  });

  it('refuses a report of your own shop’s product, and anonymous reports', async () => {
    const operator = a.shop.members.OPERATOR!;
    expect(failuresOf(await trust.report(productA1, operator.token), 'reportProduct', 'productReport')).toEqual([['INVALID_INPUT', 'input.productId']]);
    expect(code(await t.gql(`mutation($input: ReportProductInput!) { reportProduct(input: $input) { errors { code } } }`, { input: reportInput(productA1) }))).toBe('UNAUTHENTICATED');
  });
});

describe('productReports', () => {
  it('lists the OPEN queue oldest first to staff RISK and OPERATIONS, page by page, by shop or product', async () => {
    const s = await scenario(t).shop().product().run();
    const first = s.product.id;
    const second = (await scenario(t).shop(s.shop).product().run()).product.id;
    const reports = [
      await trust.reported(first, shoppers[0].token),
      await trust.reported(second, shoppers[0].token),
      await trust.reported(first, shoppers[1].token),
    ];
    const list = async (filter: Record<string, unknown>, token: string, first?: number, after?: string) => {
      const res = await t.gql(REPORTS, { filter, first, after }, { token });
      expect(res.errors).toBeUndefined();
      return res.data!.productReports;
    };
    const page1 = await list({ shopId: s.shop.shopId }, risk.token, 2);
    expect(page1.nodes.map((n: { id: string }) => n.id)).toEqual([reports[0].id, reports[1].id]);
    expect(page1.totalCount).toBe(3);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await list({ shopId: s.shop.shopId }, ops.token, 2, page1.pageInfo.endCursor);
    expect(page2.nodes.map((n: { id: string }) => n.id)).toEqual([reports[2].id]);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect((await list({ productId: first }, ops.token)).nodes.map((n: { id: string }) => n.id)).toEqual([reports[0].id, reports[2].id]);

    await trust.decided(reports[1].id, 'DISMISS', ops.token);
    await trust.decided(reports[2].id, 'DISMISS', ops.token);
    // Decided reports come newest first.
    expect((await list({ shopId: s.shop.shopId, status: 'DISMISSED' }, risk.token)).nodes.map((n: { id: string }) => n.id)).toEqual([reports[2].id, reports[1].id]);
    expect((await list({ shopId: s.shop.shopId }, risk.token)).nodes.map((n: { id: string }) => n.id)).toEqual([reports[0].id]);
  });

  it('refuses the queue to shoppers, shop members and other staff', async () => {
    for (const token of [shoppers[0].token, a.shop.owner.token, reviewer.token]) expect(code(await t.gql(REPORTS, {}, { token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(REPORTS, {}))).toBe('UNAUTHENTICATED');
  });
});

describe('decideProductReport', () => {
  it('upholding bans the product, records one violation by the reason’s kind and upholds the product’s other open reports', async () => {
    const s = await scenario(t).shop().product().run();
    const other = (await scenario(t).shop(s.shop).product().run()).product.id;
    const counterfeit = await trust.reported(s.product.id, shoppers[0].token);
    const misleading = await trust.reported(s.product.id, shoppers[1].token, { reason: 'MISLEADING' });
    const elsewhere = await trust.reported(other, shoppers[0].token);

    const { productReport, shopViolation } = await trust.decided(counterfeit.id, 'UPHOLD', risk.token, 'Fake logo confirmed by the brand');
    expect(productReport).toMatchObject({ status: 'UPHELD', decisionReason: 'Fake logo confirmed by the brand', product: { id: s.product.id } });
    expect(productReport.decidedAt).not.toBeNull();
    expect(shopViolation).toMatchObject({
      kind: 'COUNTERFEIT',
      points: 12,
      status: 'ACTIVE',
      reason: 'Fake logo confirmed by the brand',
      shop: { id: s.shop.shopId },
      product: { id: s.product.id },
      report: { id: counterfeit.id },
      appeal: null,
    });
    expect((await t.gql(PRODUCT, { id: s.product.id }, { token: s.shop.owner.token })).data!.product.status).toBe('BANNED');
    expect(await statusOf(misleading.id)).toBe('UPHELD');
    expect(await statusOf(elsewhere.id)).toBe('OPEN');
    expect(await violationsOf(s.shop.shopId)).toEqual([{ kind: 'COUNTERFEIT', points: 12, status: 'ACTIVE', product_id: keyOf(s.product.id), report_id: keyOf(counterfeit.id) }]);
    expect(await trust.standing(s.shop.shopId, s.shop.owner.token)).toMatchObject({ violationPoints: 12, creditScore: 88, standing: 'RESTRICTED', status: 'ACTIVE' });
    expect(await trust.events(s.shop.shopId)).toEqual([
      ['VIOLATION_RECORDED', { kind: 'COUNTERFEIT', points: 12, reason: 'Fake logo confirmed by the brand' }],
      ['SHOP_STANDING_CHANGED', { standing: 'RESTRICTED', points: 12 }],
    ]);
    const audit = await t.sql(`select action from audit_entry where actor_id = ? and (target_type, target_id) in (('ProductReport', ?), ('Product', ?), ('ShopViolation', ?)) order by id`, [
      risk.user.id,
      keyOf(counterfeit.id),
      keyOf(s.product.id),
      keyOf(shopViolation.id),
    ]);
    expect(audit.map((r) => r.action)).toEqual(['product.ban', 'shop.recordViolation', 'productReport.uphold']);
    // The reporter sees the outcome; the banned product is gone for them.
    const seen = (await t.gql(`query($id: ID!) { node(id: $id) { ... on ProductReport { status decisionReason product { id } } } }`, { id: misleading.id }, { token: shoppers[1].token })).data!.node;
    expect(seen).toEqual({ status: 'UPHELD', decisionReason: 'Fake logo confirmed by the brand', product: null });
  });

  it('dismissing closes the report alone: the product stays on sale and nothing is recorded', async () => {
    const s = await scenario(t).shop().product().run();
    const report = await trust.reported(s.product.id, shoppers[2].token);
    const other = await trust.reported(s.product.id, shoppers[3].token);
    const { productReport, shopViolation } = await trust.decided(report.id, 'DISMISS', ops.token, 'The photos show the genuine item');
    expect(productReport).toMatchObject({ status: 'DISMISSED', decisionReason: 'The photos show the genuine item' });
    expect(shopViolation).toBeNull();
    expect(await statusOf(other.id)).toBe('OPEN');
    expect((await t.gql(PRODUCT, { id: s.product.id }, { token: shoppers[0].token })).data!.product.status).toBe('ACTIVE');
    expect(await violationsOf(s.shop.shopId)).toEqual([]);
    expect(await trust.events(s.shop.shopId)).toEqual([]);
    expect((await t.sql(`select count(*)::int as n from audit_entry where action = 'productReport.dismiss' and target_id = ?`, [keyOf(report.id)]))[0].n).toBe(1);
  });

  it('refuses a decided report (ALREADY_DECIDED), one upheld with another, a missing reason and an unknown report', async () => {
    const product = await freshProduct();
    const first = await trust.reported(product.id, shoppers[0].token);
    const second = await trust.reported(product.id, shoppers[1].token);
    expect(failuresOf(await trust.decide(first.id, 'UPHOLD', risk.token, ' x '), 'decideProductReport', 'productReport')).toEqual([['REASON_REQUIRED', 'input.reason']]);
    expect(await statusOf(first.id)).toBe('OPEN');
    await trust.decided(first.id, 'UPHOLD', risk.token);
    expect(failuresOf(await trust.decide(first.id, 'DISMISS', risk.token), 'decideProductReport', 'productReport')).toEqual([['ALREADY_DECIDED', 'input.reportId']]);
    expect(failuresOf(await trust.decide(second.id, 'UPHOLD', ops.token), 'decideProductReport', 'productReport')).toEqual([['ALREADY_DECIDED', 'input.reportId']]);
    expect(code(await trust.decide(idOf('ProductReport', 999_999_999), 'UPHOLD', risk.token))).toBe('NOT_FOUND');
    expect(await violationsOf(product.shop.shopId)).toHaveLength(1);
  });

  it('upholds a report of a product banned meanwhile without banning it again', async () => {
    const product = await freshProduct();
    const report = await trust.reported(product.id, shoppers[0].token, { reason: 'PROHIBITED' });
    okPayload(await t.gql(BAN, { input: { productId: product.id, reason: 'Prohibited goods' } }, { token: ops.token }), 'banProduct', 'product');
    const { shopViolation } = await trust.decided(report.id, 'UPHOLD', risk.token);
    expect(shopViolation).toMatchObject({ kind: 'PROHIBITED', points: 6 });
    expect(await trust.standing(product.shop.shopId, risk.token)).toMatchObject({ violationPoints: 6, creditScore: 94, standing: 'GOOD' });
    expect((await t.sql(`select count(*)::int as n from audit_entry where action = 'product.ban' and target_id = ?`, [keyOf(product.id)]))[0].n).toBe(1);
  });

  it('refuses a report of a banned product', async () => {
    const product = await freshProduct();
    okPayload(await t.gql(BAN, { input: { productId: product.id, reason: 'Prohibited goods' } }, { token: ops.token }), 'banProduct', 'product');
    // Off sale: only staff still see it, and they cannot report it any more.
    expect(code(await trust.report(product.id, shoppers[0].token))).toBe('NOT_FOUND');
    expect(failuresOf(await trust.report(product.id, ops.token), 'reportProduct', 'productReport')).toEqual([['INVALID_TRANSITION', 'input.productId']]);
  });

  it('turns two reports of one product decided at once into one violation', async () => {
    const product = await freshProduct();
    const reports = [await trust.reported(product.id, shoppers[0].token), await trust.reported(product.id, shoppers[1].token)];
    const outcomes = await Promise.all([trust.decide(reports[0].id, 'UPHOLD', risk.token), trust.decide(reports[1].id, 'UPHOLD', ops.token)]);
    expect(outcomes.map((r) => outcomeOf(r, 'decideProductReport')).sort()).toEqual(['ALREADY_DECIDED', 'OK']);
    expect(await violationsOf(product.shop.shopId)).toHaveLength(1);
    expect(await trust.standing(product.shop.shopId, risk.token)).toMatchObject({ violationPoints: 12 });
  });

  it('refuses decisions to shoppers, the shop and staff without RISK or OPERATIONS', async () => {
    const report = await trust.reported(productA2, shoppers[0].token, { reason: 'OTHER' });
    for (const token of [shoppers[1].token, a.shop.owner.token, reviewer.token]) expect(code(await trust.decide(report.id, 'UPHOLD', token))).toBe('FORBIDDEN');
    expect(await statusOf(report.id)).toBe('OPEN');
  });
});
