import { Arg, Args, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { CheckIn, GrowthTask } from '../../entities';
import * as membership from '../../services/membership';
import { CheckInPayload, ClaimGrowthTaskInput, CreateGrowthTaskInput, GrowthTaskConnection, GrowthTaskPayload, GrowthTaskState, MemberGrowthTask, MemberGrowthTaskStatus } from '../../schema/membership/growth';
import { Membership } from '../../schema/membership/levels';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

const asMemberTask = (view: membership.MemberGrowthTaskView): MemberGrowthTask => ({ ...view, status: view.status as MemberGrowthTaskStatus });

@Resolver(() => CheckIn)
export class CheckInResolver {
  @Mutation(() => CheckInPayload, {
    description: 'Check in for today (簽到), once per calendar day in Asia/Shanghai: CHECK_IN_POINTS, plus each CHECK_IN_STREAK_BONUSES bonus whose days divide your streak. ALREADY_CHECKED_IN.',
  })
  checkIn(@Ctx() ctx: Context): Promise<CheckInPayload> {
    return payload(() => membership.checkIn(ctx), (r) => r);
  }

  @Query(() => [CheckIn], { description: 'Your check-ins of the last `days` calendar days (Asia/Shanghai; today included), newest first.' })
  myCheckIns(@Arg('days', () => Int, { nullable: true, defaultValue: 30, description: 'Days back, 1 to 366 (default 30).' }) days: number | null, @Ctx() ctx: Context): Promise<CheckIn[]> {
    return membership.myCheckIns(ctx, days ?? undefined);
  }
}

@Resolver(() => GrowthTask)
export class GrowthResolver {
  @Query(() => GrowthTaskConnection, { description: 'Every growth task, newest first (staff OPERATIONS).' })
  growthTasks(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(membership.listGrowthTasks(ctx, args));
  }

  @Query(() => [MemberGrowthTask], { description: 'Your growth tasks (成長任務): every one open now and every one that rewarded you, with your progress; claimable first.' })
  async myGrowthTasks(@Ctx() ctx: Context): Promise<MemberGrowthTask[]> {
    return (await membership.myGrowthTasks(ctx)).map(asMemberTask);
  }

  @Mutation(() => GrowthTaskPayload, { description: 'Set a growth task (staff OPERATIONS): its kind, target and points. INVALID_INPUT. Audited.' })
  createGrowthTask(@Arg('input', { description: INPUT_DESCRIPTION }) input: CreateGrowthTaskInput, @Ctx() ctx: Context): Promise<GrowthTaskPayload> {
    return payload(() => membership.createGrowthTask(ctx, input), (growthTask) => ({ growthTask }));
  }

  @Mutation(() => GrowthTaskPayload, { description: 'End a growth task now (staff OPERATIONS): it can no longer be claimed; INVALID_TRANSITION when it has ended. Audited.' })
  endGrowthTask(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<GrowthTaskPayload> {
    return payload(() => membership.endGrowthTask(ctx, decodeId('GrowthTask', input.id)), (growthTask) => ({ growthTask }));
  }

  @Mutation(() => GrowthTaskPayload, {
    description: 'Claim a growth task’s points, once: it must be open and your progress reach its target (else GROWTH_TASK_NOT_DONE). GROWTH_TASK_ALREADY_REWARDED.',
  })
  claimGrowthTask(@Arg('input', { description: INPUT_DESCRIPTION }) input: ClaimGrowthTaskInput, @Ctx() ctx: Context): Promise<GrowthTaskPayload> {
    return payload(
      () => membership.claimGrowthTask(ctx, decodeId('GrowthTask', input.taskId)),
      ({ view, points }) => ({ growthTask: view.task, memberGrowthTask: asMemberTask(view), points }),
    );
  }

  @FieldResolver(() => GrowthTaskState, { description: 'Scheduled, open or ended, now.' })
  state(@Root() task: GrowthTask, @Ctx() ctx: Context): GrowthTaskState {
    return membership.growthTaskState(task, ctx.now()) as GrowthTaskState;
  }
}

@Resolver(() => Membership)
export class MembershipCheckInResolver {
  @FieldResolver(() => Int, { description: 'Consecutive days checked in, up to today or yesterday (Asia/Shanghai); 0 when neither.' })
  async checkInStreak(@Root() member: Membership, @Ctx() ctx: Context): Promise<number> {
    return (await membership.checkInStanding(ctx, member.userId)).streak;
  }

  @FieldResolver(() => Boolean, { description: 'Whether you have checked in today (Asia/Shanghai).' })
  async checkedInToday(@Root() member: Membership, @Ctx() ctx: Context): Promise<boolean> {
    return (await membership.checkInStanding(ctx, member.userId)).checkedInToday;
  }
}
