import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { QuizQuestion, TrainingCourse, TrainingLesson } from '../../entities';
import * as training from '../../services/onboarding';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import {
  QuizAttemptPayload,
  QuizQuestionInput,
  SubmitQuizAttemptInput,
  TrainingCourseInput,
  TrainingCoursePayload,
  TrainingLessonInput,
} from '../../schema/onboarding/training';
import { payload } from '../shared/payload';

const wrap = (trainingCourse: TrainingCourse) => ({ trainingCourse });

@Resolver(() => TrainingCourse)
export class TrainingResolver {
  @Query(() => [TrainingCourse], { description: 'Published training courses. Correct answers are never shown to merchants.' })
  trainingCourses(
    @Ctx() ctx: Context,
    @Arg('includeDrafts', () => Boolean, { defaultValue: false, description: 'Also unpublished courses (OPERATIONS staff only; ignored otherwise).' }) includeDrafts: boolean,
  ): Promise<TrainingCourse[]> {
    return training.listCourses(ctx, includeDrafts);
  }

  @Mutation(() => TrainingCoursePayload, { description: 'Create a course (OPERATIONS). Add lessons and questions, then publish.' })
  createTrainingCourse(@Arg('input', { description: INPUT_DESCRIPTION }) input: TrainingCourseInput, @Ctx() ctx: Context): Promise<TrainingCoursePayload> {
    return payload(() => training.createCourse(ctx, input), wrap);
  }

  @Mutation(() => TrainingCoursePayload, { description: 'Append a lesson to an unpublished course (OPERATIONS).' })
  addTrainingLesson(@Arg('input', { description: INPUT_DESCRIPTION }) input: TrainingLessonInput, @Ctx() ctx: Context): Promise<TrainingCoursePayload> {
    return payload(() => training.addLesson(ctx, decodeInput(input, { courseId: 'TrainingCourse' })), wrap);
  }

  @Mutation(() => TrainingCoursePayload, { description: 'Append a quiz question to an unpublished course (OPERATIONS).' })
  addQuizQuestion(@Arg('input', { description: INPUT_DESCRIPTION }) input: QuizQuestionInput, @Ctx() ctx: Context): Promise<TrainingCoursePayload> {
    return payload(() => training.addQuestion(ctx, decodeInput(input, { courseId: 'TrainingCourse' })), wrap);
  }

  @Mutation(() => TrainingCoursePayload, { description: 'Publish a course (OPERATIONS); it becomes visible to merchants and frozen.' })
  publishTrainingCourse(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<TrainingCoursePayload> {
    return payload(() => training.publishCourse(ctx, decodeId('TrainingCourse', input.id)), wrap);
  }

  @Mutation(() => QuizAttemptPayload, { description: "Submit a shop's quiz answers; graded on the server. At most 5 attempts per course per shop in 24 hours." })
  submitQuizAttempt(@Arg('input', { description: INPUT_DESCRIPTION }) input: SubmitQuizAttemptInput, @Ctx() ctx: Context): Promise<QuizAttemptPayload> {
    return payload(() => training.submitAttempt(ctx, decodeInput(input, { shopId: 'Shop', courseId: 'TrainingCourse', answers: { questionId: 'QuizQuestion' } })), (quizAttempt) => ({ quizAttempt }));
  }

  @FieldResolver(() => [TrainingLesson], { description: 'Lessons, in order.' })
  lessons(@Root() course: TrainingCourse, @Ctx() ctx: Context): Promise<TrainingLesson[]> {
    return ctx.loaders.lessonsByCourseId.load(course.id);
  }

  @FieldResolver(() => [QuizQuestion], { description: 'Quiz questions, in order (without answers for merchants).' })
  questions(@Root() course: TrainingCourse, @Ctx() ctx: Context): Promise<QuizQuestion[]> {
    return ctx.loaders.questionsByCourseId.load(course.id);
  }
}
