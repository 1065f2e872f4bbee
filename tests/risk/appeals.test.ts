import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole } from '../../src/entities';
import { dispatchNotifications } from '../../src/services/notifications';
import { createTestApp, type TestApp } from '../helpers/app';
import { CREATE_PRODUCT, productInput, staff } from '../helpers/catalog';
import { createCategory, userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload, outcomeOf } from '../helpers/kit';
import { type Scenario, scenario } from '../helpers/scenario';
import { APPEALS, type TrustClient, trustClient, VIOLATIONS } from '../helpers/trust';

/**
 * Appeals (申訴): the shop's OWNER appeals a violation once; staff RISK decide with a reason.
 * Accepting revokes the violation and restores its points: a shop suspended for its points is
 * reinstated below VIOLATION_SUSPEND_POINTS, the restriction lifted below VIOLATION_RESTRICT_POINTS.
 */

const PRODUCT = `query($id: ID!) { product(id: $id) { id status } }`;
const SUSPEND = `mutation($input: ShopModerationInput!) { suspendShop(input: $input) { shop { id status } errors { code } } }`;

let t: TestApp;
let trust: TrustClient;
let risk: { token: string; user: { id: string } };
let ops: { token: string };
let shopper: { token: string };
let categoryId: string;

beforeAll(async () => {
  t = await createTestApp();
  trust = trustClient(t);
  risk = await staff(t, StaffRole.RISK);
  ops = await staff(t, StaffRole.OPERATIONS);
  shopper = await userWithToken(t);
  categoryId = idOf('Category', (await createCategory(t)).id);
});
afterAll(() => t.close());

/** A new ACTIVE shop with a MANAGER and an OPERATOR, a product on sale, and violations of these points. */
async function shopWith(...points: number[]): Promise<{ s: Scenario; violations: any[] }> {
  const s = await scenario(t).shop({ members: [ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR] }).product().run();
  const violations = [];
  for (const p of points) violations.push(await trust.recorded({ shopId: s.shop.shopId, kind: 'COUNTERFEIT', points: p }, risk.token));
  return { s, violations };
}
const appealCount = async () => (await t.sql('select count(*)::int as n from violation_appeal'))[0].n;
const createProduct = (s: Scenario) => t.gql(CREATE_PRODUCT, { input: productInput(s.shop.shopId, categoryId) }, { token: s.shop.owner.token });

describe('appealViolation', () => {
  it('lets the OWNER appeal a violation once, with their case, shown on the violation', async () => {
    const { s, violations: [violation] } = await shopWith(6);
    const appeal = await trust.appealed(violation.id, s.shop.owner.token, 'The item is genuine: invoices from the brand’s distributor attached.');
    expect(appeal).toMatchObject({
      status: 'PENDING',
      reason: 'The item is genuine: invoices from the brand’s distributor attached.',
      decidedAt: null,
      decisionReason: null,
      shop: { id: s.shop.shopId },
      violation: { id: violation.id, status: 'ACTIVE', points: 6 },
    });
    const listed = (await t.gql(VIOLATIONS, { id: s.shop.shopId }, { token: s.shop.members.MANAGER!.token })).data!.shop.violations.nodes;
    expect(listed[0].appeal).toEqual({ id: appeal.id, status: 'PENDING', reason: appeal.reason });

    expect(failuresOf(await trust.appeal(violation.id, s.shop.owner.token), 'appealViolation', 'violationAppeal')).toEqual([['ALREADY_APPEALED', 'input.violationId']]);
  });

  it('refuses a short case, saving nothing', async () => {
    const { s, violations: [violation] } = await shopWith(2);
    const before = await appealCount();
    expect(failuresOf(await trust.appeal(violation.id, s.shop.owner.token, 'Unfair'), 'appealViolation', 'violationAppeal')).toEqual([['INVALID_INPUT', 'input.reason']]);
    expect(await appealCount()).toBe(before);
  });

  it('takes one appeal when two arrive at once', async () => {
    const { s, violations: [violation] } = await shopWith(2);
    const results = await Promise.all([trust.appeal(violation.id, s.shop.owner.token), trust.appeal(violation.id, s.shop.owner.token)]);
    expect(results.map((r) => outcomeOf(r, 'appealViolation')).sort()).toEqual(['ALREADY_APPEALED', 'OK']);
  });

  it('is the OWNER’s: other roles are FORBIDDEN, another shop’s violation is NOT_FOUND', async () => {
    const { s, violations: [violation] } = await shopWith(2);
    const { s: other } = await shopWith();
    for (const token of [s.shop.members.MANAGER!.token, s.shop.members.OPERATOR!.token]) expect(code(await trust.appeal(violation.id, token))).toBe('FORBIDDEN');
    for (const token of [other.shop.owner.token, shopper.token, risk.token]) expect(code(await trust.appeal(violation.id, token))).toBe('NOT_FOUND');
    expect(code(await trust.appeal('bogus', s.shop.owner.token))).toBe('NOT_FOUND');
    expect(code(await trust.appeal(idOf('ShopViolation', 999_999_999), s.shop.owner.token))).toBe('NOT_FOUND');
    expect(code(await trust.appeal(violation.id, null))).toBe('UNAUTHENTICATED');
    expect((await t.sql('select count(*)::int as n from violation_appeal where violation_id = ?', [keyOf(violation.id)]))[0].n).toBe(0);
  });
});

describe('violationAppeals', () => {
  it('queues PENDING appeals oldest first for staff RISK; decided ones newest first', async () => {
    const { s, violations } = await shopWith(2, 2, 2);
    const appeals = [];
    for (const v of violations) appeals.push(await trust.appealed(v.id, s.shop.owner.token));
    const list = async (filter: Record<string, unknown>, first?: number, after?: string) => {
      const res = await t.gql(APPEALS, { filter, first, after }, { token: risk.token });
      expect(res.errors).toBeUndefined();
      return res.data!.violationAppeals;
    };
    const page1 = await list({ shopId: s.shop.shopId }, 2);
    expect(page1.nodes.map((a: { id: string }) => a.id)).toEqual([appeals[0].id, appeals[1].id]);
    expect(page1.totalCount).toBe(3);
    const page2 = await list({ shopId: s.shop.shopId }, 2, page1.pageInfo.endCursor);
    expect(page2.nodes.map((a: { id: string }) => a.id)).toEqual([appeals[2].id]);

    await trust.appealDecided(appeals[0].id, 'REJECT', risk.token);
    await trust.appealDecided(appeals[2].id, 'REJECT', risk.token);
    expect((await list({ shopId: s.shop.shopId, status: 'REJECTED' })).nodes.map((a: { id: string }) => a.id)).toEqual([appeals[2].id, appeals[0].id]);
    expect((await list({ shopId: s.shop.shopId })).nodes.map((a: { id: string }) => a.id)).toEqual([appeals[1].id]);
  });

  it('refuses the queue to other staff, the shop and shoppers', async () => {
    const { s } = await shopWith();
    for (const token of [ops.token, s.shop.owner.token, shopper.token]) expect(code(await t.gql(APPEALS, {}, { token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(APPEALS, {}))).toBe('UNAUTHENTICATED');
  });
});

describe('decideAppeal', () => {
  it('accepting revokes the violation and restores its points: the suspension ends, then the restriction', async () => {
    const { s, violations: [first, second] } = await shopWith(12, 12);
    expect(await trust.standing(s.shop.shopId, s.shop.owner.token)).toMatchObject({ violationPoints: 24, standing: 'SUSPENDED', status: 'SUSPENDED' });
    // A shop suspended for its points still appeals them.
    const firstAppeal = await trust.appealed(first.id, s.shop.owner.token);
    const secondAppeal = await trust.appealed(second.id, s.shop.owner.token);
    const eventsBefore = (await trust.events(s.shop.shopId)).length;

    const accepted = await trust.appealDecided(firstAppeal.id, 'ACCEPT', risk.token, 'The brand confirmed the items are genuine');
    expect(accepted).toMatchObject({ status: 'ACCEPTED', decisionReason: 'The brand confirmed the items are genuine', violation: { id: first.id, status: 'REVOKED', points: 12 } });
    expect(accepted.decidedAt).not.toBeNull();
    const reinstated = await trust.standing(s.shop.shopId, s.shop.owner.token);
    expect(reinstated).toMatchObject({ violationPoints: 12, creditScore: 88, standing: 'RESTRICTED', status: 'ACTIVE' });
    expect(reinstated.statusReason).toMatch(/Reinstated automatically/);
    expect((await t.gql(PRODUCT, { id: s.product.id }, { token: shopper.token })).data!.product.status).toBe('ACTIVE');
    expect(failuresOf(await createProduct(s), 'createProduct', 'product')).toEqual([['SHOP_RESTRICTED', 'input.shopId']]);
    expect((await trust.events(s.shop.shopId)).slice(eventsBefore)).toEqual([
      ['APPEAL_DECIDED', { decision: 'ACCEPT', reason: 'The brand confirmed the items are genuine' }],
      ['SHOP_STANDING_CHANGED', { standing: 'RESTRICTED', points: 12 }],
    ]);

    await trust.appealDecided(secondAppeal.id, 'ACCEPT', risk.token);
    const restored = await trust.standing(s.shop.shopId, s.shop.owner.token);
    expect(restored).toMatchObject({ violationPoints: 0, creditScore: 100, standing: 'GOOD', restrictedAt: null, status: 'ACTIVE' });
    expect((await trust.events(s.shop.shopId, ['SHOP_STANDING_CHANGED'])).at(-1)).toEqual(['SHOP_STANDING_CHANGED', { standing: 'RESTORED', points: 0 }]);
    okPayload(await createProduct(s), 'createProduct', 'product');

    const audit = await t.sql(`select action from audit_entry where actor_id = ? and ((target_type = 'ViolationAppeal' and target_id = ?) or (target_type = 'Shop' and target_id = ?)) order by id`, [risk.user.id, keyOf(firstAppeal.id), keyOf(s.shop.shopId)]);
    expect(audit.map((a) => a.action)).toEqual(['shop.suspend', 'shop.reinstate', 'violationAppeal.accept']);

    await dispatchNotifications(t.app.deps, t.orm.em.fork());
    const told = await t.sql(`select user_id::text, title from notification where kind = 'APPEAL_DECIDED' and link = ?`, [firstAppeal.id]);
    expect(told).toEqual([{ user_id: s.shop.owner.user.id, title: 'Appeal accepted' }]);
  });

  it('rejecting leaves the violation and its points', async () => {
    const { s, violations: [violation] } = await shopWith(12);
    const appeal = await trust.appealed(violation.id, s.shop.owner.token);
    const rejected = await trust.appealDecided(appeal.id, 'REJECT', risk.token, 'Test purchase confirmed the counterfeit');
    expect(rejected).toMatchObject({ status: 'REJECTED', violation: { status: 'ACTIVE' } });
    expect(await trust.standing(s.shop.shopId, risk.token)).toMatchObject({ violationPoints: 12, standing: 'RESTRICTED' });
    expect((await trust.events(s.shop.shopId)).at(-1)).toEqual(['APPEAL_DECIDED', { decision: 'REJECT', reason: 'Test purchase confirmed the counterfeit' }]);
    expect((await t.sql(`select count(*)::int as n from audit_entry where action = 'violationAppeal.reject' and target_id = ?`, [keyOf(appeal.id)]))[0].n).toBe(1);
  });

  it('refuses a decided appeal, a missing reason, and every role but RISK', async () => {
    const { s, violations: [violation] } = await shopWith(3);
    const appeal = await trust.appealed(violation.id, s.shop.owner.token);
    for (const token of [ops.token, s.shop.owner.token, shopper.token]) expect(code(await trust.decideAppeal(appeal.id, 'ACCEPT', token))).toBe('FORBIDDEN');
    expect(failuresOf(await trust.decideAppeal(appeal.id, 'ACCEPT', risk.token, ''), 'decideAppeal', 'violationAppeal')).toEqual([['REASON_REQUIRED', 'input.reason']]);
    const racing = await Promise.all([trust.decideAppeal(appeal.id, 'ACCEPT', risk.token), trust.decideAppeal(appeal.id, 'REJECT', risk.token)]);
    expect(racing.map((r) => outcomeOf(r, 'decideAppeal')).sort()).toEqual(['ALREADY_DECIDED', 'OK']);
    expect(failuresOf(await trust.decideAppeal(appeal.id, 'REJECT', risk.token), 'decideAppeal', 'violationAppeal')).toEqual([['ALREADY_DECIDED', 'input.appealId']]);
    expect(code(await trust.decideAppeal(idOf('ViolationAppeal', 999_999_999), 'ACCEPT', risk.token))).toBe('NOT_FOUND');
  });

  it('refuses to appeal a violation an accepted appeal revoked', async () => {
    const { s, violations: [violation] } = await shopWith(3);
    const appeal = await trust.appealed(violation.id, s.shop.owner.token);
    await trust.appealDecided(appeal.id, 'ACCEPT', risk.token);
    expect(failuresOf(await trust.appeal(violation.id, s.shop.owner.token), 'appealViolation', 'violationAppeal')).toEqual([['INVALID_TRANSITION', 'input.violationId']]);
  });

  it('never suspends a shop by accepting an appeal: staff reinstated it, and it stays active while still over the line', async () => {
    const REINSTATE = `mutation($input: ShopModerationInput!) { reinstateShop(input: $input) { shop { id status } errors { code } } }`;
    const { s, violations: [first] } = await shopWith(3, 12, 12);
    expect(await trust.standing(s.shop.shopId, risk.token)).toMatchObject({ violationPoints: 27, status: 'SUSPENDED' });
    okPayload(await t.gql(REINSTATE, { input: { shopId: s.shop.shopId, reason: 'Reviewed by hand: keep selling while appeals run' } }, { token: ops.token }), 'reinstateShop', 'shop');
    await trust.appealDecided((await trust.appealed(first.id, s.shop.owner.token)).id, 'ACCEPT', risk.token);
    expect(await trust.standing(s.shop.shopId, risk.token)).toMatchObject({ violationPoints: 24, standing: 'RESTRICTED', status: 'ACTIVE' });
  });

  it('does not reinstate a shop staff suspended for another reason', async () => {
    const { s } = await shopWith();
    okPayload(await t.gql(SUSPEND, { input: { shopId: s.shop.shopId, reason: 'Licence expired' } }, { token: ops.token }), 'suspendShop', 'shop');
    const violation = await trust.recorded({ shopId: s.shop.shopId, kind: 'COUNTERFEIT', points: 24 }, risk.token);
    await trust.appealDecided((await trust.appealed(violation.id, s.shop.owner.token)).id, 'ACCEPT', risk.token);
    expect(await trust.standing(s.shop.shopId, risk.token)).toMatchObject({ violationPoints: 0, standing: 'GOOD', status: 'SUSPENDED', statusReason: 'Licence expired' });
  });
});
