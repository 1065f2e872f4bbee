import { ArrayType, BigIntType, Check, Entity, Index, ManyToOne, PrimaryKey, Property, type Rel, OptionalProps } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { toGlobalId } from '../schema/shared/globalId';
import { Node, TimestampedNode } from './Node';
import { Shop } from './Shop';
import { User } from './User';

/** 培訓: a course merchants take; `required` courses gate shop activation. */
@ObjectType({ implements: Node, description: 'A training course for merchants: lessons, then a quiz graded on the server.' })
@Entity({ tableName: 'training_course' })
@Check({ name: 'training_course_pass_score_check', expression: '(pass_score >= 0) AND (pass_score <= 100)' })
export class TrainingCourse extends TimestampedNode {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Field({ description: 'Course title.' })
  @Property({ type: 'text' })
  title!: string;

  @Field({ description: 'What the course covers.' })
  @Property({ type: 'text' })
  description!: string;

  @Field({ description: 'Whether passing it is required before a shop can be activated.' })
  @Property({ type: 'boolean' })
  required!: boolean;

  @Field(() => Int, { description: 'Score (percent, 0–100) needed to pass.' })
  @Property({ type: 'int' })
  passScore!: number;

  @Field({ description: 'Only published courses are visible to merchants; published courses are frozen.' })
  @Property({ type: 'boolean', default: false })
  published: boolean = false;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  publishedAt?: Date | null;
}

@ObjectType({ description: 'A lesson of a training course.' })
@Entity({ tableName: 'training_lesson' })
export class TrainingLesson {
  declare [OptionalProps]?: 'globalId';

  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Index({ name: 'training_lesson_course_idx' })
  @ManyToOne(() => TrainingCourse, { deleteRule: 'cascade' })
  course!: Rel<TrainingCourse>;

  @Property({ type: 'int' })
  position!: number;

  @Field({ description: 'Lesson title.' })
  @Property({ type: 'text' })
  title!: string;

  @Field({ description: 'Lesson text (Markdown).' })
  @Property({ type: 'text' })
  body!: string;

  @Field(() => ID, { name: 'id', description: 'Global ID of the lesson.' })
  get globalId(): string {
    return toGlobalId('TrainingLesson', this.id);
  }
}

@ObjectType({ description: 'A quiz question. Merchants see the prompt and options, never the correct answers.' })
@Entity({ tableName: 'quiz_question' })
export class QuizQuestion {
  declare [OptionalProps]?: 'globalId';

  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Index({ name: 'quiz_question_course_idx' })
  @ManyToOne(() => TrainingCourse, { deleteRule: 'cascade' })
  course!: Rel<TrainingCourse>;

  @Property({ type: 'int' })
  position!: number;

  @Field({ description: 'The question.' })
  @Property({ type: 'text' })
  prompt!: string;

  @Field(() => [String], { description: 'Answer options, indexed from 0.' })
  @Property({ type: ArrayType, columnType: 'text[]' })
  options!: string[];

  /** Indexes of the correct options; shown to training staff only. */
  @Field(() => [Int], { description: 'Indexes of the correct options. Visible to OPERATIONS and ADMIN staff only.' })
  @Property({ type: 'jsonb' })
  correctOptionIndexes!: number[];

  @Field(() => ID, { name: 'id', description: 'Global ID of the question; pass it in quiz answers.' })
  get globalId(): string {
    return toGlobalId('QuizQuestion', this.id);
  }
}

@ObjectType({ description: "A shop's graded attempt at a course's quiz." })
@Entity({ tableName: 'quiz_attempt' })
@Index({ name: 'quiz_attempt_shop_course_idx', properties: ['shop', 'course', 'createdAt'] })
export class QuizAttempt {
  declare [OptionalProps]?: 'globalId' | 'createdAt';

  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Index({ name: 'quiz_attempt_course_idx' })
  @ManyToOne(() => TrainingCourse, { deleteRule: 'cascade' })
  course!: Rel<TrainingCourse>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  takenBy!: Rel<User>;

  @Field(() => Int, { description: 'Score in percent (0–100).' })
  @Property({ type: 'int' })
  score!: number;

  @Field({ description: "Whether the score reached the course's pass score." })
  @Property({ type: 'boolean' })
  passed!: boolean;

  @Property({ type: 'jsonb' })
  answers!: { questionId: string; optionIndexes: number[] }[];

  @Field(() => Date, { description: 'When it was submitted.' })
  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => ID, { name: 'id', description: 'Global ID of the attempt.' })
  get globalId(): string {
    return toGlobalId('QuizAttempt', this.id);
  }
}
