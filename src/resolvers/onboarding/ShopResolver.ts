import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { MerchantAgreement, Shop, ShopInvitation, ShopMember } from '../../entities';
import * as shops from '../../services/onboarding';
import { trainingProgress } from '../../services/onboarding';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import {
  AcceptMerchantAgreementInput,
  MerchantAgreementPayload,
  PublishMerchantAgreementInput,
  ShopModerationInput,
  ShopPayload,
  UpdateShopProfileInput,
} from '../../schema/onboarding/shops';
import { TrainingProgress } from '../../schema/onboarding/training';
import { SetShopCommissionRateInput } from '../../schema/money/commission';
import { payload } from '../shared/payload';

const wrap = (shop: Shop) => ({ shop });

@Resolver(() => Shop)
export class ShopResolver {
  @Query(() => Shop, { nullable: true, description: 'A shop by ID or slug. The public sees ACTIVE shops only; members and staff see theirs in any state.' })
  shop(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { nullable: true, description: 'Global ID.' }) id?: string,
    @Arg('slug', () => String, { nullable: true, description: 'Slug.' }) slug?: string,
  ): Promise<Shop | null> {
    return shops.findShop(ctx, decodeInput({ id, slug }, { id: 'Shop' }));
  }

  @Query(() => [Shop], { description: 'Shops you are a member of, in any state.' })
  myShops(@Ctx() ctx: Context): Promise<Shop[]> {
    return shops.myShops(ctx);
  }

  @Query(() => MerchantAgreement, { description: 'The current merchant agreement.' })
  merchantAgreement(@Ctx() ctx: Context): Promise<MerchantAgreement> {
    return shops.currentAgreement(ctx.em);
  }

  @Mutation(() => ShopPayload, { description: "Edit the shop's profile (OWNER, MANAGER)." })
  updateShopProfile(@Arg('input', { description: INPUT_DESCRIPTION }) input: UpdateShopProfileInput, @Ctx() ctx: Context): Promise<ShopPayload> {
    return payload(() => shops.updateShopProfile(ctx, decodeInput(input, { shopId: 'Shop' })), wrap);
  }

  @Mutation(() => ShopPayload, { description: 'Accept the current merchant agreement for the shop (OWNER). Records who, when, which version and from which IP.' })
  acceptMerchantAgreement(@Arg('input', { description: INPUT_DESCRIPTION }) input: AcceptMerchantAgreementInput, @Ctx() ctx: Context): Promise<ShopPayload> {
    return payload(() => shops.acceptAgreement(ctx, decodeInput(input, { shopId: 'Shop' })), wrap);
  }

  @Mutation(() => MerchantAgreementPayload, { description: 'Publish a new merchant agreement version (OPERATIONS). Shops accept it before their next activation.' })
  publishMerchantAgreement(@Arg('input', { description: INPUT_DESCRIPTION }) input: PublishMerchantAgreementInput, @Ctx() ctx: Context): Promise<MerchantAgreementPayload> {
    return payload(() => shops.publishAgreement(ctx, input), (merchantAgreement) => ({ merchantAgreement }));
  }

  @Mutation(() => ShopPayload, { description: 'ONBOARDING → ACTIVE (OWNER) once the agreement is accepted, required training passed and the profile complete.' })
  activateShop(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<ShopPayload> {
    return payload(() => shops.activateShop(ctx, decodeId('Shop', input.id)), wrap);
  }

  @Mutation(() => ShopPayload, { description: 'Suspend a shop with a reason (OPERATIONS, RISK): hidden from shoppers, cannot trade.' })
  suspendShop(@Arg('input', { description: INPUT_DESCRIPTION }) input: ShopModerationInput, @Ctx() ctx: Context): Promise<ShopPayload> {
    return payload(() => shops.moderateShop(ctx, 'suspend', decodeInput(input, { shopId: 'Shop' })), wrap);
  }

  @Mutation(() => ShopPayload, { description: 'Lift a suspension (OPERATIONS, RISK): back to ACTIVE, or ONBOARDING if it never was active.' })
  reinstateShop(@Arg('input', { description: INPUT_DESCRIPTION }) input: ShopModerationInput, @Ctx() ctx: Context): Promise<ShopPayload> {
    return payload(() => shops.moderateShop(ctx, 'reinstate', decodeInput(input, { shopId: 'Shop' })), wrap);
  }

  @Mutation(() => ShopPayload, { description: 'Close a shop for good, with a reason (OPERATIONS, RISK).' })
  closeShop(@Arg('input', { description: INPUT_DESCRIPTION }) input: ShopModerationInput, @Ctx() ctx: Context): Promise<ShopPayload> {
    return payload(() => shops.moderateShop(ctx, 'close', decodeInput(input, { shopId: 'Shop' })), wrap);
  }

  @Mutation(() => ShopPayload, { description: "Set or clear a shop's own commission rate (staff FINANCE); applies to orders checked out afterwards. Audited." })
  setShopCommissionRate(@Arg('input', { description: INPUT_DESCRIPTION }) input: SetShopCommissionRateInput, @Ctx() ctx: Context): Promise<ShopPayload> {
    return payload(() => shops.setShopCommissionRate(ctx, decodeInput(input, { shopId: 'Shop' })), wrap);
  }

  @FieldResolver(() => [ShopMember], { description: "The shop's team with their roles. Visible to the shop's members and to staff." })
  members(@Root() shop: Shop, @Ctx() ctx: Context): Promise<ShopMember[]> {
    return ctx.loaders.membersByShopId.load(shop.id);
  }

  @FieldResolver(() => [TrainingProgress], { description: 'Each published course with passed / best score. Visible to members and staff.' })
  trainingProgress(@Root() shop: Shop, @Ctx() ctx: Context): Promise<TrainingProgress[]> {
    return trainingProgress(ctx, shop);
  }

  @FieldResolver(() => [ShopInvitation], { description: 'Pending invitations (OWNER).' })
  invitations(@Root() shop: Shop, @Ctx() ctx: Context): Promise<ShopInvitation[]> {
    return ctx.loaders.pendingInvitationsByShopId.load(shop.id);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The agreement version this shop last accepted. Visible to members and staff.' })
  acceptedAgreementVersion(@Root() shop: Shop, @Ctx() ctx: Context): Promise<string | null> {
    return ctx.loaders.acceptedAgreementByShopId.load(shop.id);
  }
}
