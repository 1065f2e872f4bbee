import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopMemberRole, StaffRole, type User } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type TestApp, createTestApp } from '../helpers/app';
import { createShop, userWithToken } from '../helpers/factories';
import { code as thrownCode, keyOf, payloadOf } from '../helpers/kit';

const CREATE_COURSE = `mutation($input: TrainingCourseInput!) { createTrainingCourse(input: $input) { trainingCourse { id title description required passScore published } errors { code field } } }`;
const ADD_LESSON = `mutation($input: TrainingLessonInput!) { addTrainingLesson(input: $input) { trainingCourse { id lessons { id title body } } errors { code field } } }`;
const ADD_QUESTION = `mutation($input: QuizQuestionInput!) { addQuizQuestion(input: $input) { trainingCourse { id questions { id prompt options correctOptionIndexes } } errors { code field } } }`;
const PUBLISH_COURSE = `mutation($input: IdInput!) { publishTrainingCourse(input: $input) { trainingCourse { id published } errors { code field } } }`;
const SUBMIT = `mutation($input: SubmitQuizAttemptInput!) { submitQuizAttempt(input: $input) { quizAttempt { id score passed createdAt } errors { code field } } }`;
const COURSES = `query($drafts: Boolean!) { trainingCourses(includeDrafts: $drafts) { id published } }`;
const AGREEMENT = `{ merchantAgreement { version text publishedAt } }`;
const ACCEPT = `mutation($input: AcceptMerchantAgreementInput!) { acceptMerchantAgreement(input: $input) { shop { id acceptedAgreementVersion } errors { code field } } }`;
const PUBLISH_AGREEMENT = `mutation($input: PublishMerchantAgreementInput!) { publishMerchantAgreement(input: $input) { merchantAgreement { version text } errors { code field } } }`;
const ACTIVATE = `mutation($input: IdInput!) { activateShop(input: $input) { shop { id status } errors { code field } } }`;
const PROGRESS = `query($id: ID!) { shop(id: $id) { trainingProgress { course { id title } passed bestScore attempts } } }`;

let t: TestApp;
let ops: { user: User; token: string };
beforeAll(async () => {
  t = await createTestApp();
  ops = await userWithToken(t, { roles: [StaffRole.OPERATIONS] });
});
afterAll(() => t.close());

const suffix = () => randomBytes(3).toString('hex');

async function sql<T = any>(query: string, params: unknown[] = []): Promise<T[]> {
  return t.orm.em.fork().getConnection().execute(query, params);
}

async function count(query: string, params: unknown[] = []): Promise<number> {
  const [row] = await sql<{ n: number }>(query, params);
  return Number(row.n);
}

async function draftCourse(opts: { required?: boolean; passScore?: number } = {}): Promise<string> {
  const res = await t.gql(
    CREATE_COURSE,
    { input: { title: `Course ${suffix()}`, description: 'What merchants must know.', required: opts.required ?? false, passScore: opts.passScore ?? 60 } },
    { token: ops.token },
  );
  const payload = payloadOf(res);
  expect(payload.errors).toEqual([]);
  return payload.trainingCourse.id;
}

interface QuestionSpec {
  options: string[];
  correct: number[];
}

/** A published course through the API; returns its ID and its questions' IDs in order. */
async function publishedCourse(opts: { passScore?: number; questions?: QuestionSpec[]; required?: boolean } = {}): Promise<{ id: string; questionIds: string[] }> {
  const id = await draftCourse({ passScore: opts.passScore, required: opts.required });
  expect(payloadOf(await t.gql(ADD_LESSON, { input: { courseId: id, title: 'Lesson one', body: 'Read this carefully.' } }, { token: ops.token })).errors).toEqual([]);
  const questions = opts.questions ?? [{ options: ['no', 'yes'], correct: [1] }];
  let questionIds: string[] = [];
  for (const [i, q] of questions.entries()) {
    const payload = payloadOf(await t.gql(ADD_QUESTION, { input: { courseId: id, prompt: `Question ${i + 1}?`, options: q.options, correctOptionIndexes: q.correct } }, { token: ops.token }));
    expect(payload.errors).toEqual([]);
    questionIds = payload.trainingCourse.questions.map((x: { id: string }) => x.id);
  }
  expect(payloadOf(await t.gql(PUBLISH_COURSE, { input: { id } }, { token: ops.token })).errors).toEqual([]);
  return { id, questionIds };
}

/** A signed-in user and a fresh ONBOARDING shop they belong to with `role`. */
async function memberOfNewShop(role: ShopMemberRole = ShopMemberRole.OWNER) {
  const member = await userWithToken(t);
  const shop = await createShop(t, [{ user: member.user, role }]);
  return { ...member, shop, shopId: toGlobalId('Shop', shop.id) };
}

function submit(token: string | undefined, shopId: string, courseId: string, answers: { questionId: string; optionIndexes: number[] }[]) {
  return t.gql(SUBMIT, { input: { shopId, courseId, answers } }, { token });
}

const attemptsOf = (shopKey: string, courseId: string) =>
  count('select count(*)::int as n from quiz_attempt where shop_id = ? and course_id = ?', [shopKey, keyOf(courseId)]);

// ---------------------------------------------------------------------------------------------

describe('authoring courses', () => {
  it.each([
    ['OPERATIONS', StaffRole.OPERATIONS],
    ['ADMIN', StaffRole.ADMIN],
  ])('lets %s create a course, add lessons and questions in order, and publish it', async (_who, role) => {
    const staff = await userWithToken(t, { roles: [role] });
    const title = `Platform rules ${suffix()}`;
    const created = payloadOf(await t.gql(CREATE_COURSE, { input: { title: `  ${title} `, description: ' Listing standards ', required: true, passScore: 80 } }, { token: staff.token }));
    expect(created.errors).toEqual([]);
    expect(created.trainingCourse).toMatchObject({ title, description: 'Listing standards', required: true, passScore: 80, published: false });
    const id = created.trainingCourse.id;
    const [row] = await sql('select title, required, pass_score, published from training_course where id = ?', [keyOf(id)]);
    expect(row).toEqual({ title, required: true, pass_score: 80, published: false });

    for (const n of [1, 2]) {
      const res = payloadOf(await t.gql(ADD_LESSON, { input: { courseId: id, title: `Lesson ${n}`, body: `Body ${n}` } }, { token: staff.token }));
      expect(res.errors).toEqual([]);
      expect(res.trainingCourse.lessons.map((l: { title: string }) => l.title)).toEqual(n === 1 ? ['Lesson 1'] : ['Lesson 1', 'Lesson 2']);
    }
    const q = payloadOf(await t.gql(ADD_QUESTION, { input: { courseId: id, prompt: 'Counterfeits are…', options: [' allowed ', 'forbidden', 'fine on weekends'], correctOptionIndexes: [1, 1] } }, { token: staff.token }));
    expect(q.errors).toEqual([]);
    expect(q.trainingCourse.questions).toEqual([{ id: expect.any(String), prompt: 'Counterfeits are…', options: ['allowed', 'forbidden', 'fine on weekends'], correctOptionIndexes: [1] }]);

    const published = payloadOf(await t.gql(PUBLISH_COURSE, { input: { id } }, { token: staff.token }));
    expect(published).toEqual({ trainingCourse: { id, published: true }, errors: [] });
    const [after] = await sql('select published, published_at from training_course where id = ?', [keyOf(id)]);
    expect(after.published).toBe(true);
    expect(Math.abs(Date.parse(after.published_at) - Date.now())).toBeLessThan(60_000);
    expect(await count('select count(*)::int as n from training_lesson where course_id = ?', [keyOf(id)])).toBe(2);
    expect(await count('select count(*)::int as n from quiz_question where course_id = ?', [keyOf(id)])).toBe(1);
    const [audit] = await sql("select actor_id from audit_entry where action = 'training.publishCourse' and target_id = ?", [keyOf(id)]);
    expect(String(audit.actor_id)).toBe(staff.user.id);
  });

  describe.each([
    ['a shopper', [] as StaffRole[]],
    ['a REVIEWER', [StaffRole.REVIEWER]],
  ])('for %s', (_who, roles) => {
    it('refuses createTrainingCourse with FORBIDDEN and creates nothing', async () => {
      const caller = await userWithToken(t, { roles });
      const title = `Forbidden ${suffix()}`;
      const res = await t.gql(CREATE_COURSE, { input: { title, description: 'x', required: false, passScore: 50 } }, { token: caller.token });
      expect(thrownCode(res)).toBe('FORBIDDEN');
      expect(res.data).toBeNull();
      expect(await count('select count(*)::int as n from training_course where title = ?', [title])).toBe(0);
    });

    it('refuses addTrainingLesson and addQuizQuestion with FORBIDDEN and changes nothing', async () => {
      const caller = await userWithToken(t, { roles });
      const id = await draftCourse();
      const lesson = await t.gql(ADD_LESSON, { input: { courseId: id, title: 'Sneaky', body: 'x' } }, { token: caller.token });
      expect(thrownCode(lesson)).toBe('FORBIDDEN');
      const question = await t.gql(ADD_QUESTION, { input: { courseId: id, prompt: 'Sneaky?', options: ['a', 'b'], correctOptionIndexes: [0] } }, { token: caller.token });
      expect(thrownCode(question)).toBe('FORBIDDEN');
      expect(await count('select count(*)::int as n from training_lesson where course_id = ?', [keyOf(id)])).toBe(0);
      expect(await count('select count(*)::int as n from quiz_question where course_id = ?', [keyOf(id)])).toBe(0);
    });

    it('refuses publishTrainingCourse with FORBIDDEN and leaves the course a draft', async () => {
      const caller = await userWithToken(t, { roles });
      const id = await draftCourse();
      await t.gql(ADD_LESSON, { input: { courseId: id, title: 'Lesson', body: 'x' } }, { token: ops.token });
      await t.gql(ADD_QUESTION, { input: { courseId: id, prompt: 'Ready?', options: ['a', 'b'], correctOptionIndexes: [0] } }, { token: ops.token });
      const res = await t.gql(PUBLISH_COURSE, { input: { id } }, { token: caller.token });
      expect(thrownCode(res)).toBe('FORBIDDEN');
      const [row] = await sql('select published from training_course where id = ?', [keyOf(id)]);
      expect(row.published).toBe(false);
    });
  });

  it('refuses every authoring mutation anonymously with UNAUTHENTICATED', async () => {
    const id = await draftCourse();
    const results = await Promise.all([
      t.gql(CREATE_COURSE, { input: { title: 'Anon course', description: 'x', required: false, passScore: 50 } }),
      t.gql(ADD_LESSON, { input: { courseId: id, title: 'Anon', body: 'x' } }),
      t.gql(ADD_QUESTION, { input: { courseId: id, prompt: 'Anon?', options: ['a', 'b'], correctOptionIndexes: [0] } }),
      t.gql(PUBLISH_COURSE, { input: { id } }),
    ]);
    expect(results.map(thrownCode)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(await count("select count(*)::int as n from training_course where title = 'Anon course'")).toBe(0);
    expect(await count('select count(*)::int as n from training_lesson where course_id = ?', [keyOf(id)])).toBe(0);
  });

  it('numbers lessons and questions added concurrently without gaps or duplicates', async () => {
    const id = await draftCourse();
    const results = await Promise.all([
      ...[0, 1, 2, 3].map((n) => t.gql(ADD_LESSON, { input: { courseId: id, title: `Lesson ${n}`, body: 'x' } }, { token: ops.token })),
      ...[0, 1, 2, 3].map((n) => t.gql(ADD_QUESTION, { input: { courseId: id, prompt: `Question ${n}?`, options: ['a', 'b'], correctOptionIndexes: [0] } }, { token: ops.token })),
    ]);
    expect(results.map((r) => payloadOf(r).errors)).toEqual(Array.from({ length: 8 }, () => []));
    const lessons = await sql('select position from training_lesson where course_id = ? order by position', [keyOf(id)]);
    expect(lessons.map((r) => r.position)).toEqual([0, 1, 2, 3]);
    const questions = await sql('select position from quiz_question where course_id = ? order by position', [keyOf(id)]);
    expect(questions.map((r) => r.position)).toEqual([0, 1, 2, 3]);
  });

  it.each([
    ['a pass score above 100', { passScore: 101 }, [['input', 'passScore']]],
    ['a negative pass score', { passScore: -1 }, [['input', 'passScore']]],
    ['a one-character title', { title: ' A ' }, [['input', 'title']]],
    ['a blank description', { description: '   ' }, [['input', 'description']]],
    ['a short title and a bad pass score together', { title: 'A', passScore: 101 }, [['input', 'title'], ['input', 'passScore']]],
  ])('refuses a course with %s as INVALID_INPUT naming the field', async (_case, override, fields) => {
    const title = `Invalid ${suffix()}`;
    const res = await t.gql(CREATE_COURSE, { input: { title, description: 'Fine.', required: false, passScore: 50, ...override } }, { token: ops.token });
    const payload = payloadOf(res);
    expect(payload.trainingCourse).toBeNull();
    expect(payload.errors).toEqual(fields.map((field) => ({ code: 'INVALID_INPUT', field })));
    expect(await count('select count(*)::int as n from training_course where title = ?', [title])).toBe(0);
  });

  it('refuses a lesson with a blank title or body as INVALID_INPUT naming the field', async () => {
    const id = await draftCourse();
    const res = payloadOf(await t.gql(ADD_LESSON, { input: { courseId: id, title: ' x ', body: '  ' } }, { token: ops.token }));
    expect(res).toEqual({ trainingCourse: null, errors: [{ code: 'INVALID_INPUT', field: ['input', 'title'] }, { code: 'INVALID_INPUT', field: ['input', 'body'] }] });
    expect(await count('select count(*)::int as n from training_lesson where course_id = ?', [keyOf(id)])).toBe(0);
  });

  it.each([
    ['only one option', { options: ['only'], correctOptionIndexes: [0] }, ['input', 'options']],
    ['eleven options', { options: Array.from({ length: 11 }, (_, i) => `o${i}`), correctOptionIndexes: [0] }, ['input', 'options']],
    ['duplicate options', { options: ['same', ' same '], correctOptionIndexes: [0] }, ['input', 'options']],
    ['an empty option', { options: ['a', '  '], correctOptionIndexes: [0] }, ['input', 'options']],
    ['a correct index out of range', { options: ['a', 'b'], correctOptionIndexes: [2] }, ['input', 'correctOptionIndexes']],
    ['a negative correct index', { options: ['a', 'b'], correctOptionIndexes: [-1] }, ['input', 'correctOptionIndexes']],
    ['no correct option', { options: ['a', 'b'], correctOptionIndexes: [] }, ['input', 'correctOptionIndexes']],
    ['a one-character prompt', { prompt: '?' }, ['input', 'prompt']],
  ])('refuses a question with %s as INVALID_INPUT naming the field', async (_case, override, field) => {
    const id = await draftCourse();
    const res = payloadOf(await t.gql(ADD_QUESTION, { input: { courseId: id, prompt: 'Valid prompt?', options: ['a', 'b'], correctOptionIndexes: [0], ...override } }, { token: ops.token }));
    expect(res).toEqual({ trainingCourse: null, errors: [{ code: 'INVALID_INPUT', field }] });
    expect(await count('select count(*)::int as n from quiz_question where course_id = ?', [keyOf(id)])).toBe(0);
  });

  it('refuses lessons, questions and a second publication on a published course with COURSE_PUBLISHED', async () => {
    const { id } = await publishedCourse();
    const lesson = payloadOf(await t.gql(ADD_LESSON, { input: { courseId: id, title: 'Late lesson', body: 'x' } }, { token: ops.token }));
    expect(lesson).toEqual({ trainingCourse: null, errors: [{ code: 'COURSE_PUBLISHED', field: null }] });
    const question = payloadOf(await t.gql(ADD_QUESTION, { input: { courseId: id, prompt: 'Late?', options: ['a', 'b'], correctOptionIndexes: [0] } }, { token: ops.token }));
    expect(question).toEqual({ trainingCourse: null, errors: [{ code: 'COURSE_PUBLISHED', field: null }] });
    const again = payloadOf(await t.gql(PUBLISH_COURSE, { input: { id } }, { token: ops.token }));
    expect(again.errors.map((e: { code: string }) => e.code)).toEqual(['COURSE_PUBLISHED']);
    expect(await count('select count(*)::int as n from training_lesson where course_id = ?', [keyOf(id)])).toBe(1);
    expect(await count('select count(*)::int as n from quiz_question where course_id = ?', [keyOf(id)])).toBe(1);
  });

  it.each([
    ['nothing', false, false],
    ['only a lesson', true, false],
    ['only a question', false, true],
  ])('refuses to publish a course with %s as COURSE_EMPTY', async (_case, lesson, question) => {
    const id = await draftCourse();
    if (lesson) await t.gql(ADD_LESSON, { input: { courseId: id, title: 'Lesson', body: 'x' } }, { token: ops.token });
    if (question) await t.gql(ADD_QUESTION, { input: { courseId: id, prompt: 'Q?', options: ['a', 'b'], correctOptionIndexes: [0] } }, { token: ops.token });
    const res = payloadOf(await t.gql(PUBLISH_COURSE, { input: { id } }, { token: ops.token }));
    expect(res.trainingCourse).toBeNull();
    expect(res.errors.map((e: { code: string }) => e.code)).toEqual(['COURSE_EMPTY']);
    const [row] = await sql('select published, published_at from training_course where id = ?', [keyOf(id)]);
    expect(row).toEqual({ published: false, published_at: null });
  });

  it('throws NOT_FOUND for an unknown, malformed or foreign course ID', async () => {
    const id = await draftCourse();
    for (const courseId of [toGlobalId('TrainingCourse', '987654321'), 'garbage!', toGlobalId('Shop', keyOf(id))]) {
      const lesson = await t.gql(ADD_LESSON, { input: { courseId, title: 'Lesson', body: 'x' } }, { token: ops.token });
      expect(thrownCode(lesson)).toBe('NOT_FOUND');
      const question = await t.gql(ADD_QUESTION, { input: { courseId, prompt: 'Q?', options: ['a', 'b'], correctOptionIndexes: [0] } }, { token: ops.token });
      expect(thrownCode(question)).toBe('NOT_FOUND');
      const publish = await t.gql(PUBLISH_COURSE, { input: { id: courseId } }, { token: ops.token });
      expect(thrownCode(publish)).toBe('NOT_FOUND');
    }
    expect(await count('select count(*)::int as n from training_lesson where course_id = ?', [keyOf(id)])).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('trainingCourses', () => {
  let published: { id: string; questionIds: string[] };
  let draft: string;
  beforeAll(async () => {
    published = await publishedCourse({ questions: [{ options: ['red', 'green', 'blue'], correct: [0, 2] }] });
    draft = await draftCourse();
  });

  const ids = (res: { data?: Record<string, any> | null }) => res.data!.trainingCourses.map((c: { id: string }) => c.id);

  it('shows merchants published courses only, even when they ask for drafts', async () => {
    const { token } = await memberOfNewShop();
    for (const drafts of [false, true]) {
      const res = await t.gql(COURSES, { drafts }, { token });
      expect(res.errors).toBeUndefined();
      expect(ids(res)).toContain(published.id);
      expect(ids(res)).not.toContain(draft);
      expect(res.data!.trainingCourses.every((c: { published: boolean }) => c.published)).toBe(true);
    }
  });

  it('shows drafts to OPERATIONS and ADMIN only when asked, and not to a REVIEWER', async () => {
    const all = (await sql<{ id: string }>('select id from training_course order by id')).map((r) => toGlobalId('TrainingCourse', r.id));
    const publishedIds = (await sql<{ id: string }>('select id from training_course where published order by id')).map((r) => toGlobalId('TrainingCourse', r.id));
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    const reviewer = await userWithToken(t, { roles: [StaffRole.REVIEWER] });
    expect(ids(await t.gql(COURSES, { drafts: true }, { token: ops.token }))).toEqual(all);
    expect(ids(await t.gql(COURSES, { drafts: true }, { token: admin.token }))).toEqual(all);
    expect(ids(await t.gql(COURSES, { drafts: false }, { token: ops.token }))).toEqual(publishedIds);
    expect(ids(await t.gql(COURSES, { drafts: true }, { token: reviewer.token }))).toEqual(publishedIds);
    expect(all).toContain(draft);
  });

  it('hides a draft from merchants through node(id:) too, but not from OPERATIONS', async () => {
    const { token } = await memberOfNewShop();
    const query = `query($id: ID!) { node(id: $id) { id ... on TrainingCourse { published } } }`;
    expect((await t.gql(query, { id: draft }, { token })).data!.node).toBeNull();
    expect((await t.gql(query, { id: published.id }, { token })).data!.node).toEqual({ id: published.id, published: true });
    expect((await t.gql(query, { id: draft }, { token: ops.token })).data!.node).toEqual({ id: draft, published: false });
    expect((await t.gql(query, { id: published.id })).data!.node).toBeNull();
  });

  it('is UNAUTHENTICATED anonymously', async () => {
    const res = await t.gql(COURSES, { drafts: false });
    expect(thrownCode(res)).toBe('UNAUTHENTICATED');
  });

  it('lets merchants read questions without answers', async () => {
    const { token } = await memberOfNewShop();
    const res = await t.gql(`{ trainingCourses { id lessons { title body } questions { id prompt options } } }`, {}, { token });
    expect(res.errors).toBeUndefined();
    const course = res.data!.trainingCourses.find((c: { id: string }) => c.id === published.id);
    expect(course).toEqual({ id: published.id, lessons: [{ title: 'Lesson one', body: 'Read this carefully.' }], questions: [{ id: published.questionIds[0], prompt: 'Question 1?', options: ['red', 'green', 'blue'] }] });
  });

  it('refuses correctOptionIndexes to merchants with FORBIDDEN on that field', async () => {
    const { token } = await memberOfNewShop();
    const res = await t.gql(`{ trainingCourses { id questions { id correctOptionIndexes } } }`, {}, { token });
    expect(res.errors!.length).toBeGreaterThan(0);
    expect(res.errors!.every((e) => e.extensions?.code === 'FORBIDDEN')).toBe(true);
    expect(res.errors![0].path!.at(-1)).toBe('correctOptionIndexes');
    expect(JSON.stringify(res.data ?? null)).not.toContain('correctOptionIndexes');
  });

  it('lets OPERATIONS read correctOptionIndexes', async () => {
    const res = await t.gql(`{ trainingCourses { id questions { id correctOptionIndexes } } }`, {}, { token: ops.token });
    expect(res.errors).toBeUndefined();
    const course = res.data!.trainingCourses.find((c: { id: string }) => c.id === published.id);
    expect(course.questions).toEqual([{ id: published.questionIds[0], correctOptionIndexes: [0, 2] }]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('submitQuizAttempt', () => {
  /** Three questions: single answer, multiple answers {0, 2}, single answer. Pass score 67 (2 of 3). */
  let course: { id: string; questionIds: string[] };
  const right = () => [
    { questionId: course.questionIds[0], optionIndexes: [1] },
    { questionId: course.questionIds[1], optionIndexes: [2, 0, 2] },
    { questionId: course.questionIds[2], optionIndexes: [0] },
  ];
  beforeAll(async () => {
    course = await publishedCourse({
      passScore: 67,
      questions: [
        { options: ['a', 'b', 'c'], correct: [1] },
        { options: ['a', 'b', 'c', 'd'], correct: [0, 2] },
        { options: ['yes', 'no'], correct: [0] },
      ],
    });
  });

  it('grades all-correct answers as 100 and passed, and records the attempt', async () => {
    const member = await memberOfNewShop();
    const res = payloadOf(await submit(member.token, member.shopId, course.id, right()));
    expect(res.errors).toEqual([]);
    expect(res.quizAttempt).toMatchObject({ score: 100, passed: true });
    const [row] = await sql('select * from quiz_attempt where id = ?', [keyOf(res.quizAttempt.id)]);
    expect(String(row.shop_id)).toBe(member.shop.id);
    expect(String(row.course_id)).toBe(keyOf(course.id));
    expect(String(row.taken_by_id)).toBe(member.user.id);
    expect(row).toMatchObject({ score: 100, passed: true });
    expect(row.answers).toEqual([
      { questionId: keyOf(course.questionIds[0]), optionIndexes: [1] },
      { questionId: keyOf(course.questionIds[1]), optionIndexes: [0, 2] },
      { questionId: keyOf(course.questionIds[2]), optionIndexes: [0] },
    ]);
  });

  it('counts a multi-answer question only when exactly the correct set is chosen', async () => {
    const member = await memberOfNewShop();
    for (const chosen of [[0], [0, 1, 2], [2]]) {
      const answers = right();
      answers[1] = { questionId: course.questionIds[1], optionIndexes: chosen };
      const res = payloadOf(await submit(member.token, member.shopId, course.id, answers));
      expect(res.errors).toEqual([]);
      expect(res.quizAttempt).toMatchObject({ score: 67, passed: true });
    }
    expect(await attemptsOf(member.shop.id, course.id)).toBe(3);
  });

  it('rounds the score and passes exactly at the pass score (2 of 3 → 67)', async () => {
    const member = await memberOfNewShop();
    const answers = right();
    answers[0] = { questionId: course.questionIds[0], optionIndexes: [0] };
    const res = payloadOf(await submit(member.token, member.shopId, course.id, answers));
    expect(res.quizAttempt).toMatchObject({ score: 67, passed: true });
  });

  it('counts unanswered questions as wrong and fails below the pass score', async () => {
    const member = await memberOfNewShop();
    const one = payloadOf(await submit(member.token, member.shopId, course.id, right().slice(0, 1)));
    expect(one).toMatchObject({ errors: [], quizAttempt: { score: 33, passed: false } });
    const none = payloadOf(await submit(member.token, member.shopId, course.id, []));
    expect(none).toMatchObject({ errors: [], quizAttempt: { score: 0, passed: false } });
    const rows = await sql('select score, passed from quiz_attempt where shop_id = ? order by id', [member.shop.id]);
    expect(rows).toEqual([{ score: 33, passed: false }, { score: 0, passed: false }]);
  });

  it('refuses a 6th attempt within 24 hours with TOO_MANY_ATTEMPTS and records nothing for it', async () => {
    const member = await memberOfNewShop();
    for (let i = 0; i < 5; i++) {
      expect(payloadOf(await submit(member.token, member.shopId, course.id, [])).errors).toEqual([]);
    }
    const sixth = payloadOf(await submit(member.token, member.shopId, course.id, right()));
    expect(sixth).toEqual({ quizAttempt: null, errors: [{ code: 'TOO_MANY_ATTEMPTS', field: null }] });
    expect(await attemptsOf(member.shop.id, course.id)).toBe(5);
  });

  it('counts the limit per course and over the last 24 hours only', async () => {
    const member = await memberOfNewShop();
    const other = await publishedCourse();
    for (let i = 0; i < 5; i++) await submit(member.token, member.shopId, course.id, []);
    expect(payloadOf(await submit(member.token, member.shopId, other.id, [])).errors).toEqual([]);
    await sql("update quiz_attempt set created_at = now() - interval '25 hours' where shop_id = ? and course_id = ?", [member.shop.id, keyOf(course.id)]);
    const later = payloadOf(await submit(member.token, member.shopId, course.id, right()));
    expect(later).toMatchObject({ errors: [], quizAttempt: { score: 100, passed: true } });
    expect(await attemptsOf(member.shop.id, course.id)).toBe(6);
  });

  it('records exactly 5 of 6 concurrent attempts', async () => {
    const member = await memberOfNewShop();
    const results = await Promise.all(Array.from({ length: 6 }, () => submit(member.token, member.shopId, course.id, right())));
    const outcomes = results.map((r) => payloadOf(r).errors[0]?.code ?? 'OK').sort();
    expect(outcomes).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'TOO_MANY_ATTEMPTS']);
    expect(await attemptsOf(member.shop.id, course.id)).toBe(5);
  });

  it('refuses a question of another course as INVALID_INPUT naming the answer, and records nothing', async () => {
    const member = await memberOfNewShop();
    const other = await publishedCourse();
    const res = payloadOf(await submit(member.token, member.shopId, course.id, [right()[0], { questionId: other.questionIds[0], optionIndexes: [1] }]));
    expect(res).toEqual({ quizAttempt: null, errors: [{ code: 'INVALID_INPUT', field: ['input', 'answers', '1', 'questionId'] }] });
    expect(await attemptsOf(member.shop.id, course.id)).toBe(0);
  });

  it('refuses the same question answered twice as INVALID_INPUT', async () => {
    const member = await memberOfNewShop();
    const res = payloadOf(await submit(member.token, member.shopId, course.id, [right()[0], right()[0]]));
    expect(res).toEqual({ quizAttempt: null, errors: [{ code: 'INVALID_INPUT', field: ['input', 'answers', '1', 'questionId'] }] });
    expect(await attemptsOf(member.shop.id, course.id)).toBe(0);
  });

  it('throws NOT_FOUND for an unpublished or unknown course, and records nothing', async () => {
    const member = await memberOfNewShop();
    const draft = await draftCourse();
    await t.gql(ADD_LESSON, { input: { courseId: draft, title: 'Lesson', body: 'x' } }, { token: ops.token });
    const q = payloadOf(await t.gql(ADD_QUESTION, { input: { courseId: draft, prompt: 'Q?', options: ['a', 'b'], correctOptionIndexes: [0] } }, { token: ops.token }));
    const questionId = q.trainingCourse.questions[0].id;
    const res = await submit(member.token, member.shopId, draft, [{ questionId, optionIndexes: [0] }]);
    expect(thrownCode(res)).toBe('NOT_FOUND');
    const unknown = await submit(member.token, member.shopId, toGlobalId('TrainingCourse', '987654321'), []);
    expect(thrownCode(unknown)).toBe('NOT_FOUND');
    expect(await count('select count(*)::int as n from quiz_attempt where shop_id = ?', [member.shop.id])).toBe(0);
  });

  it("throws NOT_FOUND for a member of another shop, and for staff outside the shop", async () => {
    const target = await memberOfNewShop();
    const outsider = await memberOfNewShop();
    const res = await submit(outsider.token, target.shopId, course.id, right());
    expect(thrownCode(res)).toBe('NOT_FOUND');
    const staff = await submit(ops.token, target.shopId, course.id, right());
    expect(thrownCode(staff)).toBe('NOT_FOUND');
    expect(await count('select count(*)::int as n from quiz_attempt where shop_id = ?', [target.shop.id])).toBe(0);
  });

  it('is UNAUTHENTICATED anonymously', async () => {
    const target = await memberOfNewShop();
    const res = await submit(undefined, target.shopId, course.id, right());
    expect(thrownCode(res)).toBe('UNAUTHENTICATED');
    expect(await count('select count(*)::int as n from quiz_attempt where shop_id = ?', [target.shop.id])).toBe(0);
  });

  it.each(Object.values(ShopMemberRole))('lets a %s of the shop submit', async (role) => {
    const member = await memberOfNewShop(role);
    const res = payloadOf(await submit(member.token, member.shopId, course.id, right()));
    expect(res).toMatchObject({ errors: [], quizAttempt: { score: 100, passed: true } });
    const [row] = await sql('select taken_by_id from quiz_attempt where id = ?', [keyOf(res.quizAttempt.id)]);
    expect(String(row.taken_by_id)).toBe(member.user.id);
  });

  it('refuses a closed shop with INVALID_TRANSITION', async () => {
    const member = await memberOfNewShop();
    await sql("update shop set status = 'CLOSED' where id = ?", [member.shop.id]);
    const res = payloadOf(await submit(member.token, member.shopId, course.id, right()));
    expect(res).toEqual({ quizAttempt: null, errors: [{ code: 'INVALID_TRANSITION', field: null }] });
    expect(await attemptsOf(member.shop.id, course.id)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('Shop.trainingProgress', () => {
  it("lists every published course with the shop's passed, best score and attempts, for members and staff", async () => {
    const course = await publishedCourse({ passScore: 100, questions: [{ options: ['a', 'b'], correct: [1] }, { options: ['a', 'b'], correct: [0] }] });
    const untouched = await publishedCourse();
    const ownerUser = await userWithToken(t);
    const operator = await userWithToken(t);
    const shop = await createShop(t, [{ user: ownerUser.user, role: ShopMemberRole.OWNER }, { user: operator.user, role: ShopMemberRole.OPERATOR }]);
    const owner = { ...ownerUser, shop, shopId: toGlobalId('Shop', shop.id) };
    const [q1, q2] = course.questionIds;
    await submit(owner.token, owner.shopId, course.id, [{ questionId: q1, optionIndexes: [1] }]); // 50, failed
    await submit(operator.token, owner.shopId, course.id, [{ questionId: q1, optionIndexes: [1] }, { questionId: q2, optionIndexes: [0] }]); // 100, passed
    await submit(owner.token, owner.shopId, course.id, []); // 0, failed
    // Another shop's attempts do not count.
    const other = await memberOfNewShop();
    await submit(other.token, other.shopId, untouched.id, []);

    const publishedKeys = (await sql<{ id: string }>('select id from training_course where published order by id')).map((r) => toGlobalId('TrainingCourse', r.id));
    const analyst = await userWithToken(t, { roles: [StaffRole.ANALYST] });
    for (const token of [owner.token, operator.token, ops.token, analyst.token]) {
      const res = await t.gql(PROGRESS, { id: owner.shopId }, { token });
      expect(res.errors).toBeUndefined();
      const progress = res.data!.shop.trainingProgress;
      expect(progress.map((p: { course: { id: string } }) => p.course.id)).toEqual(publishedKeys);
      expect(progress.find((p: any) => p.course.id === course.id)).toMatchObject({ passed: true, bestScore: 100, attempts: 3 });
      expect(progress.find((p: any) => p.course.id === untouched.id)).toMatchObject({ passed: false, bestScore: null, attempts: 0 });
    }
  });

  it('reports a course attempted but never passed as not passed with its best score', async () => {
    const course = await publishedCourse({ passScore: 100, questions: [{ options: ['a', 'b'], correct: [1] }, { options: ['a', 'b'], correct: [0] }] });
    const owner = await memberOfNewShop();
    await submit(owner.token, owner.shopId, course.id, [{ questionId: course.questionIds[0], optionIndexes: [1] }]);
    await submit(owner.token, owner.shopId, course.id, []);
    const res = await t.gql(PROGRESS, { id: owner.shopId }, { token: owner.token });
    expect(res.data!.shop.trainingProgress.find((p: any) => p.course.id === course.id)).toEqual({ course: { id: course.id, title: expect.any(String) }, passed: false, bestScore: 50, attempts: 2 });
  });

  it('gives an outsider NOT_FOUND on the field of a visible (ACTIVE) shop', async () => {
    const owner = await memberOfNewShop();
    await sql("update shop set status = 'ACTIVE' where id = ?", [owner.shop.id]);
    const outsider = await userWithToken(t);
    const visible = await t.gql(`query($id: ID!) { node(id: $id) { ... on Shop { id status } } }`, { id: owner.shopId }, { token: outsider.token });
    expect(visible.data!.node).toEqual({ id: owner.shopId, status: 'ACTIVE' });
    const res = await t.gql(`query($id: ID!) { node(id: $id) { ... on Shop { id trainingProgress { passed } } } }`, { id: owner.shopId }, { token: outsider.token });
    expect(thrownCode(res)).toBe('NOT_FOUND');
    expect(res.errors![0].path).toEqual(['node', 'trainingProgress']);
    expect(res.data!.node).toBeNull();
  });

  it('refuses the field to anonymous callers of a visible (ACTIVE) shop', async () => {
    const owner = await memberOfNewShop();
    await sql("update shop set status = 'ACTIVE' where id = ?", [owner.shop.id]);
    const res = await t.gql(`query($id: ID!) { node(id: $id) { ... on Shop { id trainingProgress { passed } } } }`, { id: owner.shopId });
    expect(thrownCode(res)).toBe('UNAUTHENTICATED');
    expect(res.data!.node).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------

describe('merchant agreement', () => {
  const accept = (token: string | undefined, shopId: string, version = '2026-11', ip?: string) => t.gql(ACCEPT, { input: { shopId, version } }, { token, ip });
  const acceptances = (shopKey: string) => sql('select * from agreement_acceptance where shop_id = ? order by id', [shopKey]);

  it('returns the current version, seeded as 2026-11, to anyone', async () => {
    const res = await t.gql(AGREEMENT);
    expect(res.errors).toBeUndefined();
    expect(res.data!.merchantAgreement).toEqual({ version: '2026-11', text: expect.stringContaining('2026-11'), publishedAt: expect.any(String) });
  });

  it('records the OWNER’s acceptance with who, which version and the client IP (not a spoofable header)', async () => {
    const owner = await memberOfNewShop();
    const res = payloadOf(await t.gql(ACCEPT, { input: { shopId: owner.shopId, version: '2026-11' } }, { token: owner.token, ip: '203.0.113.7', headers: { 'x-forwarded-for': '10.9.8.7' } }));
    expect(res).toEqual({ shop: { id: owner.shopId, acceptedAgreementVersion: '2026-11' }, errors: [] });
    const rows = await acceptances(owner.shop.id);
    expect(rows).toHaveLength(1);
    expect(String(rows[0].accepted_by_id)).toBe(owner.user.id);
    expect(rows[0]).toMatchObject({ version: '2026-11', ip: '203.0.113.7' });
    expect(Math.abs(Date.parse(rows[0].accepted_at) - Date.now())).toBeLessThan(60_000);
    const [audit] = await sql("select actor_id, after from audit_entry where action = 'shop.acceptAgreement' and target_id = ?", [owner.shop.id]);
    expect(String(audit.actor_id)).toBe(owner.user.id);
    expect(audit.after).toEqual({ version: '2026-11', ip: '203.0.113.7' });
  });

  it('is idempotent: accepting twice (or concurrently) keeps one row', async () => {
    const owner = await memberOfNewShop();
    expect(payloadOf(await accept(owner.token, owner.shopId)).errors).toEqual([]);
    expect(payloadOf(await accept(owner.token, owner.shopId, '2026-11', '198.51.100.1')).errors).toEqual([]);
    const racing = await memberOfNewShop();
    const results = await Promise.all([1, 2, 3].map(() => accept(racing.token, racing.shopId)));
    expect(results.map((r) => payloadOf(r).errors)).toEqual([[], [], []]);
    const rows = await acceptances(owner.shop.id);
    expect(rows).toHaveLength(1);
    expect(rows[0].ip).toBe('127.0.0.1');
    expect(await acceptances(racing.shop.id)).toHaveLength(1);
    expect(await count("select count(*)::int as n from audit_entry where action = 'shop.acceptAgreement' and target_id = ?", [owner.shop.id])).toBe(1);
  });

  it('refuses another version with AGREEMENT_VERSION_MISMATCH and records nothing', async () => {
    const owner = await memberOfNewShop();
    const res = payloadOf(await accept(owner.token, owner.shopId, '2025-01'));
    expect(res).toEqual({ shop: null, errors: [{ code: 'AGREEMENT_VERSION_MISMATCH', field: ['input', 'version'] }] });
    expect(await acceptances(owner.shop.id)).toEqual([]);
  });

  it.each([ShopMemberRole.MANAGER, ShopMemberRole.OPERATOR, ShopMemberRole.FINANCE])('is FORBIDDEN to a %s of the shop', async (role) => {
    const member = await memberOfNewShop(role);
    const res = await accept(member.token, member.shopId);
    expect(thrownCode(res)).toBe('FORBIDDEN');
    expect(await acceptances(member.shop.id)).toEqual([]);
  });

  it("is NOT_FOUND for another shop's OWNER and UNAUTHENTICATED anonymously", async () => {
    const target = await memberOfNewShop();
    const otherOwner = await memberOfNewShop();
    expect(thrownCode(await accept(otherOwner.token, target.shopId))).toBe('NOT_FOUND');
    expect(thrownCode(await accept(undefined, target.shopId))).toBe('UNAUTHENTICATED');
    expect(await acceptances(target.shop.id)).toEqual([]);
  });

  it('refuses publishMerchantAgreement to non-OPERATIONS callers and invalid input, changing nothing', async () => {
    const reviewer = await userWithToken(t, { roles: [StaffRole.REVIEWER] });
    const owner = await memberOfNewShop();
    const input = { version: '2099-01', text: 'A long enough agreement text for the test.' };
    expect(thrownCode(await t.gql(PUBLISH_AGREEMENT, { input }, { token: reviewer.token }))).toBe('FORBIDDEN');
    expect(thrownCode(await t.gql(PUBLISH_AGREEMENT, { input }, { token: owner.token }))).toBe('FORBIDDEN');
    expect(thrownCode(await t.gql(PUBLISH_AGREEMENT, { input }))).toBe('UNAUTHENTICATED');
    const bad = payloadOf(await t.gql(PUBLISH_AGREEMENT, { input: { version: 'has spaces', text: 'too short' } }, { token: ops.token }));
    expect(bad).toEqual({ merchantAgreement: null, errors: [{ code: 'INVALID_INPUT', field: ['input', 'version'] }, { code: 'INVALID_INPUT', field: ['input', 'text'] }] });
    const duplicate = payloadOf(await t.gql(PUBLISH_AGREEMENT, { input: { version: '2026-11', text: input.text } }, { token: ops.token }));
    expect(duplicate.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'version'] }]);
    expect((await t.gql(AGREEMENT)).data!.merchantAgreement.version).toBe('2026-11');
    expect(await count('select count(*)::int as n from merchant_agreement')).toBe(1);
  });
});

// Publishing changes the current agreement for this file's whole database: keep this last.
describe('publishing a new agreement version (runs last)', () => {
  const accept = (token: string | undefined, shopId: string, version: string) => t.gql(ACCEPT, { input: { shopId, version } }, { token });
  const acceptances = (shopKey: string) => sql('select version from agreement_acceptance where shop_id = ? order by id', [shopKey]);

  it('makes it current, so a shop that accepted only the old one must accept again before activating', async () => {
    const owner = await memberOfNewShop();
    await sql("update shop set phone = '13812345678', address = '1 West Lake Road, Hangzhou', description = 'Phone accessories.' where id = ?", [owner.shop.id]);
    await publishedCourse({ required: true });
    expect(payloadOf(await accept(owner.token, owner.shopId, '2026-11')).errors).toEqual([]);
    // Before the new version the old acceptance satisfies the agreement gate: only training is missing.
    const before = payloadOf(await t.gql(ACTIVATE, { input: { id: owner.shopId } }, { token: owner.token }));
    expect(before.errors).toEqual([{ code: 'TRAINING_INCOMPLETE', field: ['input', 'id'] }]);
    // Pass every required published course.
    const courses = (await t.gql(`{ trainingCourses { id required questions { id correctOptionIndexes } } }`, {}, { token: ops.token })).data!.trainingCourses;
    for (const course of courses.filter((c: { required: boolean }) => c.required)) {
      const answers = course.questions.map((q: { id: string; correctOptionIndexes: number[] }) => ({ questionId: q.id, optionIndexes: q.correctOptionIndexes }));
      expect(payloadOf(await submit(owner.token, owner.shopId, course.id, answers)).quizAttempt.passed).toBe(true);
    }

    const text = 'Merchant Cooperation Agreement, version 2027-01. Revised fees and service terms.';
    const published = payloadOf(await t.gql(PUBLISH_AGREEMENT, { input: { version: ' 2027-01 ', text } }, { token: ops.token }));
    expect(published).toEqual({ merchantAgreement: { version: '2027-01', text }, errors: [] });
    expect((await t.gql(AGREEMENT)).data!.merchantAgreement).toMatchObject({ version: '2027-01', text });

    const blocked = payloadOf(await t.gql(ACTIVATE, { input: { id: owner.shopId } }, { token: owner.token }));
    expect(blocked).toEqual({ shop: null, errors: [{ code: 'AGREEMENT_NOT_ACCEPTED', field: ['input', 'id'] }] });
    const [row] = await sql('select status from shop where id = ?', [owner.shop.id]);
    expect(row.status).toBe('ONBOARDING');

    expect(payloadOf(await accept(owner.token, owner.shopId, '2026-11')).errors).toEqual([{ code: 'AGREEMENT_VERSION_MISMATCH', field: ['input', 'version'] }]);
    expect(payloadOf(await accept(owner.token, owner.shopId, '2027-01')).errors).toEqual([]);
    expect((await acceptances(owner.shop.id)).map((r: any) => r.version)).toEqual(['2026-11', '2027-01']);

    const activated = payloadOf(await t.gql(ACTIVATE, { input: { id: owner.shopId } }, { token: owner.token }));
    expect(activated).toEqual({ shop: { id: owner.shopId, status: 'ACTIVE' }, errors: [] });
  });

  it('lets exactly one of several simultaneous publications of one version succeed; the others get INVALID_INPUT', async () => {
    const input = { version: '2027-02', text: 'Merchant Cooperation Agreement, version 2027-02, revised again.' };
    const results = await Promise.all([1, 2, 3].map(() => t.gql(PUBLISH_AGREEMENT, { input }, { token: ops.token })));
    const outcomes = results.map((r) => thrownCode(r) ?? r.data!.publishMerchantAgreement.errors[0]?.code ?? 'OK').sort();
    expect(outcomes).toEqual(['INVALID_INPUT', 'INVALID_INPUT', 'OK']);
    expect(await count("select count(*)::int as n from merchant_agreement where version = '2027-02'")).toBe(1);
  });
});
