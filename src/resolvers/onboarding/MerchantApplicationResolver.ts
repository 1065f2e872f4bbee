import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { ApplicationDecision, Category, MerchantApplication, MerchantApplicationAction, Shop, User } from '../../entities';
import * as applications from '../../services/onboarding';
import { visibleShop } from '../../services/onboarding';
import { allowedActions } from '../../services/shared';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import {
  MerchantApplicationConnection,
  MerchantApplicationFilter,
  MerchantApplicationInput,
  MerchantApplicationPayload,
  ReviewMerchantApplicationInput,
  UpdateMerchantApplicationInput,
} from '../../schema/onboarding/applications';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class MerchantApplicationsArgs extends ConnectionArgs {
  @Field(() => MerchantApplicationFilter, { nullable: true, description: 'Filters.' })
  filter?: MerchantApplicationFilter | null;
}

const wrap = (merchantApplication: MerchantApplication) => ({ merchantApplication });

@Resolver(() => MerchantApplication)
export class MerchantApplicationResolver {
  @Query(() => [MerchantApplication], { description: 'Your merchant applications, newest first, with every decision.' })
  myMerchantApplications(@Ctx() ctx: Context): Promise<MerchantApplication[]> {
    return applications.myApplications(ctx);
  }

  @Query(() => MerchantApplicationConnection, { description: 'The review queue, oldest submitted first (REVIEWER). Drafts never appear.' })
  merchantApplications(@Args() args: MerchantApplicationsArgs, @Ctx() ctx: Context) {
    return connection(applications.applicationQueue(ctx, args));
  }

  @Mutation(() => MerchantApplicationPayload, { description: 'Start an application (DRAFT). One open application per user.' })
  createMerchantApplication(@Arg('input', { description: INPUT_DESCRIPTION }) input: MerchantApplicationInput, @Ctx() ctx: Context): Promise<MerchantApplicationPayload> {
    return payload(() => applications.createApplication(ctx, decodeInput(input, { categoryIds: ['Category'] })), wrap);
  }

  @Mutation(() => MerchantApplicationPayload, { description: 'Edit your application while it is DRAFT or CHANGES_REQUESTED.' })
  updateMerchantApplication(@Arg('input', { description: INPUT_DESCRIPTION }) input: UpdateMerchantApplicationInput, @Ctx() ctx: Context): Promise<MerchantApplicationPayload> {
    return payload(() => applications.updateApplication(ctx, decodeInput(input, { id: 'MerchantApplication', categoryIds: ['Category'] })), wrap);
  }

  @Mutation(() => MerchantApplicationPayload, { description: 'Submit (or resubmit) your application for review.' })
  submitMerchantApplication(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<MerchantApplicationPayload> {
    return payload(() => applications.submitApplication(ctx, decodeId('MerchantApplication', input.id)), wrap);
  }

  @Mutation(() => MerchantApplicationPayload, { description: 'Claim a submitted application for review (REVIEWER): IN_REVIEW, assigned to you.' })
  claimMerchantApplication(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<MerchantApplicationPayload> {
    return payload(() => applications.claimApplication(ctx, decodeId('MerchantApplication', input.id)), wrap);
  }

  @Mutation(() => MerchantApplicationPayload, { description: 'Approve, reject or request changes (the assigned REVIEWER, or ADMIN). APPROVE creates the shop.' })
  reviewMerchantApplication(@Arg('input', { description: INPUT_DESCRIPTION }) input: ReviewMerchantApplicationInput, @Ctx() ctx: Context): Promise<MerchantApplicationPayload> {
    return payload(() => applications.reviewApplication(ctx, decodeInput(input, { applicationId: 'MerchantApplication' })), wrap);
  }

  @FieldResolver(() => User, { description: 'Who applied.' })
  async applicant(@Root() app: MerchantApplication, @Ctx() ctx: Context): Promise<User> {
    return (await ctx.loaders.userById.load(app.applicant.id))!;
  }

  @FieldResolver(() => User, { nullable: true, description: 'The reviewer it is assigned to.' })
  reviewer(@Root() app: MerchantApplication, @Ctx() ctx: Context): Promise<User | null> | null {
    return app.reviewer ? ctx.loaders.userById.load(app.reviewer.id) : null;
  }

  @FieldResolver(() => [ApplicationDecision], { description: 'Every decision so far, oldest first, with reasons.' })
  decisions(@Root() app: MerchantApplication, @Ctx() ctx: Context): Promise<ApplicationDecision[]> {
    return ctx.loaders.decisionsByApplicationId.load(app.id);
  }

  @FieldResolver(() => [Category], { description: 'Categories the shop will sell in.' })
  async categories(@Root() app: MerchantApplication, @Ctx() ctx: Context): Promise<Category[]> {
    const found = await ctx.loaders.categoryById.loadMany(app.categoryIds.map(String));
    return found.filter((c): c is Category => c instanceof Category);
  }

  @FieldResolver(() => Shop, { nullable: true, description: 'The shop created on approval, while you may see it (public when ACTIVE; members and staff always).' })
  shop(@Root() app: MerchantApplication, @Ctx() ctx: Context): Promise<Shop | null> | null {
    return app.shop ? visibleShop(ctx, app.shop.id) : null;
  }

  @FieldResolver(() => [MerchantApplicationAction], { description: 'Actions the state machine allows next.' })
  nextActions(@Root() app: MerchantApplication): MerchantApplicationAction[] {
    return allowedActions(applications.APPLICATION_TRANSITIONS, app.status);
  }
}

@Resolver(() => ApplicationDecision)
export class ApplicationDecisionResolver {
  @FieldResolver(() => User, { nullable: true, description: 'Who decided.' })
  reviewer(@Root() decision: ApplicationDecision, @Ctx() ctx: Context): Promise<User | null> | null {
    return decision.reviewer ? ctx.loaders.userById.load(decision.reviewer.id) : null;
  }
}
