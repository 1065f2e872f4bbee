import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { QuizAttempt, TrainingCourse } from '../../entities';
import { UserError } from '../shared/common';
import { Multiline } from '../shared/textRule';

@InputType({ description: 'A new training course (OPERATIONS staff).' })
export class TrainingCourseInput {
  @Field({ description: 'Title.' })
  title!: string;

  @Multiline()
  @Field({ description: 'What it covers.' })
  description!: string;

  @Field({ description: 'Required before a shop may be activated.' })
  required!: boolean;

  @Field(() => Int, { description: 'Score (percent) needed to pass.' })
  passScore!: number;
}

@InputType({ description: 'A lesson to append to an unpublished course.' })
export class TrainingLessonInput {
  @Field(() => ID, { description: 'The course.' })
  courseId!: string;

  @Field({ description: 'Lesson title.' })
  title!: string;

  @Multiline()
  @Field({ description: 'Lesson text (Markdown).' })
  body!: string;
}

@InputType({ description: 'A quiz question to append to an unpublished course.' })
export class QuizQuestionInput {
  @Field(() => ID, { description: 'The course.' })
  courseId!: string;

  @Multiline()
  @Field({ description: 'The question.' })
  prompt!: string;

  @Field(() => [String], { description: '2 to 10 distinct options, each at most 200 characters.' })
  options!: string[];

  @Field(() => [Int], { description: 'Indexes of the correct options (one or more).' })
  correctOptionIndexes!: number[];
}

@InputType({ description: 'An answer to one quiz question.' })
export class QuizAnswerInput {
  @Field(() => ID, { description: 'The question.' })
  questionId!: string;

  @Field(() => [Int], { description: 'Indexes of the chosen options.' })
  optionIndexes!: number[];
}

@InputType({ description: "A shop's answers to a course quiz." })
export class SubmitQuizAttemptInput {
  @Field(() => ID, { description: 'The shop taking the course.' })
  shopId!: string;

  @Field(() => ID, { description: 'The course.' })
  courseId!: string;

  @Field(() => [QuizAnswerInput], { description: 'Answers; unanswered questions count as wrong.' })
  answers!: QuizAnswerInput[];
}

@ObjectType({ description: 'Result of a training course mutation.' })
export class TrainingCoursePayload {
  @Field(() => TrainingCourse, { nullable: true, description: 'The course after the change.' })
  trainingCourse?: TrainingCourse | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of a quiz attempt.' })
export class QuizAttemptPayload {
  @Field(() => QuizAttempt, { nullable: true, description: 'The graded attempt.' })
  quizAttempt?: QuizAttempt | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: "A shop's standing in one published course." })
export class TrainingProgress {
  @Field(() => TrainingCourse, { description: 'The course.' })
  course!: TrainingCourse;

  @Field({ description: 'Whether any attempt passed.' })
  passed!: boolean;

  @Field(() => Int, { nullable: true, description: 'Best score so far; null before the first attempt.' })
  bestScore!: number | null;

  @Field(() => Int, { description: 'Attempts so far.' })
  attempts!: number;
}
