import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CheckIn, GrowthTask, GrowthTaskKind } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { Multiline } from '../shared/textRule';

export enum GrowthTaskState {
  SCHEDULED = 'SCHEDULED',
  OPEN = 'OPEN',
  ENDED = 'ENDED',
}

registerEnumType(GrowthTaskState, {
  name: 'GrowthTaskState',
  description: 'Where a growth task stands on the clock.',
  valuesConfig: {
    SCHEDULED: { description: 'Before `startsAt`: shown to nobody but staff yet.' },
    OPEN: { description: 'From `startsAt` until `endsAt` (if any): members see and claim it.' },
    ENDED: { description: 'Past `endsAt`, or ended by staff: no longer claimable; members it rewarded still see it.' },
  },
});

export enum MemberGrowthTaskStatus {
  IN_PROGRESS = 'IN_PROGRESS',
  CLAIMABLE = 'CLAIMABLE',
  REWARDED = 'REWARDED',
}

registerEnumType(MemberGrowthTaskStatus, {
  name: 'MemberGrowthTaskStatus',
  description: 'Where you stand on a growth task.',
  valuesConfig: {
    IN_PROGRESS: { description: 'Your progress has not reached the target yet.' },
    CLAIMABLE: { description: 'Target reached: claim its points with `claimGrowthTask`.' },
    REWARDED: { description: 'Claimed: its points are yours (each task rewards you once).' },
  },
});

@InputType({ description: 'A growth task (staff OPERATIONS).' })
export class CreateGrowthTaskInput {
  @Field(() => GrowthTaskKind, { description: 'What it asks of members.' })
  kind!: GrowthTaskKind;

  @Field({ description: 'Title shown to members, 1 to 60 characters.' })
  title!: string;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'Longer explanation, at most 500 characters.' })
  description?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'How many of the thing it asks for; default 1. COMPLETE_PROFILE, FIRST_ORDER and FIRST_REVIEW: 1; INVITE_FRIEND: 1 to 100; CHECK_IN_STREAK: 2 to 365 days (so give it).',
  })
  target?: number | null;

  @Field(() => Int, { description: 'Points it rewards each member once, 1 to 100,000.' })
  rewardPoints!: number;

  @Field(() => Date, { nullable: true, description: 'From when it is open; default now.' })
  startsAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Until when it is open (after `startsAt`, in the future); default: no end.' })
  endsAt?: Date | null;
}

@InputType({ description: 'Claim a growth task’s points.' })
export class ClaimGrowthTaskInput {
  @Field(() => ID, { description: 'An open growth task whose target you reached.' })
  taskId!: string;
}

@ObjectType({ description: 'A growth task as you stand on it.' })
export class MemberGrowthTask {
  @Field(() => GrowthTask, { description: 'The task.' })
  task!: GrowthTask;

  @Field(() => Int, { description: 'What you have done towards the target, at most the target (the target once rewarded).' })
  progress!: number;

  @Field(() => Int, { description: 'What it asks for.' })
  target!: number;

  @Field(() => MemberGrowthTaskStatus, { description: 'In progress, claimable or rewarded.' })
  status!: MemberGrowthTaskStatus;

  @Field(() => Date, { nullable: true, description: 'When it rewarded you; null until then.' })
  rewardedAt!: Date | null;
}

@ObjectType({ description: 'Result of `checkIn`.' })
export class CheckInPayload {
  @Field(() => CheckIn, { nullable: true, description: 'Today’s check-in; null when `errors` is not empty.' })
  checkIn?: CheckIn | null;

  @Field(() => Int, { nullable: true, description: 'Your points balance after it; null when `errors` is not empty.' })
  points?: number | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of the growth task mutations.' })
export class GrowthTaskPayload {
  @Field(() => GrowthTask, { nullable: true, description: 'The task as it now stands; null when `errors` is not empty.' })
  growthTask?: GrowthTask | null;

  @Field(() => MemberGrowthTask, { nullable: true, description: '`claimGrowthTask`: where you now stand on it (REWARDED); null for the staff mutations and on errors.' })
  memberGrowthTask?: MemberGrowthTask | null;

  @Field(() => Int, { nullable: true, description: '`claimGrowthTask`: your points balance after the reward; null for the staff mutations and on errors.' })
  points?: number | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

export const { ConnectionType: GrowthTaskConnection } = connectionTypes(GrowthTask);
