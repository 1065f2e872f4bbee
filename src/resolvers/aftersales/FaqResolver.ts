import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { Faq } from '../../entities';
import * as aftersales from '../../services/aftersales';
import { CreateFaqInput, DeleteFaqPayload, FaqPayload, UpdateFaqInput } from '../../schema/aftersales/tickets';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, toGlobalId } from '../../schema/shared/globalId';
import { payload } from '../shared/payload';

const wrap = (faq: Faq) => ({ faq });

@Resolver(() => Faq)
export class FaqResolver {
  @Query(() => [Faq], {
    description: 'The FAQ (常見問題), for anyone: entries matching `search` (Chinese or English; best matches first), in `category`, or every entry by category and position. At most 100.',
  })
  faqs(
    @Arg('search', () => String, { nullable: true, description: 'Words to look for in questions, categories and answers, e.g. "refund" or "退款" (at most 100 characters).' }) search: string | null,
    @Arg('category', () => String, { nullable: true, description: 'Only entries of this category (exact).' }) category: string | null,
    @Ctx() ctx: Context,
  ): Promise<Faq[]> {
    return aftersales.listFaqs(ctx, { search, category });
  }

  @Mutation(() => FaqPayload, { description: 'Add an entry to the FAQ (staff CUSTOMER_SERVICE).' })
  createFaq(@Arg('input', { description: INPUT_DESCRIPTION }) input: CreateFaqInput, @Ctx() ctx: Context): Promise<FaqPayload> {
    return payload(() => aftersales.createFaq(ctx, input), wrap);
  }

  @Mutation(() => FaqPayload, { description: 'Change a FAQ entry (staff CUSTOMER_SERVICE).' })
  updateFaq(@Arg('input', { description: INPUT_DESCRIPTION }) input: UpdateFaqInput, @Ctx() ctx: Context): Promise<FaqPayload> {
    return payload(() => aftersales.updateFaq(ctx, decodeId('Faq', input.id), input), wrap);
  }

  @Mutation(() => DeleteFaqPayload, { description: 'Delete a FAQ entry (staff CUSTOMER_SERVICE).' })
  deleteFaq(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<DeleteFaqPayload> {
    return payload(() => aftersales.deleteFaq(ctx, decodeId('Faq', input.id)), (key) => ({ deletedFaqId: toGlobalId('Faq', key) }));
  }
}
