import { randomBytes } from 'node:crypto';
import { isInputObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { Failure } from '../../src/errors';
import { buildBareSchema } from '../../src/schema';
import { upsertStaffUser } from '../../src/services/identity';
import { type TestApp, createTestApp } from '../helpers/app';
import { productInput, seller } from '../helpers/catalog';
import { PASSWORD, applicationInput, createCategory, userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload } from '../helpers/kit';
import { type Scenario, scenario } from '../helpers/scenario';

/**
 * The input rules every operation obeys (README, "Conventions clients rely on"): DateTime inputs
 * PostgreSQL can store, emails of at most 254 characters, and one text rule for every string
 * input — no lone UTF-16 surrogates, no control characters (line breaks and tabs only in
 * multi-line fields). Each case is an input fuzzing found answering INTERNAL_SERVER_ERROR, or
 * storing what it should have refused.
 */

const LONE = 'a\ud800b';
const suffix = () => randomBytes(4).toString('hex');
/** An email of exactly `length` characters. */
const emailOf = (length: number) => {
  const domain = `@${suffix()}.example.com`;
  return 'a'.repeat(length - domain.length) + domain;
};

const MY_ORDERS = `query($filter: OrderFilter) { myOrders(filter: $filter) { totalCount } }`;
const STAFF_ORDERS = `query($filter: StaffOrderFilter) { orders(filter: $filter) { totalCount } }`;
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } errors { code field } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { accessToken errors { code field } } }`;
const CHANGE_PASSWORD = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { id } errors { code field } } }`;
const INVITE = `mutation($input: InviteShopMemberInput!) { inviteShopMember(input: $input) { invitation { id } errors { code field } } }`;
const CREATE_BRAND = `mutation($input: BrandInput!) { createBrand(input: $input) { brand { id } errors { code field message } } }`;
const CREATE_CATEGORY = `mutation($input: CategoryInput!) { createCategory(input: $input) { category { id } errors { code field message } } }`;
const CREATE_COURSE = `mutation($input: TrainingCourseInput!) { createTrainingCourse(input: $input) { trainingCourse { id } errors { code field message } } }`;
const ADD_LESSON = `mutation($input: TrainingLessonInput!) { addTrainingLesson(input: $input) { trainingCourse { id } errors { code field message } } }`;
const ADD_QUESTION = `mutation($input: QuizQuestionInput!) { addQuizQuestion(input: $input) { trainingCourse { id } errors { code field message } } }`;
const CREATE_PRODUCT = `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } errors { code field message } } }`;
const UPDATE_PRODUCT = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { id } errors { code field message } } }`;
const CREATE_TEMPLATE = `mutation($input: ShippingTemplateInput!) { createShippingTemplate(input: $input) { shippingTemplate { id } errors { code field message } } }`;
const UPDATE_SHOP = `mutation($input: UpdateShopProfileInput!) { updateShopProfile(input: $input) { shop { id name } errors { code field message } } }`;
const ADJUST = `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { variant { id } errors { code field message } } }`;
const STOCKTAKE = `mutation($input: StocktakeInput!) { submitStocktake(input: $input) { stocktake { id note } errors { code field message } } }`;
const PRODUCTS = `query($filter: ProductFilter) { products(filter: $filter) { totalCount } }`;
const SUSPEND = `mutation($input: ShopModerationInput!) { suspendShop(input: $input) { shop { id status } errors { code field } } }`;
const PUBLISH_AGREEMENT = `mutation($input: PublishMerchantAgreementInput!) { publishMerchantAgreement(input: $input) { merchantAgreement { version } errors { code field } } }`;
const SUBMIT_PRODUCT = `mutation($input: IdInput!) { submitProductForReview(input: $input) { product { id status } errors { code field } } }`;
const REVIEW_PRODUCT = `mutation($input: ReviewProductInput!) { reviewProduct(input: $input) { product { id status } errors { code field } } }`;
const CREATE_APPLICATION = `mutation($input: MerchantApplicationInput!) { createMerchantApplication(input: $input) { merchantApplication { id } errors { code field } } }`;
const SUBMIT_APPLICATION = `mutation($id: ID!) { submitMerchantApplication(input: { id: $id }) { merchantApplication { id } errors { code field } } }`;
const CLAIM_APPLICATION = `mutation($id: ID!) { claimMerchantApplication(input: { id: $id }) { merchantApplication { id } errors { code field } } }`;
const REVIEW_APPLICATION = `mutation($input: ReviewMerchantApplicationInput!) { reviewMerchantApplication(input: $input) { merchantApplication { id status } errors { code field } } }`;

let t: TestApp;
let ops: { token: string };
let shopper: { token: string };
let orderStaff: { token: string };
let s: Scenario;

beforeAll(async () => {
  t = await createTestApp();
  ops = await userWithToken(t, { roles: [StaffRole.OPERATIONS] });
  orderStaff = await userWithToken(t, { roles: [StaffRole.CUSTOMER_SERVICE] });
  shopper = await userWithToken(t);
  s = await scenario(t).shop().product({ stock: 5 }).run();
});
afterAll(() => t.close());

async function count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const [row] = await t.sql(`select count(*)::int as n from ${table} where ${where}`, params);
  return row.n;
}

describe('DateTime inputs', () => {
  const UNSTORABLE = ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59-12:00', '0001-01-01T00:00:00+01:00'];

  it.each(UNSTORABLE)('refuses %s in myOrders and staff orders with BAD_USER_INPUT, as a variable and as a literal', async (instant) => {
    for (const filter of [{ placedAfter: instant }, { placedBefore: instant }]) {
      expect(code(await t.gql(MY_ORDERS, { filter }, { token: shopper.token }))).toBe('BAD_USER_INPUT');
      expect(code(await t.gql(STAFF_ORDERS, { filter }, { token: orderStaff.token }))).toBe('BAD_USER_INPUT');
    }
    expect(code(await t.gql(`{ myOrders(filter: { placedAfter: "${instant}" }) { totalCount } }`, {}, { token: shopper.token }))).toBe('BAD_USER_INPUT');
    expect(code(await t.gql(`{ orders(filter: { placedBefore: "${instant}" }) { totalCount } }`, {}, { token: orderStaff.token }))).toBe('BAD_USER_INPUT');
  });

  it('accepts the first and the last instant of years 0001 to 9999 (UTC)', async () => {
    const filter = { placedAfter: '0001-01-01T00:00:00Z', placedBefore: '9999-12-31T23:59:59.999Z' };
    const mine = await t.gql(MY_ORDERS, { filter }, { token: shopper.token });
    expect(mine.errors).toBeUndefined();
    expect(mine.data!.myOrders.totalCount).toBe(0);
    const all = await t.gql(`{ orders(filter: { placedAfter: "0001-01-01T00:00:00Z", placedBefore: "9999-12-31T23:59:59.999+00:00" }) { totalCount } }`, {}, { token: orderStaff.token });
    expect(all.errors).toBeUndefined();
  });
});

describe('emails are at most 254 characters everywhere', () => {
  it('registers a 254-character email, which can then sign in and change its password', async () => {
    const email = emailOf(254);
    const registered = await t.gql(REGISTER, { input: { email, password: PASSWORD, displayName: 'Long' } });
    expect(okPayload(registered, 'register').accessToken).toEqual(expect.any(String));

    const login = okPayload(await t.gql(LOGIN, { input: { email, password: PASSWORD } }), 'login');
    const changed = await t.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: 'another long password' } }, { token: login.accessToken });
    expect(okPayload(changed, 'changePassword', 'user')).toBeTruthy();
    expect(okPayload(await t.gql(LOGIN, { input: { email, password: 'another long password' } }), 'login').accessToken).toEqual(expect.any(String));
  });

  it.each([255, 300])('refuses a %i-character email at register with a field error, storing nothing', async (length) => {
    const email = emailOf(length);
    const res = await t.gql(REGISTER, { input: { email, password: PASSWORD, displayName: 'Long' } });
    expect(failuresOf(res, 'register', 'user')).toEqual([['INVALID_INPUT', 'input.email']]);
    expect(await count('users', 'email = ?', [email])).toBe(0);
  });

  it.each([255, 300])('answers INVALID_CREDENTIALS to a login with a %i-character email, like any unknown account', async (length) => {
    const res = await t.gql(LOGIN, { input: { email: emailOf(length), password: PASSWORD } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.login).toEqual({ accessToken: null, errors: [{ code: 'INVALID_CREDENTIALS', field: null }] });
  });

  it('refuses a 255-character email in an invitation and in staff:create', async () => {
    const shop = await seller(t);
    const res = await t.gql(INVITE, { input: { shopId: shop.shopId, email: emailOf(255), role: 'OPERATOR' } }, { token: shop.owner.token });
    expect(failuresOf(res, 'inviteShopMember', 'invitation')).toEqual([['INVALID_INPUT', 'input.email']]);

    const email = emailOf(255);
    const staffCreate = upsertStaffUser(t.orm.em.fork(), { email, password: 'a long admin password', roles: [StaffRole.ADMIN] });
    await expect(staffCreate).rejects.toBeInstanceOf(Failure);
    await expect(staffCreate).rejects.toMatchObject({ errors: [{ code: 'INVALID_INPUT', field: ['email'] }] });
    expect(await count('users', 'email = ?', [email])).toBe(0);
  });
});

describe('lone UTF-16 surrogates are refused in every string input', () => {
  it('refuses them in brand and category names (kept in the audit log as JSON)', async () => {
    const audits = await count('audit_entry');
    expect(failuresOf(await t.gql(CREATE_BRAND, { input: { name: LONE } }, { token: ops.token }), 'createBrand', 'brand')).toEqual([['INVALID_INPUT', 'input.name']]);
    expect(failuresOf(await t.gql(CREATE_CATEGORY, { input: { name: LONE } }, { token: ops.token }), 'createCategory', 'category')).toEqual([['INVALID_INPUT', 'input.name']]);
    expect(await count('brand', 'name like ?', ['a%b'])).toBe(0);
    expect(await count('category', 'name like ?', ['a%b'])).toBe(0);
    expect(await count('audit_entry')).toBe(audits);
  });

  it('refuses them in course and lesson titles and quiz prompts', async () => {
    const courses = await count('training_course');
    expect(failuresOf(await t.gql(CREATE_COURSE, { input: { title: LONE, description: 'About shipping.', required: false, passScore: 50 } }, { token: ops.token }), 'createTrainingCourse', 'trainingCourse')).toEqual([
      ['INVALID_INPUT', 'input.title'],
    ]);
    expect(await count('training_course')).toBe(courses);

    const course = okPayload(await t.gql(CREATE_COURSE, { input: { title: `Course ${suffix()}`, description: 'About shipping.', required: false, passScore: 50 } }, { token: ops.token }), 'createTrainingCourse', 'trainingCourse');
    const lesson = await t.gql(ADD_LESSON, { input: { courseId: course.id, title: LONE, body: 'Read this.' } }, { token: ops.token });
    expect(failuresOf(lesson, 'addTrainingLesson', 'trainingCourse')).toEqual([['INVALID_INPUT', 'input.title']]);
    const question = await t.gql(ADD_QUESTION, { input: { courseId: course.id, prompt: LONE, options: ['no', 'yes'], correctOptionIndexes: [1] } }, { token: ops.token });
    expect(failuresOf(question, 'addQuizQuestion', 'trainingCourse')).toEqual([['INVALID_INPUT', 'input.prompt']]);
    expect(await count('training_lesson')).toBe(0);
    expect(await count('quiz_question')).toBe(0);
  });

  it('refuses them in variant option names and values', async () => {
    const shop = await seller(t);
    const category = idOf('Category', (await createCategory(t)).id);
    const input = productInput(shop.shopId, category);
    input.variants[0].options = [{ name: 'Colour', value: LONE }];
    input.variants[1].options = [{ name: LONE, value: 'White' }];
    const res = await t.gql(CREATE_PRODUCT, { input }, { token: shop.owner.token });
    expect(failuresOf(res, 'createProduct', 'product')).toEqual([
      ['INVALID_INPUT', 'input.variants.0.options.0.value'],
      ['INVALID_INPUT', 'input.variants.1.options.0.name'],
    ]);
    expect(await count('product', 'shop_id = ?', [shop.shop.id])).toBe(0);
  });

  it('refuses them in the tags of a pending revision', async () => {
    const product = keyOf(s.product.id);
    const before = await t.sql('select tags, pending_revision from product where id = ?', [product]);
    const res = await t.gql(UPDATE_PRODUCT, { input: { id: s.product.id, tags: ['audio', LONE] } }, { token: s.shop.owner.token });
    expect(failuresOf(res, 'updateProduct', 'product')).toEqual([['INVALID_INPUT', 'input.tags.1']]);
    expect(await t.sql('select tags, pending_revision from product where id = ?', [product])).toEqual(before);
  });

  it('refuses them in shipping regions', async () => {
    const input = {
      shopId: s.shop.shopId,
      name: 'Standard',
      rules: [{ regions: ['西藏自治區', LONE], firstUnits: 1, firstFee: '20.00', additionalUnits: 1, additionalFee: '5.00' }],
      defaultRule: { firstUnits: 1, firstFee: '10.00', additionalUnits: 1, additionalFee: '5.00' },
    };
    const res = await t.gql(CREATE_TEMPLATE, { input }, { token: s.shop.owner.token });
    expect(failuresOf(res, 'createShippingTemplate', 'shippingTemplate')).toEqual([['INVALID_INPUT', 'input.rules.0.regions.1']]);
    expect(await count('shipping_template', 'shop_id = ?', [s.shop.shop.id])).toBe(0);
  });

  it('refuses them in plain text columns rather than storing U+FFFD', async () => {
    const email = `lone-${suffix()}@example.com`;
    const res = await t.gql(REGISTER, { input: { email, password: PASSWORD, displayName: LONE } });
    expect(failuresOf(res, 'register', 'user')).toEqual([['INVALID_INPUT', 'input.displayName']]);
    expect(await count('users', 'email = ?', [email])).toBe(0);

    const shop = await seller(t);
    const renamed = await t.gql(UPDATE_SHOP, { input: { shopId: shop.shopId, name: LONE } }, { token: shop.owner.token });
    expect(failuresOf(renamed, 'updateShopProfile', 'shop')).toEqual([['INVALID_INPUT', 'input.name']]);
    expect((await t.sql('select name from shop where id = ?', [shop.shop.id]))[0].name).toBe(shop.shop.name);
  });

  it('refuses them in query arguments with BAD_USER_INPUT naming the field', async () => {
    const res = await t.gql(PRODUCTS, { filter: { search: LONE } });
    expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.search' });
    expect(res.data).toBeNull();
  });
});

describe('control characters are refused, except line breaks and tabs in multi-line fields', () => {
  it('refuses them in category and shop names and display names', async () => {
    const name = `Cat\u0001${suffix()}`;
    expect(failuresOf(await t.gql(CREATE_CATEGORY, { input: { name } }, { token: ops.token }), 'createCategory', 'category')).toEqual([['INVALID_INPUT', 'input.name']]);
    expect(failuresOf(await t.gql(CREATE_CATEGORY, { input: { name: 'Two\nlines' } }, { token: ops.token }), 'createCategory', 'category')).toEqual([['INVALID_INPUT', 'input.name']]);
    expect(await count('category', 'name = ? or name = ?', [name, 'Two\nlines'])).toBe(0);

    const shop = await seller(t);
    const renamed = await t.gql(UPDATE_SHOP, { input: { shopId: shop.shopId, name: 'Shop\u001f name' } }, { token: shop.owner.token });
    expect(failuresOf(renamed, 'updateShopProfile', 'shop')).toEqual([['INVALID_INPUT', 'input.name']]);
    expect((await t.sql('select name from shop where id = ?', [shop.shop.id]))[0].name).toBe(shop.shop.name);

    const email = `ctl-${suffix()}@example.com`;
    const res = await t.gql(REGISTER, { input: { email, password: PASSWORD, displayName: 'Ada\u0007' } });
    expect(failuresOf(res, 'register', 'user')).toEqual([['INVALID_INPUT', 'input.displayName']]);
    expect(await count('users', 'email = ?', [email])).toBe(0);
  });

  it('refuses them in quiz options', async () => {
    const course = okPayload(await t.gql(CREATE_COURSE, { input: { title: `Course ${suffix()}`, description: 'About returns.', required: false, passScore: 50 } }, { token: ops.token }), 'createTrainingCourse', 'trainingCourse');
    const res = await t.gql(ADD_QUESTION, { input: { courseId: course.id, prompt: 'Which is right?', options: ['no', 'yes\u0002'], correctOptionIndexes: [1] } }, { token: ops.token });
    expect(failuresOf(res, 'addQuizQuestion', 'trainingCourse')).toEqual([['INVALID_INPUT', 'input.options.1']]);
    expect(await count('quiz_question')).toBe(0);
  });

  it('refuses them in stock and stocktake notes, which may span lines', async () => {
    const [variantId] = s.product.variantIds;
    const movements = await count('stock_movement');
    const adjusted = await t.gql(ADJUST, { input: { variantId, delta: 1, reason: 'RESTOCK', note: 'bell\u0007' } }, { token: s.shop.owner.token });
    expect(failuresOf(adjusted, 'adjustStock', 'variant')).toEqual([['INVALID_INPUT', 'input.note']]);
    const counted = await t.gql(STOCKTAKE, { input: { shopId: s.shop.shopId, counts: [{ variantId, counted: 5 }], note: 'escape\u001b[31m' } }, { token: s.shop.owner.token });
    expect(failuresOf(counted, 'submitStocktake', 'stocktake')).toEqual([['INVALID_INPUT', 'input.note']]);
    expect(await count('stock_movement')).toBe(movements);
    expect(await count('stocktake')).toBe(0);

    const multiline = await t.gql(STOCKTAKE, { input: { shopId: s.shop.shopId, counts: [{ variantId, counted: 5 }], note: 'shelf A\r\n\tcounted twice' } }, { token: s.shop.owner.token });
    expect(okPayload(multiline, 'submitStocktake', 'stocktake').note).toBe('shelf A\r\n\tcounted twice');
  });

  it('lets only descriptions, notes, reasons, messages, answers, the agreement text, lesson bodies and quiz prompts span lines', () => {
    const multiline: string[] = [];
    for (const type of Object.values(buildBareSchema().getTypeMap())) {
      if (!isInputObjectType(type)) continue;
      for (const field of Object.values(type.getFields())) if (field.extensions.multiline) multiline.push(`${type.name}.${field.name}`);
    }
    expect(multiline.sort()).toEqual([
      'AdjustStockInput.note',
      'AppealViolationInput.reason',
      'ArbitrateInput.note',
      'CancelOrderInput.reason',
      'CaseMessageInput.body',
      'CheckoutInput.note',
      'ConfirmReturnInput.note',
      'CreateFaqInput.answer',
      'CreateGrowthTaskInput.description',
      'CreateProductInput.description',
      'CreateReviewInput.body',
      'DecideAppealInput.reason',
      'DecideProductReportInput.reason',
      'EscalateInput.reason',
      'MerchantApplicationInput.description',
      'ModerateReviewInput.reason',
      'OpenTicketInput.body',
      'ProductModerationInput.reason',
      'PublishMerchantAgreementInput.text',
      'QuizQuestionInput.prompt',
      'RateTicketInput.comment',
      'RecordShopViolationInput.reason',
      'ReleaseOrderHoldInput.reason',
      'ReportProductInput.description',
      'ReportReviewInput.reason',
      'RequestAfterSaleInput.description',
      'ResolveTicketInput.resolution',
      'RespondAfterSaleInput.reason',
      'ReviewFlashSaleItemInput.reason',
      'ReviewFollowUpInput.body',
      'ReviewMerchantApplicationInput.reason',
      'ReviewProductInput.reason',
      'ReviewReplyInput.body',
      'ShopModerationInput.reason',
      'StocktakeInput.note',
      'TicketReplyInput.body',
      'TrainingCourseInput.description',
      'TrainingLessonInput.body',
      'UpdateFaqInput.answer',
      'UpdateMerchantApplicationInput.description',
      'UpdateProductInput.description',
      'UpdateShopProfileInput.description',
      'UpsertRiskRuleInput.description',
    ]);
  });

  it('refuses them in query arguments with BAD_USER_INPUT', async () => {
    const res = await t.gql(`{ products(filter: { search: "ear\\u0001phones" }) { totalCount } }`);
    expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.search' });
  });
});

describe('texts stored without a length bound now have one', () => {
  const long = (n: number) => 'x'.repeat(n);

  it('bounds staff reasons: shop moderation, product review and application review, 1000 characters', async () => {
    const moderator = await userWithToken(t, { roles: [StaffRole.RISK] });
    const shop = await seller(t);
    const suspended = await t.gql(SUSPEND, { input: { shopId: shop.shopId, reason: long(1001) } }, { token: moderator.token });
    expect(failuresOf(suspended, 'suspendShop', 'shop')).toEqual([['REASON_REQUIRED', 'input.reason']]);
    expect((await t.sql('select status from shop where id = ?', [shop.shop.id]))[0].status).toBe('ACTIVE');

    const reviewer = await userWithToken(t, { roles: [StaffRole.REVIEWER] });
    const category = idOf('Category', (await createCategory(t)).id);
    const productId = okPayload(await t.gql(CREATE_PRODUCT, { input: productInput(shop.shopId, category) }, { token: shop.owner.token }), 'createProduct', 'product').id;
    okPayload(await t.gql(SUBMIT_PRODUCT, { input: { id: productId } }, { token: shop.owner.token }), 'submitProductForReview');
    const approved = await t.gql(REVIEW_PRODUCT, { input: { productId, decision: 'APPROVE', reason: long(1001) } }, { token: reviewer.token });
    expect(failuresOf(approved, 'reviewProduct', 'product')).toEqual([['INVALID_INPUT', 'input.reason']]);
    expect((await t.sql('select status from product where id = ?', [keyOf(productId)]))[0].status).toBe('PENDING_REVIEW');

    const applicant = await userWithToken(t);
    const applicationId = okPayload(await t.gql(CREATE_APPLICATION, { input: applicationInput([category]) }, { token: applicant.token }), 'createMerchantApplication', 'merchantApplication').id;
    okPayload(await t.gql(SUBMIT_APPLICATION, { id: applicationId }, { token: applicant.token }), 'submitMerchantApplication');
    okPayload(await t.gql(CLAIM_APPLICATION, { id: applicationId }, { token: reviewer.token }), 'claimMerchantApplication');
    const rejected = await t.gql(REVIEW_APPLICATION, { input: { applicationId, decision: 'REJECT', reason: long(1001) } }, { token: reviewer.token });
    expect(failuresOf(rejected, 'reviewMerchantApplication', 'merchantApplication')).toEqual([['INVALID_INPUT', 'input.reason']]);
    expect((await t.sql('select status from merchant_application where id = ?', [keyOf(applicationId)]))[0].status).toBe('IN_REVIEW');
  });

  it('bounds the merchant agreement (100,000 characters), quiz options (200) and allowed values of an attribute (100 of 200)', async () => {
    const version = `v-${suffix()}`;
    const agreement = await t.gql(PUBLISH_AGREEMENT, { input: { version, text: long(100_001) } }, { token: ops.token });
    expect(failuresOf(agreement, 'publishMerchantAgreement', 'merchantAgreement')).toEqual([['INVALID_INPUT', 'input.text']]);
    expect(await count('merchant_agreement', 'version = ?', [version])).toBe(0);

    const course = okPayload(await t.gql(CREATE_COURSE, { input: { title: `Course ${suffix()}`, description: 'About fees.', required: false, passScore: 50 } }, { token: ops.token }), 'createTrainingCourse', 'trainingCourse');
    const question = await t.gql(ADD_QUESTION, { input: { courseId: course.id, prompt: 'Which?', options: [long(201), 'b'], correctOptionIndexes: [1] } }, { token: ops.token });
    expect(failuresOf(question, 'addQuizQuestion', 'trainingCourse')).toEqual([['INVALID_INPUT', 'input.options.0']]);

    const name = `Attributes ${suffix()}`;
    const attributes = [
      { name: 'Size', type: 'ENUM', allowedValues: ['S', long(201)] },
      { name: 'Colour', type: 'ENUM', allowedValues: Array.from({ length: 101 }, (_, i) => `c${i}`) },
    ];
    const category = await t.gql(CREATE_CATEGORY, { input: { name, attributes } }, { token: ops.token });
    expect(failuresOf(category, 'createCategory', 'category')).toEqual([
      ['INVALID_INPUT', 'input.attributes.0.allowedValues.1'],
      ['INVALID_INPUT', 'input.attributes.1.allowedValues'],
    ]);
    expect(await count('category', 'name = ?', [name])).toBe(0);
  });
});
