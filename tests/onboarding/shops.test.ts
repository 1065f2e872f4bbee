import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Shop, ShopMemberRole, StaffRole, type User } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type GqlResult, type TestApp, createTestApp } from '../helpers/app';
import { createShop, userWithToken } from '../helpers/factories';
import { code } from '../helpers/kit';

const { OWNER, MANAGER, OPERATOR, CUSTOMER_SERVICE, FINANCE } = ShopMemberRole;

const PROFILE = `id name slug status description logoUrl phone address businessHours { weekday opens closes } photoUrls`;
const UPDATE = `mutation($input: UpdateShopProfileInput!) { updateShopProfile(input: $input) { shop { ${PROFILE} } errors { code field } } }`;
const ACTIVATE = `mutation($input: IdInput!) { activateShop(input: $input) { shop { id status } errors { code field message } } }`;
const ACCEPT_AGREEMENT = `mutation($input: AcceptMerchantAgreementInput!) { acceptMerchantAgreement(input: $input) { shop { id acceptedAgreementVersion } errors { code field } } }`;
const SUBMIT_QUIZ = `mutation($input: SubmitQuizAttemptInput!) { submitQuizAttempt(input: $input) { quizAttempt { score passed } errors { code field } } }`;
const SHOP_BY_ID = `query($id: ID!) { shop(id: $id) { id status } }`;
const SHOP_BY_SLUG = `query($slug: String!) { shop(slug: $slug) { id status } }`;
const SHOP_ANY = `query($id: ID, $slug: String) { shop(id: $id, slug: $slug) { id } }`;
const MY_SHOPS = `{ myShops { id status } }`;
const AUDIT_LOG = `query($first: Int, $after: String, $filter: AuditLogFilter) {
  auditLog(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id action targetType targetId before after requestId at actor { id } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`;

const moderation = (name: 'suspendShop' | 'reinstateShop' | 'closeShop') =>
  `mutation($input: ShopModerationInput!) { ${name}(input: $input) { shop { id status statusReason } errors { code field } } }`;
const SUSPEND = moderation('suspendShop');
const REINSTATE = moderation('reinstateShop');
const CLOSE = moderation('closeShop');

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const gid = (shop: Shop) => toGlobalId('Shop', shop.id);
const suffix = () => randomBytes(4).toString('hex');

async function row(shop: Shop): Promise<any> {
  const [r] = await t.sql(
    'select name, status, status_reason, description, logo_url, phone, address, business_hours, photo_urls, activated_at from shop where id = ?',
    [shop.id],
  );
  return r;
}

async function auditCount(): Promise<number> {
  const [{ count }] = await t.sql('select count(*)::int as count from audit_entry');
  return count;
}

async function lastAudit(action: string, shop: Shop): Promise<any> {
  const [r] = await t.sql("select * from audit_entry where action = ? and target_type = 'Shop' and target_id = ? order by id desc limit 1", [action, shop.id]);
  return r;
}

function expectActorAndRequest(entry: any, actor: User, res: GqlResult) {
  expect(entry).toBeDefined();
  expect(String(entry.actor_id)).toBe(actor.id);
  expect(res.headers['x-request-id']).toEqual(expect.any(String));
  expect(entry.request_id).toBe(res.headers['x-request-id']);
}

async function setStatus(shop: Shop, status: string, activated = status === 'ACTIVE'): Promise<void> {
  await t.sql(`update shop set status = ?, activated_at = ${activated ? 'now()' : 'null'} where id = ?`, [status, shop.id]);
}

/** A shop with an OWNER (and optionally more members), in `status`. */
async function shopWith(status = 'ONBOARDING', ...extra: ShopMemberRole[]) {
  const owner = await userWithToken(t);
  const members = await Promise.all(extra.map(() => userWithToken(t)));
  const shop = await createShop(t, [{ user: owner.user, role: OWNER }, ...members.map((m, i) => ({ user: m.user, role: extra[i] }))]);
  if (status !== 'ONBOARDING') await setStatus(shop, status);
  return { shop, owner, members };
}

describe('updateShopProfile', () => {
  it('lets the OWNER set every profile field, normalised, and returns it as stored', async () => {
    const { shop, owner } = await shopWith();
    const name = `Blue Harbour Tea ${suffix()}`;
    const res = await t.gql(
      UPDATE,
      {
        input: {
          shopId: gid(shop),
          name: `  ${name} `,
          description: ' Loose-leaf tea from Fujian. ',
          logoUrl: 'https://cdn.example.com/logo.png',
          phone: '+86 138-1234-5678',
          address: '1 Harbour Road, Xiamen',
          businessHours: [
            { weekday: 6, opens: '10:00', closes: '16:00' },
            { weekday: 1, opens: '09:00', closes: '18:30' },
          ],
          photoUrls: ['https://cdn.example.com/a.jpg', ' http://cdn.example.com/b.jpg '],
        },
      },
      { token: owner.token },
    );
    const expected = {
      id: gid(shop),
      name,
      slug: shop.slug,
      status: 'ONBOARDING',
      description: 'Loose-leaf tea from Fujian.',
      logoUrl: 'https://cdn.example.com/logo.png',
      phone: '+8613812345678',
      address: '1 Harbour Road, Xiamen',
      businessHours: [
        { weekday: 1, opens: '09:00', closes: '18:30' },
        { weekday: 6, opens: '10:00', closes: '16:00' },
      ],
      photoUrls: ['https://cdn.example.com/a.jpg', 'http://cdn.example.com/b.jpg'],
    };
    expect(res.data!.updateShopProfile).toEqual({ shop: expected, errors: [] });
    const again = await t.gql(`query($id: ID!) { shop(id: $id) { ${PROFILE} } }`, { id: gid(shop) }, { token: owner.token });
    expect(again.data!.shop).toEqual(expected);
    expect(await row(shop)).toMatchObject({ name, phone: '+8613812345678', business_hours: expected.businessHours, photo_urls: expected.photoUrls });
  });

  it('lets a MANAGER edit it, leaving omitted fields as they were', async () => {
    const { shop, owner, members } = await shopWith('ONBOARDING', MANAGER);
    await t.gql(UPDATE, { input: { shopId: gid(shop), phone: '13812345678', address: 'Old address' } }, { token: owner.token });
    const res = await t.gql(UPDATE, { input: { shopId: gid(shop), description: 'By the manager', address: 'New address' } }, { token: members[0].token });
    expect(res.data!.updateShopProfile.errors).toEqual([]);
    expect(res.data!.updateShopProfile.shop).toMatchObject({ name: shop.name, phone: '13812345678', address: 'New address', description: 'By the manager' });
    expect(await row(shop)).toMatchObject({ name: shop.name, phone: '13812345678', address: 'New address', description: 'By the manager' });
  });

  it.each([
    ['a one-character name', { name: 'A' }, ['input', 'name']],
    ['a 41-character name', { name: 'x'.repeat(41) }, ['input', 'name']],
    ['a bad phone', { phone: '12345' }, ['input', 'phone']],
    ['a non-http logo', { logoUrl: 'ftp://cdn.example.com/logo.png' }, ['input', 'logoUrl']],
    ['a javascript: logo', { logoUrl: 'javascript:alert(1)' }, ['input', 'logoUrl']],
    ['a non-http photo', { photoUrls: ['https://ok.example.com/a.jpg', 'data:image/png;base64,AAAA'] }, ['input', 'photoUrls', '1']],
    ['weekday 8', { businessHours: [{ weekday: 8, opens: '09:00', closes: '18:00' }] }, ['input', 'businessHours', '0', 'weekday']],
    ['weekday 0', { businessHours: [{ weekday: 0, opens: '09:00', closes: '18:00' }] }, ['input', 'businessHours', '0', 'weekday']],
    ['closing before opening', { businessHours: [{ weekday: 2, opens: '18:00', closes: '09:00' }] }, ['input', 'businessHours', '0', 'closes']],
    ['closing at opening', { businessHours: [{ weekday: 2, opens: '09:00', closes: '09:00' }] }, ['input', 'businessHours', '0', 'closes']],
    ['a malformed time', { businessHours: [{ weekday: 2, opens: '9am', closes: '18:00' }] }, ['input', 'businessHours', '0', 'opens']],
    [
      'a duplicate weekday',
      { businessHours: [{ weekday: 3, opens: '09:00', closes: '12:00' }, { weekday: 3, opens: '13:00', closes: '18:00' }] },
      ['input', 'businessHours', '1', 'weekday'],
    ],
  ])('refuses %s with INVALID_INPUT naming the field, and changes nothing', async (_what, change, field) => {
    const { shop, owner } = await shopWith();
    const before = await row(shop);
    const res = await t.gql(UPDATE, { input: { shopId: gid(shop), description: 'would change', ...change } }, { token: owner.token });
    expect(res.data!.updateShopProfile).toEqual({ shop: null, errors: [{ code: 'INVALID_INPUT', field }] });
    expect(await row(shop)).toEqual(before);
  });

  it('reports every invalid field at once', async () => {
    const { shop, owner } = await shopWith();
    const res = await t.gql(UPDATE, { input: { shopId: gid(shop), name: 'A', phone: 'nope', logoUrl: 'not a url' } }, { token: owner.token });
    expect(res.data!.updateShopProfile.errors.map((e: any) => e.field[1]).sort()).toEqual(['logoUrl', 'name', 'phone']);
  });

  it("refuses another live shop's name in a different case with SHOP_NAME_TAKEN, but allows a closed shop's name and its own", async () => {
    const { shop, owner } = await shopWith();
    const { shop: other } = await shopWith('ACTIVE');
    const taken = await t.gql(UPDATE, { input: { shopId: gid(shop), name: other.name.toUpperCase(), description: 'x' } }, { token: owner.token });
    expect(taken.data!.updateShopProfile).toEqual({ shop: null, errors: [{ code: 'SHOP_NAME_TAKEN', field: ['input', 'name'] }] });
    expect(await row(shop)).toMatchObject({ name: shop.name, description: null });

    const { shop: onboarding } = await shopWith();
    const takenToo = await t.gql(UPDATE, { input: { shopId: gid(shop), name: ` ${onboarding.name.toLowerCase()} ` } }, { token: owner.token });
    expect(takenToo.data!.updateShopProfile.errors.map((e: any) => e.code)).toEqual(['SHOP_NAME_TAKEN']);

    const { shop: closed } = await shopWith('CLOSED');
    const reused = await t.gql(UPDATE, { input: { shopId: gid(shop), name: closed.name.toUpperCase() } }, { token: owner.token });
    expect(reused.data!.updateShopProfile.errors).toEqual([]);
    const recased = await t.gql(UPDATE, { input: { shopId: gid(shop), name: closed.name.toLowerCase() } }, { token: owner.token });
    expect(recased.data!.updateShopProfile.errors).toEqual([]);
    expect((await row(shop)).name).toBe(closed.name.toLowerCase());
  });

  it('refuses changes to a closed shop with INVALID_TRANSITION', async () => {
    const { shop, owner } = await shopWith('CLOSED');
    const res = await t.gql(UPDATE, { input: { shopId: gid(shop), description: 'late' } }, { token: owner.token });
    expect(res.data!.updateShopProfile.errors.map((e: any) => e.code)).toEqual(['INVALID_TRANSITION']);
    expect((await row(shop)).description).toBeNull();
  });

  it.each([OPERATOR, CUSTOMER_SERVICE, FINANCE])('is FORBIDDEN to a %s of the shop, and changes nothing', async (role) => {
    const { shop, members } = await shopWith('ACTIVE', role);
    const before = await row(shop);
    const res = await t.gql(UPDATE, { input: { shopId: gid(shop), name: `Renamed ${suffix()}`, description: 'no' } }, { token: members[0].token });
    expect(code(res)).toBe('FORBIDDEN');
    expect(res.data).toBeNull();
    expect(await row(shop)).toEqual(before);
  });

  it("answers NOT_FOUND to another shop's OWNER and UNAUTHENTICATED without a token, changing nothing", async () => {
    const { shop } = await shopWith('ACTIVE');
    const { owner: stranger } = await shopWith('ACTIVE');
    const before = await row(shop);
    const input = { shopId: gid(shop), name: `Hijacked ${suffix()}` };
    expect(code(await t.gql(UPDATE, { input }, { token: stranger.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(UPDATE, { input }))).toBe('UNAUTHENTICATED');
    expect(await row(shop)).toEqual(before);
  });
});

describe('activateShop', () => {
  const required = `Selling Rules ${suffix()}`;
  const optional = `Photography Tips ${suffix()}`;
  const draft = `Draft Rules ${suffix()}`;
  let courseId: string;
  let ops: { user: User; token: string };

  /** A course made through the API by OPERATIONS staff: a lesson, two questions (answers [1] and [0, 2]), passScore 100. */
  async function course(title: string, opts: { required: boolean; publish: boolean }): Promise<string> {
    const gql = async (query: string, input: Record<string, unknown>) => {
      const res = await t.gql(query, { input }, { token: ops.token });
      const payload = Object.values(res.data ?? {})[0] as any;
      expect(res.errors).toBeUndefined();
      expect(payload.errors).toEqual([]);
      return payload.trainingCourse.id as string;
    };
    const id = await gql(`mutation($input: TrainingCourseInput!) { createTrainingCourse(input: $input) { trainingCourse { id } errors { code } } }`, {
      title,
      description: 'What every merchant must know.',
      required: opts.required,
      passScore: 100,
    });
    await gql(`mutation($input: TrainingLessonInput!) { addTrainingLesson(input: $input) { trainingCourse { id } errors { code } } }`, { courseId: id, title: 'Lesson one', body: 'Be honest.' });
    const question = `mutation($input: QuizQuestionInput!) { addQuizQuestion(input: $input) { trainingCourse { id } errors { code } } }`;
    await gql(question, { courseId: id, prompt: 'Which is right?', options: ['a', 'b', 'c'], correctOptionIndexes: [1] });
    await gql(question, { courseId: id, prompt: 'Which are right?', options: ['x', 'y', 'z'], correctOptionIndexes: [0, 2] });
    if (opts.publish) await gql(`mutation($input: IdInput!) { publishTrainingCourse(input: $input) { trainingCourse { id } errors { code } } }`, { id });
    return id;
  }

  beforeAll(async () => {
    ops = await userWithToken(t, { roles: [StaffRole.OPERATIONS] });
    courseId = await course(required, { required: true, publish: true });
    await course(optional, { required: false, publish: true });
    await course(draft, { required: true, publish: false });
  });

  async function questionIds(token: string): Promise<string[]> {
    const res = await t.gql(`{ trainingCourses { id questions { id } } }`, {}, { token });
    return res.data!.trainingCourses.find((c: any) => c.id === courseId).questions.map((q: any) => q.id);
  }

  async function takeQuiz(shop: Shop, token: string, right: boolean) {
    const [q1, q2] = await questionIds(token);
    const answers = [
      { questionId: q1, optionIndexes: [1] },
      { questionId: q2, optionIndexes: right ? [2, 0] : [0] },
    ];
    const res = await t.gql(SUBMIT_QUIZ, { input: { shopId: gid(shop), courseId, answers } }, { token });
    expect(res.data!.submitQuizAttempt.errors).toEqual([]);
    return res.data!.submitQuizAttempt.quizAttempt;
  }

  async function acceptAgreement(shop: Shop, token: string) {
    const { data } = await t.gql(`{ merchantAgreement { version } }`);
    const res = await t.gql(ACCEPT_AGREEMENT, { input: { shopId: gid(shop), version: data!.merchantAgreement.version } }, { token });
    expect(res.data!.acceptMerchantAgreement.errors).toEqual([]);
    expect(res.data!.acceptMerchantAgreement.shop.acceptedAgreementVersion).toBe(data!.merchantAgreement.version);
  }

  const COMPLETE_PROFILE = { phone: '13812345678', address: '8 Market Street, Hangzhou', description: 'Handmade ceramics.' };

  it('reports every unmet gate together, naming the missing required course, and changes nothing', async () => {
    const { shop, owner } = await shopWith();
    const before = await auditCount();
    const res = await t.gql(ACTIVATE, { input: { id: gid(shop) } }, { token: owner.token });
    const { shop: activated, errors } = res.data!.activateShop;
    expect(activated).toBeNull();
    expect(errors.map((e: any) => e.code).sort()).toEqual(['AGREEMENT_NOT_ACCEPTED', 'PROFILE_INCOMPLETE', 'PROFILE_INCOMPLETE', 'PROFILE_INCOMPLETE', 'TRAINING_INCOMPLETE']);
    const training = errors.find((e: any) => e.code === 'TRAINING_INCOMPLETE');
    expect(training.message).toContain(required);
    expect(training.message).not.toContain(optional);
    expect(training.message).not.toContain(draft);
    const missing = errors.filter((e: any) => e.code === 'PROFILE_INCOMPLETE').map((e: any) => e.field.at(-1));
    expect(missing.sort()).toEqual(['address', 'description', 'phone']);
    expect(await row(shop)).toMatchObject({ status: 'ONBOARDING', activated_at: null });
    expect(await auditCount()).toBe(before);
  });

  it('activates once the agreement is accepted, the required course passed and the profile complete; a failed quiz does not count', async () => {
    const { shop, owner } = await shopWith();
    await acceptAgreement(shop, owner.token);
    await t.gql(UPDATE, { input: { shopId: gid(shop), phone: COMPLETE_PROFILE.phone } }, { token: owner.token });

    const partial = await t.gql(ACTIVATE, { input: { id: gid(shop) } }, { token: owner.token });
    expect(partial.data!.activateShop.errors.map((e: any) => [e.code, e.field.at(-1)]).sort()).toEqual([
      ['PROFILE_INCOMPLETE', 'address'],
      ['PROFILE_INCOMPLETE', 'description'],
      ['TRAINING_INCOMPLETE', 'id'],
    ]);

    await t.gql(UPDATE, { input: { shopId: gid(shop), ...COMPLETE_PROFILE } }, { token: owner.token });
    expect(await takeQuiz(shop, owner.token, false)).toEqual({ score: 50, passed: false });
    const stillTraining = await t.gql(ACTIVATE, { input: { id: gid(shop) } }, { token: owner.token });
    expect(stillTraining.data!.activateShop.errors.map((e: any) => e.code)).toEqual(['TRAINING_INCOMPLETE']);
    expect((await row(shop)).status).toBe('ONBOARDING');

    expect(await takeQuiz(shop, owner.token, true)).toEqual({ score: 100, passed: true });
    const res = await t.gql(ACTIVATE, { input: { id: gid(shop) } }, { token: owner.token });
    expect(res.data!.activateShop).toEqual({ shop: { id: gid(shop), status: 'ACTIVE' }, errors: [] });
    const stored = await row(shop);
    expect(stored.status).toBe('ACTIVE');
    expect(stored.activated_at).not.toBeNull();
    const entry = await lastAudit('shop.activate', shop);
    expect(entry).toMatchObject({ before: { status: 'ONBOARDING' }, after: { status: 'ACTIVE' } });
    expectActorAndRequest(entry, owner.user, res);
    expect((await t.gql(SHOP_BY_ID, { id: gid(shop) })).data!.shop).toEqual({ id: gid(shop), status: 'ACTIVE' });

    const again = await t.gql(ACTIVATE, { input: { id: gid(shop) } }, { token: owner.token });
    expect(again.data!.activateShop).toEqual({ shop: null, errors: [expect.objectContaining({ code: 'INVALID_TRANSITION' })] });
  });

  it("is FORBIDDEN to a MANAGER, NOT_FOUND to another shop's OWNER and UNAUTHENTICATED without a token", async () => {
    const { shop, owner, members } = await shopWith('ONBOARDING', MANAGER);
    await acceptAgreement(shop, owner.token);
    await t.gql(UPDATE, { input: { shopId: gid(shop), ...COMPLETE_PROFILE } }, { token: owner.token });
    await takeQuiz(shop, owner.token, true);
    const { owner: stranger } = await shopWith();
    const before = await auditCount();

    expect(code(await t.gql(ACTIVATE, { input: { id: gid(shop) } }, { token: members[0].token }))).toBe('FORBIDDEN');
    expect(code(await t.gql(ACTIVATE, { input: { id: gid(shop) } }, { token: stranger.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(ACTIVATE, { input: { id: gid(shop) } }))).toBe('UNAUTHENTICATED');
    expect(await row(shop)).toMatchObject({ status: 'ONBOARDING', activated_at: null });
    expect(await auditCount()).toBe(before);

    // The gates were all met: only the caller was wrong.
    const res = await t.gql(ACTIVATE, { input: { id: gid(shop) } }, { token: owner.token });
    expect(res.data!.activateShop.errors).toEqual([]);
  });
});

describe('shop visibility', () => {
  it.each(['ONBOARDING', 'SUSPENDED', 'CLOSED'])('shows a %s shop to its members and staff, by id and by slug, and to nobody else', async (status) => {
    const { shop, owner, members } = await shopWith(status, FINANCE);
    const staff = await userWithToken(t, { roles: [StaffRole.ANALYST] });
    const other = await userWithToken(t);
    const expected = { id: gid(shop), status };
    for (const token of [owner.token, members[0].token, staff.token]) {
      expect((await t.gql(SHOP_BY_ID, { id: gid(shop) }, { token })).data!.shop).toEqual(expected);
      expect((await t.gql(SHOP_BY_SLUG, { slug: shop.slug }, { token })).data!.shop).toEqual(expected);
    }
    for (const opts of [{}, { token: other.token }]) {
      const byId = await t.gql(SHOP_BY_ID, { id: gid(shop) }, opts);
      expect(byId.errors).toBeUndefined();
      expect(byId.data!.shop).toBeNull();
      expect((await t.gql(SHOP_BY_SLUG, { slug: shop.slug }, opts)).data!.shop).toBeNull();
    }
  });

  it('shows an ACTIVE shop to everyone', async () => {
    const { shop } = await shopWith('ACTIVE');
    const other = await userWithToken(t);
    for (const opts of [{}, { token: other.token }]) {
      expect((await t.gql(SHOP_BY_ID, { id: gid(shop) }, opts)).data!.shop).toEqual({ id: gid(shop), status: 'ACTIVE' });
      expect((await t.gql(SHOP_BY_SLUG, { slug: shop.slug }, opts)).data!.shop).toEqual({ id: gid(shop), status: 'ACTIVE' });
    }
  });

  it('answers null for an unknown slug or id', async () => {
    expect((await t.gql(SHOP_BY_SLUG, { slug: 'no-such-shop' })).data!.shop).toBeNull();
    expect((await t.gql(SHOP_BY_ID, { id: toGlobalId('Shop', '987654321') })).data!.shop).toBeNull();
  });

  it('refuses both or neither of id and slug with BAD_USER_INPUT', async () => {
    const { shop } = await shopWith('ACTIVE');
    for (const variables of [{ id: gid(shop), slug: shop.slug }, {}]) {
      const res = await t.gql(SHOP_ANY, variables);
      expect(code(res)).toBe('BAD_USER_INPUT');
      expect(res.data!.shop).toBeNull();
    }
  });

  it.each([
    ['commissionRate', 'commissionRate'],
    ['statusReason', 'statusReason'],
    ['members', 'members { role }'],
  ])("keeps an ACTIVE shop's %s to its members and staff", async (field, selection) => {
    const { shop, owner } = await shopWith('ACTIVE');
    const staff = await userWithToken(t, { roles: [StaffRole.REVIEWER] });
    const other = await userWithToken(t);
    const query = `query($id: ID!) { shop(id: $id) { id ${selection} } }`;
    for (const token of [owner.token, staff.token]) {
      const res = await t.gql(query, { id: gid(shop) }, { token });
      expect(res.errors).toBeUndefined();
      expect(res.data!.shop).toHaveProperty(field);
    }
    expect((await t.gql(query, { id: gid(shop) }, { token: owner.token })).data!.shop[field]).toEqual(
      { commissionRate: null, statusReason: null, members: [{ role: 'OWNER' }] }[field],
    );
    const outsider = await t.gql(query, { id: gid(shop) }, { token: other.token });
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(code(outsider));
    expect(outsider.data!.shop?.[field] ?? null).toBeNull();
    const anonymous = await t.gql(query, { id: gid(shop) });
    expect(code(anonymous)).toBe('UNAUTHENTICATED');
    expect(anonymous.data!.shop?.[field] ?? null).toBeNull();
  });

  it("lists only the viewer's shops, in any state, in myShops", async () => {
    const me = await userWithToken(t);
    const a = await createShop(t, [{ user: me.user, role: OWNER }]);
    const b = await createShop(t, [{ user: me.user, role: CUSTOMER_SERVICE }]);
    await setStatus(b, 'SUSPENDED');
    await shopWith('ACTIVE');
    await shopWith('ONBOARDING');
    const res = await t.gql(MY_SHOPS, {}, { token: me.token });
    expect(res.data!.myShops).toEqual([
      { id: gid(a), status: 'ONBOARDING' },
      { id: gid(b), status: 'SUSPENDED' },
    ]);
    const nobody = await userWithToken(t);
    expect((await t.gql(MY_SHOPS, {}, { token: nobody.token })).data!.myShops).toEqual([]);
    expect(code(await t.gql(MY_SHOPS))).toBe('UNAUTHENTICATED');
  });
});

describe('moderation', () => {
  it.each([StaffRole.OPERATIONS, StaffRole.RISK, StaffRole.ADMIN])('lets %s suspend a shop with a reason: hidden from the public, shown to its members with the reason', async (role) => {
    const { shop, owner } = await shopWith('ACTIVE');
    const staff = await userWithToken(t, { roles: [role] });
    const res = await t.gql(SUSPEND, { input: { shopId: gid(shop), reason: '  Counterfeit goods reported  ' } }, { token: staff.token });
    expect(res.data!.suspendShop).toEqual({ shop: { id: gid(shop), status: 'SUSPENDED', statusReason: 'Counterfeit goods reported' }, errors: [] });
    expect(await row(shop)).toMatchObject({ status: 'SUSPENDED', status_reason: 'Counterfeit goods reported' });

    expect((await t.gql(SHOP_BY_ID, { id: gid(shop) })).data!.shop).toBeNull();
    expect((await t.gql(SHOP_BY_SLUG, { slug: shop.slug }, { token: (await userWithToken(t)).token })).data!.shop).toBeNull();
    const asOwner = await t.gql(`query($id: ID!) { shop(id: $id) { status statusReason } }`, { id: gid(shop) }, { token: owner.token });
    expect(asOwner.data!.shop).toEqual({ status: 'SUSPENDED', statusReason: 'Counterfeit goods reported' });

    const entry = await lastAudit('shop.suspend', shop);
    expect(entry).toMatchObject({ before: { status: 'ACTIVE', reason: null }, after: { status: 'SUSPENDED', reason: 'Counterfeit goods reported' } });
    expectActorAndRequest(entry, staff.user, res);
  });

  it('reinstates a suspended shop to ACTIVE when it had been active', async () => {
    const { shop } = await shopWith('ACTIVE');
    const staff = await userWithToken(t, { roles: [StaffRole.RISK] });
    await t.gql(SUSPEND, { input: { shopId: gid(shop), reason: 'Investigating' } }, { token: staff.token });
    const res = await t.gql(REINSTATE, { input: { shopId: gid(shop), reason: 'Cleared' } }, { token: staff.token });
    expect(res.data!.reinstateShop.errors).toEqual([]);
    expect(res.data!.reinstateShop.shop.status).toBe('ACTIVE');
    expect((await row(shop)).status).toBe('ACTIVE');
    expect((await t.gql(SHOP_BY_ID, { id: gid(shop) })).data!.shop).toEqual({ id: gid(shop), status: 'ACTIVE' });
    const entry = await lastAudit('shop.reinstate', shop);
    expect(entry).toMatchObject({ before: { status: 'SUSPENDED', reason: 'Investigating' }, after: { status: 'ACTIVE', reason: 'Cleared' } });
    expectActorAndRequest(entry, staff.user, res);
  });

  it('reinstates a shop suspended during onboarding back to ONBOARDING', async () => {
    const { shop } = await shopWith('ONBOARDING');
    const staff = await userWithToken(t, { roles: [StaffRole.OPERATIONS] });
    expect((await t.gql(SUSPEND, { input: { shopId: gid(shop), reason: 'Fake documents?' } }, { token: staff.token })).data!.suspendShop.shop.status).toBe('SUSPENDED');
    const res = await t.gql(REINSTATE, { input: { shopId: gid(shop), reason: 'Documents verified' } }, { token: staff.token });
    expect(res.data!.reinstateShop.shop.status).toBe('ONBOARDING');
    expect(await row(shop)).toMatchObject({ status: 'ONBOARDING', activated_at: null });
  });

  it('closes a shop for good: reinstating or suspending it is then INVALID_TRANSITION', async () => {
    const { shop } = await shopWith('ACTIVE');
    const staff = await userWithToken(t, { roles: [StaffRole.OPERATIONS] });
    const res = await t.gql(CLOSE, { input: { shopId: gid(shop), reason: 'Merchant left the platform' } }, { token: staff.token });
    expect(res.data!.closeShop).toEqual({ shop: { id: gid(shop), status: 'CLOSED', statusReason: 'Merchant left the platform' }, errors: [] });
    const entry = await lastAudit('shop.close', shop);
    expect(entry).toMatchObject({ before: { status: 'ACTIVE' }, after: { status: 'CLOSED', reason: 'Merchant left the platform' } });
    expectActorAndRequest(entry, staff.user, res);
    const before = await auditCount();

    for (const mutation of [REINSTATE, SUSPEND, CLOSE]) {
      const again = await t.gql(mutation, { input: { shopId: gid(shop), reason: 'Try again' } }, { token: staff.token });
      const payload = Object.values(again.data!)[0] as any;
      expect(payload).toEqual({ shop: null, errors: [{ code: 'INVALID_TRANSITION', field: null }] });
    }
    expect(await row(shop)).toMatchObject({ status: 'CLOSED', status_reason: 'Merchant left the platform' });
    expect(await auditCount()).toBe(before);
  });

  it('refuses to reinstate a shop that is not suspended with INVALID_TRANSITION', async () => {
    const staff = await userWithToken(t, { roles: [StaffRole.OPERATIONS] });
    for (const status of ['ACTIVE', 'ONBOARDING']) {
      const { shop } = await shopWith(status);
      const res = await t.gql(REINSTATE, { input: { shopId: gid(shop), reason: 'Nothing to lift' } }, { token: staff.token });
      expect(res.data!.reinstateShop.errors.map((e: any) => e.code)).toEqual(['INVALID_TRANSITION']);
      expect(await row(shop)).toMatchObject({ status, status_reason: null });
    }
  });

  it.each(['', '   ', 'no'])('refuses the reason %j with REASON_REQUIRED, changing nothing', async (reason) => {
    const { shop } = await shopWith('SUSPENDED');
    const staff = await userWithToken(t, { roles: [StaffRole.RISK] });
    const before = await auditCount();
    for (const mutation of [SUSPEND, REINSTATE, CLOSE]) {
      const res = await t.gql(mutation, { input: { shopId: gid(shop), reason } }, { token: staff.token });
      expect(Object.values(res.data!)[0]).toEqual({ shop: null, errors: [{ code: 'REASON_REQUIRED', field: ['input', 'reason'] }] });
    }
    expect(await row(shop)).toMatchObject({ status: 'SUSPENDED', status_reason: null });
    expect(await auditCount()).toBe(before);
  });

  it.each([
    ['a shopper', 'shopper'],
    ['a REVIEWER', 'reviewer'],
    ["the shop's own OWNER", 'owner'],
  ])('is FORBIDDEN to %s, and changes nothing', async (_who, kind) => {
    const { shop, owner } = await shopWith('SUSPENDED');
    const caller = kind === 'owner' ? owner : await userWithToken(t, { roles: kind === 'reviewer' ? [StaffRole.REVIEWER] : [] });
    const before = await auditCount();
    for (const mutation of [SUSPEND, REINSTATE, CLOSE]) {
      const res = await t.gql(mutation, { input: { shopId: gid(shop), reason: 'Because I can' } }, { token: caller.token });
      expect(code(res)).toBe('FORBIDDEN');
      expect(res.data).toBeNull();
    }
    expect(await row(shop)).toMatchObject({ status: 'SUSPENDED', status_reason: null });
    expect(await auditCount()).toBe(before);
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const { shop } = await shopWith('ACTIVE');
    for (const mutation of [SUSPEND, REINSTATE, CLOSE]) {
      expect(code(await t.gql(mutation, { input: { shopId: gid(shop), reason: 'Anonymous' } }))).toBe('UNAUTHENTICATED');
    }
    expect((await row(shop)).status).toBe('ACTIVE');
  });
});

describe('auditLog', () => {
  it('lets RISK page through one shop’s entries, newest first', async () => {
    const { shop } = await shopWith('ACTIVE');
    const ops = await userWithToken(t, { roles: [StaffRole.OPERATIONS] });
    const risk = await userWithToken(t, { roles: [StaffRole.RISK] });
    const suspended = await t.gql(SUSPEND, { input: { shopId: gid(shop), reason: 'First look' } }, { token: ops.token });
    await t.gql(REINSTATE, { input: { shopId: gid(shop), reason: 'Fine' } }, { token: ops.token });
    const last = await t.gql(SUSPEND, { input: { shopId: gid(shop), reason: 'Second look' } }, { token: ops.token });
    const filter = { targetType: 'Shop', targetId: gid(shop) };

    const page1 = await t.gql(AUDIT_LOG, { first: 2, filter }, { token: risk.token });
    expect(page1.errors).toBeUndefined();
    const log1 = page1.data!.auditLog;
    expect(log1.totalCount).toBe(3);
    expect(log1.edges.map((e: any) => [e.node.action, e.node.after.reason])).toEqual([
      ['shop.suspend', 'Second look'],
      ['shop.reinstate', 'Fine'],
    ]);
    expect(log1.edges[0].node).toMatchObject({
      targetType: 'Shop',
      targetId: shop.id,
      before: { status: 'ACTIVE', reason: 'Fine' },
      requestId: last.headers['x-request-id'],
      actor: { id: toGlobalId('User', ops.user.id) },
    });
    expect(log1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });

    const page2 = await t.gql(AUDIT_LOG, { first: 2, after: log1.pageInfo.endCursor, filter }, { token: risk.token });
    const log2 = page2.data!.auditLog;
    expect(log2.edges.map((e: any) => e.node.action)).toEqual(['shop.suspend']);
    expect(log2.edges[0].node.requestId).toBe(suspended.headers['x-request-id']);
    expect(log2.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const ids = [...log1.edges, ...log2.edges].map((e: any) => e.node.id);
    expect(new Set(ids).size).toBe(3);
  });

  it('lets an ADMIN filter by action and by actor', async () => {
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    const ops = await userWithToken(t, { roles: [StaffRole.OPERATIONS] });
    const { shop: a } = await shopWith('ACTIVE');
    const { shop: b } = await shopWith('SUSPENDED');
    await t.gql(CLOSE, { input: { shopId: gid(a), reason: 'Closing a' } }, { token: ops.token });
    await t.gql(SUSPEND, { input: { shopId: gid(a), reason: 'Not allowed' } }, { token: ops.token }); // refused: no entry
    await t.gql(CLOSE, { input: { shopId: gid(b), reason: 'Closing b' } }, { token: admin.token });

    const byAction = await t.gql(AUDIT_LOG, { first: 100, filter: { action: 'shop.close' } }, { token: admin.token });
    const closes = byAction.data!.auditLog.edges.map((e: any) => e.node);
    expect(closes.every((n: any) => n.action === 'shop.close')).toBe(true);
    expect(closes.slice(0, 2).map((n: any) => n.targetId)).toEqual([b.id, a.id]);
    expect(byAction.data!.auditLog.totalCount).toBe(closes.length);

    const byActor = await t.gql(AUDIT_LOG, { filter: { actorId: toGlobalId('User', ops.user.id) } }, { token: admin.token });
    expect(byActor.data!.auditLog.edges.map((e: any) => [e.node.action, e.node.targetId])).toEqual([['shop.close', a.id]]);
  });

  it.each([
    ['OPERATIONS staff', [StaffRole.OPERATIONS]],
    ['a REVIEWER', [StaffRole.REVIEWER]],
    ['a shopper', []],
  ])('is FORBIDDEN to %s', async (_who, roles) => {
    const caller = await userWithToken(t, { roles });
    const res = await t.gql(AUDIT_LOG, { first: 5 }, { token: caller.token });
    expect(code(res)).toBe('FORBIDDEN');
    expect(res.data).toBeNull();
  });

  it('is UNAUTHENTICATED without a token', async () => {
    expect(code(await t.gql(AUDIT_LOG, { first: 5 }))).toBe('UNAUTHENTICATED');
  });
});
