import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { listScheduledTasks, runScheduledTask } from '../../services/platform';
import { RunScheduledTaskInput, ScheduledTask, ScheduledTaskPayload } from '../../schema/platform/tasks';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { payload } from '../shared/payload';

@Resolver(() => ScheduledTask)
export class TaskResolver {
  @Query(() => [ScheduledTask], { description: 'Every periodic job with its schedule, last run and next run (ADMIN, OPERATIONS).' })
  scheduledTasks(@Ctx() ctx: Context): Promise<ScheduledTask[]> {
    return listScheduledTasks(ctx);
  }

  @Mutation(() => ScheduledTaskPayload, {
    description:
      'Runs a scheduled task now, at the business clock, and returns when it is done (ADMIN). It waits for a run of the same task elsewhere to finish, then does what the next scheduled run would; a second run straight after changes nothing. Audited.',
  })
  runScheduledTask(@Arg('input', { description: INPUT_DESCRIPTION }) input: RunScheduledTaskInput, @Ctx() ctx: Context): Promise<ScheduledTaskPayload> {
    return payload(() => runScheduledTask(ctx, input.name), (task) => ({ task }));
  }
}
