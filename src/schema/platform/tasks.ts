import { Field, InputType, ObjectType } from 'type-graphql';
import { UserError } from '../shared/common';

@ObjectType({ description: 'A periodic job of the platform, which staff can see and run at once (ADMIN, OPERATIONS).' })
export class ScheduledTask {
  @Field({ description: 'Stable kebab-case name, e.g. `expire-checkouts`.' })
  name!: string;

  @Field({ description: 'What a run does.' })
  description!: string;

  @Field({ description: 'Cron expression of the schedule, in UTC (`* * * * *`: every minute).' })
  schedule!: string;

  @Field(() => Date, { nullable: true, description: 'When the last run started, scheduled or manual; null before the first run.' })
  lastRunAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'What the last run did: `done: <count>`, or `failed: <message>`.' })
  lastResult!: string | null;

  @Field(() => Date, { nullable: true, description: 'The next tick of the schedule.' })
  nextRunAt!: Date | null;
}

@InputType({ description: 'The scheduled task to run now.' })
export class RunScheduledTaskInput {
  @Field({ description: 'The task’s name, as `scheduledTasks` lists it.' })
  name!: string;
}

@ObjectType({ description: 'Result of `runScheduledTask`.' })
export class ScheduledTaskPayload {
  @Field(() => ScheduledTask, { nullable: true, description: 'The task after the run; null when `errors` is not empty.' })
  task?: ScheduledTask | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
