import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { lockById } from '../../db/rows';
import { QuizAttempt, QuizQuestion, type Shop, ShopStatus, StaffRole, TrainingCourse, TrainingLesson } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { recordAudit } from '../platform';
import { lockShopAsMember } from './shops';
import { checkText } from '../shared';

/** The longest quiz option, in characters. */
const MAX_OPTION_LENGTH = 200;

/** At most this many quiz attempts per course per shop in any 24 hours. */
export const MAX_ATTEMPTS_PER_DAY = 5;

async function draftCourse(em: EntityManager, courseId: string): Promise<TrainingCourse> {
  const course = await lockById(em, TrainingCourse, courseId, 'update');
  if (!course) throw new NotFoundError('No such training course');
  if (course.published) throw new Failure(UserErrorCode.COURSE_PUBLISHED, 'A published course can no longer be changed');
  return course;
}

function text(problems: Problems, value: string, field: string, min: number, max: number, label: string): string {
  return checkText(problems, value, ['input', field], min, max, label);
}

export async function createCourse(ctx: Context, input: { title: string; description: string; required: boolean; passScore: number }): Promise<TrainingCourse> {
  const problems = new Problems();
  const title = text(problems, input.title, 'title', 2, 120, 'Title');
  const description = text(problems, input.description, 'description', 1, 4000, 'Description');
  if (!Number.isInteger(input.passScore) || input.passScore < 0 || input.passScore > 100) {
    problems.add(UserErrorCode.INVALID_INPUT, 'Pass score is a percentage from 0 to 100', ['input', 'passScore']);
  }
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const course = em.create(TrainingCourse, { title, description, required: input.required, passScore: input.passScore, published: false, createdAt: ctx.now(), updatedAt: ctx.now() });
    await em.flush();
    recordAudit(ctx, em, { action: 'training.createCourse', targetType: 'TrainingCourse', targetId: course.id, after: { title, required: input.required, passScore: input.passScore } });
    await em.flush();
    return course;
  });
}

export async function addLesson(ctx: Context, input: { courseId: string; title: string; body: string }): Promise<TrainingCourse> {
  const problems = new Problems();
  const title = text(problems, input.title, 'title', 2, 120, 'Title');
  const body = text(problems, input.body, 'body', 1, 50_000, 'Body');
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const course = await draftCourse(em, input.courseId);
    const position = await em.count(TrainingLesson, { course });
    em.create(TrainingLesson, { course, position, title, body });
    recordAudit(ctx, em, { action: 'training.addLesson', targetType: 'TrainingCourse', targetId: course.id, after: { position, title } });
    await em.flush();
    return course;
  });
}

export async function addQuestion(ctx: Context, input: { courseId: string; prompt: string; options: string[]; correctOptionIndexes: number[] }): Promise<TrainingCourse> {
  const problems = new Problems();
  const prompt = text(problems, input.prompt, 'prompt', 2, 1000, 'Prompt');
  const options = input.options.map((o) => o.trim());
  if (options.length < 2 || options.length > 10 || options.some((o) => o.length === 0) || new Set(options).size !== options.length) {
    problems.add(UserErrorCode.INVALID_INPUT, 'Give 2 to 10 distinct, non-empty options', ['input', 'options']);
  }
  input.options.forEach((option, i) => {
    if (option.trim()) checkText(problems, option, ['input', 'options', String(i)], 1, MAX_OPTION_LENGTH, 'An option');
  });
  const correct = [...new Set(input.correctOptionIndexes)].sort((a, b) => a - b);
  if (correct.length === 0 || correct.some((i) => !Number.isInteger(i) || i < 0 || i >= options.length)) {
    problems.add(UserErrorCode.INVALID_INPUT, 'Mark at least one correct option by its index', ['input', 'correctOptionIndexes']);
  }
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const course = await draftCourse(em, input.courseId);
    const position = await em.count(QuizQuestion, { course });
    em.create(QuizQuestion, { course, position, prompt, options, correctOptionIndexes: correct });
    recordAudit(ctx, em, { action: 'training.addQuestion', targetType: 'TrainingCourse', targetId: course.id, after: { position, prompt } });
    await em.flush();
    return course;
  });
}

export async function publishCourse(ctx: Context, courseId: string): Promise<TrainingCourse> {
  return ctx.em.transactional(async (em) => {
    const course = await draftCourse(em, courseId);
    if ((await em.count(TrainingLesson, { course })) === 0 || (await em.count(QuizQuestion, { course })) === 0) {
      throw new Failure(UserErrorCode.COURSE_EMPTY, 'Add at least one lesson and one quiz question before publishing');
    }
    course.published = true;
    course.publishedAt = ctx.now();
    recordAudit(ctx, em, { action: 'training.publishCourse', targetType: 'TrainingCourse', targetId: course.id, after: { published: true } });
    await em.flush();
    return course;
  });
}

/** Published courses; training staff may also ask for drafts. */
export function listCourses(ctx: Context, includeDrafts: boolean): Promise<TrainingCourse[]> {
  const drafts = includeDrafts && ctx.viewer.hasStaffRole(StaffRole.OPERATIONS);
  return ctx.em.find(TrainingCourse, drafts ? {} : { published: true }, { orderBy: { id: 'asc' } });
}

export async function visibleCourse(ctx: Context, key: string): Promise<TrainingCourse | null> {
  const course = await ctx.em.findOne(TrainingCourse, { id: key });
  return course && (course.published || ctx.viewer.hasStaffRole(StaffRole.OPERATIONS)) ? course : null;
}

/** A quiz attempt; the shop, course and question ids are database keys. */
export interface AttemptInput {
  shopId: string;
  courseId: string;
  answers: { questionId: string; optionIndexes: number[] }[];
}

/**
 * Grades a quiz on the server: a question scores when the chosen options are exactly the correct
 * ones; the score is the percentage of questions scored. The shop row is locked while counting
 * the last 24 hours' attempts, so concurrent submissions cannot exceed the limit.
 */
export async function submitAttempt(ctx: Context, input: AttemptInput): Promise<QuizAttempt> {
  return ctx.em.transactional(async (em) => {
    const shop = await lockShopAsMember(ctx, em, input.shopId, []);
    if (shop.status === ShopStatus.CLOSED) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'A closed shop cannot take training');
    const course = await em.findOne(TrainingCourse, { id: input.courseId, published: true });
    if (!course) throw new NotFoundError('No such training course');
    const since = new Date(ctx.now().getTime() - 24 * 3600_000);
    if ((await em.count(QuizAttempt, { shop, course, createdAt: { $gt: since } })) >= MAX_ATTEMPTS_PER_DAY) {
      throw new Failure(UserErrorCode.TOO_MANY_ATTEMPTS, `At most ${MAX_ATTEMPTS_PER_DAY} attempts per course in 24 hours; try again later`);
    }
    const questions = await em.find(QuizQuestion, { course }, { orderBy: { position: 'asc' } });
    const byId = new Map(questions.map((q) => [q.id, q]));
    const answers = new Map<string, number[]>();
    input.answers.forEach((a, i) => {
      const key = a.questionId;
      if (!byId.has(key)) throw new Failure(UserErrorCode.INVALID_INPUT, 'This question is not part of the course', ['input', 'answers', String(i), 'questionId']);
      if (answers.has(key)) throw new Failure(UserErrorCode.INVALID_INPUT, 'Each question may be answered once', ['input', 'answers', String(i), 'questionId']);
      answers.set(key, [...new Set(a.optionIndexes)].sort((x, y) => x - y));
    });
    const correct = questions.filter((q) => {
      const chosen = answers.get(q.id) ?? [];
      return chosen.length === q.correctOptionIndexes.length && chosen.every((v, i) => v === q.correctOptionIndexes[i]);
    }).length;
    const score = questions.length === 0 ? 0 : Math.round((100 * correct) / questions.length);
    const attempt = em.create(QuizAttempt, {
      shop,
      course,
      takenBy: ctx.viewer.userId!,
      score,
      passed: score >= course.passScore,
      answers: [...answers].map(([questionId, optionIndexes]) => ({ questionId, optionIndexes })),
      createdAt: ctx.now(),
    });
    await em.flush();
    return attempt;
  });
}

export interface CourseProgress {
  course: TrainingCourse;
  passed: boolean;
  bestScore: number | null;
  attempts: number;
}

/** Every published course with the shop's result: passed, best score, attempts. Batched across shops. */
export async function trainingProgress(ctx: Context, shop: Shop): Promise<CourseProgress[]> {
  const [courses, stats] = await Promise.all([ctx.loaders.publishedCourses.load('all'), ctx.loaders.quizStatsByShopId.load(shop.id)]);
  return courses.map((course) => {
    const s = stats.get(course.id);
    return { course, passed: s?.passed ?? false, bestScore: s ? s.best : null, attempts: s?.attempts ?? 0 };
  });
}
