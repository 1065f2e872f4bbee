import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { isValidUscc } from '../../src/services/shared';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type TestApp, createTestApp } from '../helpers/app';
import { applicationInput, createCategory, userWithToken } from '../helpers/factories';
import { keyOf } from '../helpers/kit';

const FIELDS = `id status shopName businessLicenseNumber contactPhone categories { id } applicant { id } reviewer { id }
  decisions { decision reason reviewer { id } at } submittedAt shop { id name slug status commissionRate members { role user { id } } } nextActions`;
const CREATE = `mutation($input: MerchantApplicationInput!) { createMerchantApplication(input: $input) { merchantApplication { ${FIELDS} } errors { code field message } } }`;
const UPDATE = `mutation($input: UpdateMerchantApplicationInput!) { updateMerchantApplication(input: $input) { merchantApplication { ${FIELDS} } errors { code field message } } }`;
const SUBMIT = `mutation($id: ID!) { submitMerchantApplication(input: { id: $id }) { merchantApplication { ${FIELDS} } errors { code field message } } }`;
const CLAIM = `mutation($id: ID!) { claimMerchantApplication(input: { id: $id }) { merchantApplication { ${FIELDS} } errors { code field message } } }`;
const REVIEW = `mutation($input: ReviewMerchantApplicationInput!) { reviewMerchantApplication(input: $input) { merchantApplication { ${FIELDS} } errors { code field message } } }`;
const QUEUE = `query($filter: MerchantApplicationFilter, $first: Int, $after: String) {
  merchantApplications(filter: $filter, first: $first, after: $after) { totalCount nodes { id status submittedAt } pageInfo { hasNextPage endCursor } } }`;

let t: TestApp;
let categoryIds: string[];
let reviewer: { token: string; user: { id: string } };
let otherReviewer: { token: string; user: { id: string } };

beforeAll(async () => {
  t = await createTestApp();
  const category = await createCategory(t, 'Electronics');
  categoryIds = [toGlobalId('Category', category.id)];
  reviewer = await userWithToken(t, { roles: [StaffRole.REVIEWER] });
  otherReviewer = await userWithToken(t, { roles: [StaffRole.REVIEWER] });
});
afterAll(() => t.close());

async function applicant() {
  return userWithToken(t);
}

async function created(token: string, overrides: Record<string, unknown> = {}) {
  const res = await t.gql(CREATE, { input: applicationInput(categoryIds, overrides) }, { token });
  expect(res.data!.createMerchantApplication.errors).toEqual([]);
  return res.data!.createMerchantApplication.merchantApplication;
}

async function submitted(token: string, overrides: Record<string, unknown> = {}) {
  const app = await created(token, overrides);
  const res = await t.gql(SUBMIT, { id: app.id }, { token });
  expect(res.data!.submitMerchantApplication.errors).toEqual([]);
  return res.data!.submitMerchantApplication.merchantApplication;
}

async function inReview(token: string) {
  const app = await submitted(token);
  const res = await t.gql(CLAIM, { id: app.id }, { token: reviewer.token });
  expect(res.data!.claimMerchantApplication.errors).toEqual([]);
  return res.data!.claimMerchantApplication.merchantApplication;
}

describe('unified social credit code', () => {
  it('accepts codes whose check character matches and refuses any other', () => {
    expect(isValidUscc('91350100M000100Y43')).toBe(true);
    expect(isValidUscc('91350100M000100Y44')).toBe(false);
    expect(isValidUscc('91350100M000100Y4')).toBe(false);
    expect(isValidUscc('91350100M000I00Y43')).toBe(false);
  });
});

describe('applying', () => {
  it('creates a DRAFT owned by the applicant with normalised fields', async () => {
    const me = await applicant();
    const app = await created(me.token, { contactPhone: '138 1234 5678', businessLicenseNumber: '91350100m000100y43' });
    expect(app).toMatchObject({
      status: 'DRAFT',
      contactPhone: '13812345678',
      businessLicenseNumber: '91350100M000100Y43',
      applicant: { id: toGlobalId('User', me.user.id) },
      categories: [{ id: categoryIds[0] }],
      reviewer: null,
      decisions: [],
      shop: null,
      nextActions: ['submit'],
    });
  });

  it.each([
    ['businessLicenseNumber', '91350100M000100Y44'],
    ['businessLicenseNumber', 'SHORT'],
    ['contactPhone', '12345'],
    ['contactPhone', '+0123'],
    ['contactEmail', 'nope'],
    ['shopName', 'X'],
    ['shopName', 'x'.repeat(41)],
  ])('refuses an invalid %s (%s) with INVALID_INPUT on that field, creating nothing', async (field, value) => {
    const me = await applicant();
    const res = await t.gql(CREATE, { input: applicationInput(categoryIds, { [field]: value }) }, { token: me.token });
    expect(res.data!.createMerchantApplication).toEqual({ merchantApplication: null, errors: [expect.objectContaining({ code: 'INVALID_INPUT', field: ['input', field] })] });
    expect(await t.orm.em.fork().getConnection().execute('select 1 from merchant_application where applicant_id = ?', [me.user.id])).toHaveLength(0);
  });

  it('accepts E.164 phone numbers from outside the mainland', async () => {
    const me = await applicant();
    expect((await created(me.token, { contactPhone: '+85291234567' })).contactPhone).toBe('+85291234567');
  });

  it('requires at least one category, and only existing ones', async () => {
    const me = await applicant();
    const none = await t.gql(CREATE, { input: applicationInput([]) }, { token: me.token });
    expect(none.data!.createMerchantApplication.errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'categoryIds'] });
    const unknown = await t.gql(CREATE, { input: applicationInput([toGlobalId('Category', '999999')]) }, { token: me.token });
    expect(unknown.data!.createMerchantApplication.errors[0]).toMatchObject({ code: 'CATEGORY_NOT_FOUND', field: ['input', 'categoryIds'] });
  });

  it('allows one open application per user (APPLICATION_ALREADY_OPEN), also when two race', async () => {
    const me = await applicant();
    await created(me.token);
    const second = await t.gql(CREATE, { input: applicationInput(categoryIds) }, { token: me.token });
    expect(second.data!.createMerchantApplication.errors[0].code).toBe('APPLICATION_ALREADY_OPEN');

    const racer = await applicant();
    const results = await Promise.all([1, 2, 3].map(() => t.gql(CREATE, { input: applicationInput(categoryIds) }, { token: racer.token })));
    const codes = results.map((r) => r.data!.createMerchantApplication.errors[0]?.code ?? 'OK').sort();
    expect(codes).toEqual(['APPLICATION_ALREADY_OPEN', 'APPLICATION_ALREADY_OPEN', 'OK']);
  });

  it('keeps shop names unique, case-insensitively, among open applications and live shops', async () => {
    const first = await applicant();
    await created(first.token, { shopName: 'Blue Lantern' });
    const second = await applicant();
    const clash = await t.gql(CREATE, { input: applicationInput(categoryIds, { shopName: 'blue LANTERN' }) }, { token: second.token });
    expect(clash.data!.createMerchantApplication.errors[0]).toMatchObject({ code: 'SHOP_NAME_TAKEN', field: ['input', 'shopName'] });
    await t.orm.em.fork().getConnection().execute("insert into shop (name, slug, status) values ('Jade Garden', 'jade-garden-x', 'ACTIVE')");
    const liveClash = await t.gql(CREATE, { input: applicationInput(categoryIds, { shopName: 'JADE garden' }) }, { token: second.token });
    expect(liveClash.data!.createMerchantApplication.errors[0].code).toBe('SHOP_NAME_TAKEN');
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const res = await t.gql(CREATE, { input: applicationInput(categoryIds) });
    expect(res.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });

  it("edits only in DRAFT or CHANGES_REQUESTED, and never someone else's application", async () => {
    const me = await applicant();
    const app = await created(me.token);
    const edited = await t.gql(UPDATE, { input: { id: app.id, description: 'Now also chargers.' } }, { token: me.token });
    expect(edited.data!.updateMerchantApplication.errors).toEqual([]);
    const other = await applicant();
    const foreign = await t.gql(UPDATE, { input: { id: app.id, description: 'hijack' } }, { token: other.token });
    expect(foreign.errors![0].extensions!.code).toBe('NOT_FOUND');
    await t.gql(SUBMIT, { id: app.id }, { token: me.token });
    const late = await t.gql(UPDATE, { input: { id: app.id, description: 'too late' } }, { token: me.token });
    expect(late.data!.updateMerchantApplication.errors[0].code).toBe('INVALID_TRANSITION');
  });

  it("hides other users' applications from shoppers (node and myMerchantApplications)", async () => {
    const me = await applicant();
    const app = await created(me.token);
    const other = await applicant();
    expect((await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: app.id }, { token: other.token })).data!.node).toBeNull();
    expect((await t.gql(`{ myMerchantApplications { id } }`, {}, { token: other.token })).data!.myMerchantApplications).toEqual([]);
    expect((await t.gql(`{ myMerchantApplications { id } }`, {}, { token: me.token })).data!.myMerchantApplications).toEqual([{ id: app.id }]);
  });

  it('submitting twice is INVALID_TRANSITION', async () => {
    const me = await applicant();
    const app = await submitted(me.token);
    const again = await t.gql(SUBMIT, { id: app.id }, { token: me.token });
    expect(again.data!.submitMerchantApplication.errors[0].code).toBe('INVALID_TRANSITION');
  });
});

describe('the review queue', () => {
  it('lists submitted applications oldest first, never drafts, with keyset pages; filters by status and assignment', async () => {
    await t.orm.em.fork().getConnection().execute('delete from merchant_application');
    const rev = reviewer;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const me = await applicant();
      const app = i < 4 ? await submitted(me.token) : await created(me.token);
      if (i < 4) ids.push(app.id);
    }
    const page1 = (await t.gql(QUEUE, { first: 3 }, { token: rev.token })).data!.merchantApplications;
    expect(page1.totalCount).toBe(4);
    const page2 = (await t.gql(QUEUE, { first: 3, after: page1.pageInfo.endCursor }, { token: rev.token })).data!.merchantApplications;
    expect([...page1.nodes, ...page2.nodes].map((n: { id: string }) => n.id)).toEqual(ids);
    expect(page2.pageInfo.hasNextPage).toBe(false);

    await t.gql(CLAIM, { id: ids[1] }, { token: rev.token });
    const mine = (await t.gql(QUEUE, { filter: { assignedToMe: true } }, { token: rev.token })).data!.merchantApplications;
    expect(mine.nodes.map((n: { id: string }) => n.id)).toEqual([ids[1]]);
    const waiting = (await t.gql(QUEUE, { filter: { status: 'SUBMITTED' } }, { token: rev.token })).data!.merchantApplications;
    expect(waiting.totalCount).toBe(3);
  });

  it.each([
    ['a shopper', []],
    ['OPERATIONS staff', [StaffRole.OPERATIONS]],
    ['RISK staff', [StaffRole.RISK]],
  ])('is FORBIDDEN to %s', async (_who, roles) => {
    const caller = await userWithToken(t, { roles });
    expect((await t.gql(QUEUE, {}, { token: caller.token })).errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  it('is open to ADMIN', async () => {
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    expect((await t.gql(QUEUE, {}, { token: admin.token })).data!.merchantApplications.totalCount).toBeGreaterThan(0);
  });
});

describe('claiming', () => {
  it('moves a submitted application to IN_REVIEW, assigned to the reviewer', async () => {
    const me = await applicant();
    const app = await submitted(me.token);
    const res = await t.gql(CLAIM, { id: app.id }, { token: reviewer.token });
    expect(res.data!.claimMerchantApplication.merchantApplication).toMatchObject({ status: 'IN_REVIEW', reviewer: { id: toGlobalId('User', reviewer.user.id) } });
  });

  it('lets exactly one of two reviewers claiming at the same moment win (ALREADY_CLAIMED for the other)', async () => {
    for (let round = 0; round < 3; round++) {
      const me = await applicant();
      const app = await submitted(me.token);
      const [a, b] = await Promise.all([t.gql(CLAIM, { id: app.id }, { token: reviewer.token }), t.gql(CLAIM, { id: app.id }, { token: otherReviewer.token })]);
      const codes = [a, b].map((r) => r.data!.claimMerchantApplication.errors[0]?.code ?? 'OK').sort();
      expect(codes).toEqual(['ALREADY_CLAIMED', 'OK']);
    }
  });

  it('refuses drafts (NOT_FOUND), a reviewer’s own application (FORBIDDEN), and non-reviewers (FORBIDDEN)', async () => {
    const me = await applicant();
    const draft = await created(me.token);
    expect((await t.gql(CLAIM, { id: draft.id }, { token: reviewer.token })).errors![0].extensions!.code).toBe('NOT_FOUND');

    const selfApplying = await userWithToken(t, { roles: [StaffRole.REVIEWER] });
    const own = await submitted(selfApplying.token);
    expect((await t.gql(CLAIM, { id: own.id }, { token: selfApplying.token })).errors![0].extensions!.code).toBe('FORBIDDEN');

    const shopper = await applicant();
    const app = await submitted((await applicant()).token);
    expect((await t.gql(CLAIM, { id: app.id }, { token: shopper.token })).errors![0].extensions!.code).toBe('FORBIDDEN');
    expect((await t.gql(CLAIM, { id: app.id })).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });
});

describe('reviewing', () => {
  it('APPROVE creates the ONBOARDING shop, the OWNER membership and the commission rate in one go', async () => {
    const me = await applicant();
    const app = await inReview(me.token);
    const res = await t.gql(REVIEW, { input: { applicationId: app.id, decision: 'APPROVE', commissionRate: '0.08' } }, { token: reviewer.token });
    const approved = res.data!.reviewMerchantApplication.merchantApplication;
    expect(res.data!.reviewMerchantApplication.errors).toEqual([]);
    expect(approved.status).toBe('APPROVED');
    expect(approved.decisions).toEqual([{ decision: 'APPROVE', reason: null, reviewer: { id: toGlobalId('User', reviewer.user.id) }, at: expect.any(String) }]);
    // The applicant is the OWNER, so they see the shop and its private fields.
    const mine = await t.gql(`{ myMerchantApplications { shop { name slug status commissionRate members { role user { id } } } } }`, {}, { token: me.token });
    expect(mine.data!.myMerchantApplications[0].shop).toMatchObject({
      name: app.shopName,
      status: 'ONBOARDING',
      commissionRate: '0.0800',
      members: [{ role: 'OWNER', user: { id: toGlobalId('User', me.user.id) } }],
    });
    expect(mine.data!.myMerchantApplications[0].shop.slug).toMatch(/^shop-[0-9a-f]{8}(-\d+)?$/);
  });

  it('gives the shop no rate of its own when the decision names none (category rates apply), and a unique slug for a Chinese name', async () => {
    const me = await applicant();
    const app = await inReview(me.token);
    await t.orm.em.fork().getConnection().execute('update merchant_application set shop_name = ? where id = ?', ['藍牙耳機專賣', app.id ? keyOf(app.id) : '0']);
    await t.gql(REVIEW, { input: { applicationId: app.id, decision: 'APPROVE' } }, { token: reviewer.token });
    const [shop] = await t.orm.em.fork().getConnection().execute("select slug, commission_rate from shop where name = '藍牙耳機專賣'");
    expect(shop.commission_rate).toBeNull();
    expect(shop.slug).toMatch(/^shop(-\d+)?$/);
  });

  it('REQUEST_CHANGES sends it back with the reason; the applicant fixes and resubmits; it stays assigned', async () => {
    const me = await applicant();
    const app = await inReview(me.token);
    const back = await t.gql(REVIEW, { input: { applicationId: app.id, decision: 'REQUEST_CHANGES', reason: 'Upload a clearer licence' } }, { token: reviewer.token });
    expect(back.data!.reviewMerchantApplication.merchantApplication).toMatchObject({ status: 'CHANGES_REQUESTED', nextActions: ['submit'] });
    const fixed = await t.gql(UPDATE, { input: { id: app.id, legalName: 'Hangzhou Example Trading Co., Ltd. (fixed)' } }, { token: me.token });
    expect(fixed.data!.updateMerchantApplication.errors).toEqual([]);
    const resubmitted = (await t.gql(SUBMIT, { id: app.id }, { token: me.token })).data!.submitMerchantApplication.merchantApplication;
    expect(resubmitted).toMatchObject({ status: 'SUBMITTED', reviewer: { id: toGlobalId('User', reviewer.user.id) } });
    expect(resubmitted.decisions.map((d: { decision: string; reason: string }) => [d.decision, d.reason])).toEqual([['REQUEST_CHANGES', 'Upload a clearer licence']]);
    // Only its reviewer claims it again.
    expect((await t.gql(CLAIM, { id: app.id }, { token: otherReviewer.token })).data!.claimMerchantApplication.errors[0].code).toBe('ALREADY_CLAIMED');
    expect((await t.gql(CLAIM, { id: app.id }, { token: reviewer.token })).data!.claimMerchantApplication.merchantApplication.status).toBe('IN_REVIEW');
  });

  it('REJECT is final; the applicant may start a new application afterwards', async () => {
    const me = await applicant();
    const app = await inReview(me.token);
    const res = await t.gql(REVIEW, { input: { applicationId: app.id, decision: 'REJECT', reason: 'Counterfeit goods' } }, { token: reviewer.token });
    expect(res.data!.reviewMerchantApplication.merchantApplication).toMatchObject({ status: 'REJECTED', nextActions: [] });
    expect((await t.gql(SUBMIT, { id: app.id }, { token: me.token })).data!.submitMerchantApplication.errors[0].code).toBe('INVALID_TRANSITION');
    expect((await t.gql(UPDATE, { input: { id: app.id, description: 'again' } }, { token: me.token })).data!.updateMerchantApplication.errors[0].code).toBe('INVALID_TRANSITION');
    await created(me.token);
  });

  it.each(['REJECT', 'REQUEST_CHANGES'])('%s without a reason is REASON_REQUIRED and changes nothing', async (decision) => {
    const me = await applicant();
    const app = await inReview(me.token);
    const res = await t.gql(REVIEW, { input: { applicationId: app.id, decision, reason: '  ' } }, { token: reviewer.token });
    expect(res.data!.reviewMerchantApplication.errors).toEqual([expect.objectContaining({ code: 'REASON_REQUIRED', field: ['input', 'reason'] })]);
    const [row] = await t.orm.em.fork().getConnection().execute('select status from merchant_application where applicant_id = ?', [me.user.id]);
    expect(row.status).toBe('IN_REVIEW');
  });

  it('lets only the assigned reviewer decide (NOT_ASSIGNED), but ADMIN may', async () => {
    const me = await applicant();
    const app = await inReview(me.token);
    const other = await t.gql(REVIEW, { input: { applicationId: app.id, decision: 'APPROVE' } }, { token: otherReviewer.token });
    expect(other.data!.reviewMerchantApplication.errors[0].code).toBe('NOT_ASSIGNED');
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    const byAdmin = await t.gql(REVIEW, { input: { applicationId: app.id, decision: 'REJECT', reason: 'Duplicate' } }, { token: admin.token });
    expect(byAdmin.data!.reviewMerchantApplication.merchantApplication.status).toBe('REJECTED');
  });

  it('refuses deciding an application that is not IN_REVIEW (INVALID_TRANSITION) and an invalid commission rate', async () => {
    const me = await applicant();
    const app = await submitted(me.token);
    const early = await t.gql(REVIEW, { input: { applicationId: app.id, decision: 'APPROVE' } }, { token: reviewer.token });
    expect(early.data!.reviewMerchantApplication.errors[0].code).toBe('INVALID_TRANSITION');
    const badRate = await t.gql(REVIEW, { input: { applicationId: app.id, decision: 'APPROVE', commissionRate: '1.5' } }, { token: reviewer.token });
    expect(badRate.data!.reviewMerchantApplication.errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'commissionRate'] });
  });

  it('refuses reviewers their own application, non-reviewers, and anonymous callers', async () => {
    const staffApplicant = await userWithToken(t, { roles: [StaffRole.REVIEWER, StaffRole.ADMIN] });
    const own = await submitted(staffApplicant.token);
    await t.orm.em.fork().getConnection().execute("update merchant_application set status = 'IN_REVIEW', reviewer_id = ? where applicant_id = ?", [staffApplicant.user.id, staffApplicant.user.id]);
    const self = await t.gql(REVIEW, { input: { applicationId: own.id, decision: 'APPROVE' } }, { token: staffApplicant.token });
    expect(self.errors![0].extensions!.code).toBe('FORBIDDEN');
    const ops = await userWithToken(t, { roles: [StaffRole.OPERATIONS] });
    expect((await t.gql(REVIEW, { input: { applicationId: own.id, decision: 'APPROVE' } }, { token: ops.token })).errors![0].extensions!.code).toBe('FORBIDDEN');
    expect((await t.gql(REVIEW, { input: { applicationId: own.id, decision: 'APPROVE' } })).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('records every decision in the audit log with the reviewer and request id', async () => {
    const me = await applicant();
    const app = await inReview(me.token);
    const res = await t.gql(REVIEW, { input: { applicationId: app.id, decision: 'REQUEST_CHANGES', reason: 'Missing licence scan' } }, { token: reviewer.token });
    const key = keyOf(app.id);
    const entries = await t.orm.em.fork().getConnection().execute<{ action: string; actor_id: string; request_id: string }[]>("select action, actor_id, request_id from audit_entry where target_type = 'MerchantApplication' and target_id = ? order by id", [key]);
    expect(entries.map((e: { action: string }) => e.action)).toEqual(['merchantApplication.claim', 'merchantApplication.requestChanges']);
    expect(String(entries[1].actor_id)).toBe(reviewer.user.id);
    expect(entries[1].request_id).toBe(res.headers['x-request-id']);
  });
});
