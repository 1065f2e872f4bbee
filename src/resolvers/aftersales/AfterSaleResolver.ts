import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { AfterSaleCase, AfterSaleCaseLine, AfterSaleEvent, AfterSaleMessage, Order, OrderLine, Refund, ShippingAddress } from '../../entities';
import * as aftersales from '../../services/aftersales';
import { caseResendAddress, type ShippingAddressView } from '../../services/risk';
import { money } from '../../services/shared';
import { AfterSaleAction } from '../../schema/aftersales/actions';
import {
  AfterSaleCaseConnection,
  AfterSaleCasePayload,
  AfterSaleFilter,
  ArbitrateInput,
  CaseMessageInput,
  ConfirmReturnInput,
  EscalateInput,
  RequestAfterSaleInput,
  ResendInput,
  RespondAfterSaleInput,
  ReturnShipmentInput,
} from '../../schema/aftersales/cases';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class ShopCasesArgs extends ConnectionArgs {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field(() => AfterSaleFilter, { nullable: true, description: 'Filters.' })
  filter?: AfterSaleFilter | null;
}

const wrap = (afterSaleCase: AfterSaleCase) => ({ afterSaleCase });
const caseKey = (id: string) => decodeId('AfterSaleCase', id);

@Resolver(() => AfterSaleCase)
export class AfterSaleResolver {
  @Query(() => AfterSaleCase, { nullable: true, description: 'One after-sale case: for its buyer, its shop’s members and staff CUSTOMER_SERVICE; null for anyone else.' })
  afterSaleCase(@Arg('id', () => ID, { description: 'Global ID.' }) id: string, @Ctx() ctx: Context): Promise<AfterSaleCase | null> {
    return aftersales.visibleCase(ctx, caseKey(id));
  }

  @Query(() => AfterSaleCaseConnection, { description: 'The viewer’s own cases, newest first.' })
  myAfterSaleCases(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(aftersales.myAfterSaleCases(ctx, args));
  }

  @Query(() => AfterSaleCaseConnection, { description: 'A shop’s cases, newest first: its OWNER, MANAGER and CUSTOMER_SERVICE members and staff CUSTOMER_SERVICE.' })
  shopAfterSaleCases(@Args() args: ShopCasesArgs, @Ctx() ctx: Context) {
    return connection(aftersales.shopAfterSaleCases(ctx, decodeId('Shop', args.shopId), args));
  }

  @Query(() => AfterSaleCaseConnection, { description: 'Escalated cases waiting for a ruling, oldest escalation first (staff CUSTOMER_SERVICE).' })
  arbitrationQueue(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(aftersales.arbitrationQueue(ctx, args));
  }

  @Mutation(() => AfterSaleCasePayload, { description: 'The buyer opens a case (REQUESTED): the merchant answers within AFTER_SALE_RESPONSE_HOURS or it is approved for them.' })
  requestAfterSale(@Arg('input', { description: INPUT_DESCRIPTION }) input: RequestAfterSaleInput, @Ctx() ctx: Context): Promise<AfterSaleCasePayload> {
    return payload(
      () =>
        aftersales.requestAfterSale(ctx, {
          ...input,
          orderId: decodeId('Order', input.orderId),
          lines: input.lines.map((l) => ({ orderLineId: decodeId('OrderLine', l.orderLineId), quantity: l.quantity })),
        }),
      wrap,
    );
  }

  @Mutation(() => AfterSaleCasePayload, { description: 'The merchant (OWNER, MANAGER, CUSTOMER_SERVICE) approves or rejects a REQUESTED case.' })
  respondAfterSale(@Arg('input', { description: INPUT_DESCRIPTION }) input: RespondAfterSaleInput, @Ctx() ctx: Context): Promise<AfterSaleCasePayload> {
    return payload(() => aftersales.respondAfterSale(ctx, { ...input, caseId: caseKey(input.caseId) }), wrap);
  }

  @Mutation(() => AfterSaleCasePayload, { description: 'The buyer ships an approved return: AWAITING_RETURN → RETURN_SHIPPED.' })
  submitReturnShipment(@Arg('input', { description: INPUT_DESCRIPTION }) input: ReturnShipmentInput, @Ctx() ctx: Context): Promise<AfterSaleCasePayload> {
    return payload(() => aftersales.submitReturnShipment(ctx, { ...input, caseId: caseKey(input.caseId) }), wrap);
  }

  @Mutation(() => AfterSaleCasePayload, { description: 'The merchant confirms the return arrived: RECEIVED (restocked if asked); a RETURN_AND_REFUND is refunded at once (REFUNDING).' })
  confirmReturnReceived(@Arg('input', { description: INPUT_DESCRIPTION }) input: ConfirmReturnInput, @Ctx() ctx: Context): Promise<AfterSaleCasePayload> {
    return payload(() => aftersales.confirmReturnReceived(ctx, { ...input, caseId: caseKey(input.caseId) }), wrap);
  }

  @Mutation(() => AfterSaleCasePayload, { description: 'The merchant ships the replacement (EXCHANGE) or the repaired goods (REPAIR): RECEIVED → RESENT.' })
  resendAfterSale(@Arg('input', { description: INPUT_DESCRIPTION }) input: ResendInput, @Ctx() ctx: Context): Promise<AfterSaleCasePayload> {
    return payload(() => aftersales.resendAfterSale(ctx, { ...input, caseId: caseKey(input.caseId) }), wrap);
  }

  @Mutation(() => AfterSaleCasePayload, { description: 'The buyer confirms the replacement or repaired goods arrived: CLOSED, REPLACED or REPAIRED.' })
  confirmAfterSaleReceipt(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<AfterSaleCasePayload> {
    return payload(() => aftersales.confirmAfterSaleReceipt(ctx, caseKey(input.id)), wrap);
  }

  @Mutation(() => AfterSaleCasePayload, { description: 'The buyer (a REJECTED case) or either party (a stuck one) takes the case to platform arbitration.' })
  escalateAfterSale(@Arg('input', { description: INPUT_DESCRIPTION }) input: EscalateInput, @Ctx() ctx: Context): Promise<AfterSaleCasePayload> {
    return payload(() => aftersales.escalateAfterSale(ctx, { ...input, caseId: caseKey(input.caseId) }), wrap);
  }

  @Mutation(() => AfterSaleCasePayload, { description: 'Staff CUSTOMER_SERVICE rule on an escalated case; binding and audited: FOR_BUYER refunds (REFUNDING), FOR_MERCHANT closes it REJECTED.' })
  arbitrateAfterSale(@Arg('input', { description: INPUT_DESCRIPTION }) input: ArbitrateInput, @Ctx() ctx: Context): Promise<AfterSaleCasePayload> {
    return payload(() => aftersales.arbitrateAfterSale(ctx, { ...input, caseId: caseKey(input.caseId) }), wrap);
  }

  @Mutation(() => AfterSaleCasePayload, { description: 'The buyer withdraws the case (before a refund or a return to them is under way): CLOSED, WITHDRAWN.' })
  withdrawAfterSale(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<AfterSaleCasePayload> {
    return payload(() => aftersales.withdrawAfterSale(ctx, caseKey(input.id)), wrap);
  }

  @Mutation(() => AfterSaleCasePayload, { description: 'A message in the case’s thread from the buyer, the merchant or staff.' })
  addAfterSaleMessage(@Arg('input', { description: INPUT_DESCRIPTION }) input: CaseMessageInput, @Ctx() ctx: Context): Promise<AfterSaleCasePayload> {
    return payload(() => aftersales.addAfterSaleMessage(ctx, { ...input, caseId: caseKey(input.caseId) }), wrap);
  }

  @FieldResolver(() => Order, { description: 'The order.' })
  async order(@Root() c: AfterSaleCase, @Ctx() ctx: Context): Promise<Order> {
    return (await ctx.loaders.orderById.load(c.order.id))!;
  }

  @FieldResolver(() => ShippingAddress, {
    nullable: true,
    description:
      'EXCHANGE and REPAIR: where the shop sends the replacement or repaired goods (the order’s delivery address); null for other cases. In full to the buyer, to the shop’s OWNER, MANAGER and CUSTOMER_SERVICE members while the resend is theirs to make (RECEIVED), and to staff RISK and CUSTOMER_SERVICE (audited as "order.viewPersonalData"); masked otherwise, like `Order.shippingAddress`.',
  })
  resendAddress(@Root() c: AfterSaleCase, @Ctx() ctx: Context): Promise<ShippingAddressView | null> {
    return caseResendAddress(ctx, c);
  }

  @FieldResolver(() => [AfterSaleCaseLine], { description: 'The order lines and units it covers.' })
  lines(@Root() c: AfterSaleCase, @Ctx() ctx: Context): Promise<AfterSaleCaseLine[]> {
    return ctx.loaders.caseLinesByCaseId.load(c.id);
  }

  @FieldResolver(() => Money, { description: 'What it refunds (or refunded): asked by the buyer, or set by the ruling; zero for an EXCHANGE or REPAIR without one.' })
  refundAmount(@Root() c: AfterSaleCase, @Ctx() ctx: Context): Money {
    return money(c.refundAmount, ctx.deps.config.currency);
  }

  @FieldResolver(() => Refund, { nullable: true, description: 'The refund created for it, through the order’s payment.' })
  refund(@Root() c: AfterSaleCase, @Ctx() ctx: Context): Promise<Refund | null> | null {
    return c.refund ? ctx.loaders.refundById.load(c.refund.id) : null;
  }

  @FieldResolver(() => [AfterSaleMessage], { description: 'The thread, oldest first.' })
  messages(@Root() c: AfterSaleCase, @Ctx() ctx: Context): Promise<AfterSaleMessage[]> {
    return ctx.loaders.caseMessagesByCaseId.load(c.id);
  }

  @FieldResolver(() => [AfterSaleEvent], { description: 'The timeline, oldest first.' })
  events(@Root() c: AfterSaleCase, @Ctx() ctx: Context): Promise<AfterSaleEvent[]> {
    return ctx.loaders.caseEventsByCaseId.load(c.id);
  }

  @FieldResolver(() => [AfterSaleAction], { description: 'What the viewer may do next.' })
  nextActions(@Root() c: AfterSaleCase, @Ctx() ctx: Context): Promise<AfterSaleAction[]> {
    return aftersales.caseNextActions(ctx, c);
  }
}

@Resolver(() => AfterSaleCaseLine)
export class AfterSaleCaseLineResolver {
  @FieldResolver(() => OrderLine, { description: 'The order line.' })
  async orderLine(@Root() line: AfterSaleCaseLine, @Ctx() ctx: Context): Promise<OrderLine> {
    return (await ctx.loaders.orderLineById.load(line.orderLine.id))!;
  }
}

@Resolver(() => AfterSaleMessage)
export class AfterSaleMessageResolver {
  @FieldResolver(() => String, { description: 'The author’s display name.' })
  async author(@Root() m: AfterSaleMessage, @Ctx() ctx: Context): Promise<string> {
    return (await ctx.loaders.userById.load(m.author.id))?.displayName ?? '';
  }
}

@Resolver(() => Order)
export class OrderCasesResolver {
  @FieldResolver(() => [AfterSaleCase], { description: 'Its after-sale cases, oldest first: for the buyer, the shop’s members and staff CUSTOMER_SERVICE (other order staff get FORBIDDEN).' })
  afterSaleCases(@Root() order: Order, @Ctx() ctx: Context): Promise<AfterSaleCase[]> {
    return aftersales.orderCases(ctx, order);
  }
}
