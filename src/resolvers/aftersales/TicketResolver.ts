import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Order, Product, Shop, Ticket, TicketMessage, User } from '../../entities';
import * as aftersales from '../../services/aftersales';
import {
  AssignTicketInput,
  OpenTicketInput,
  RateTicketInput,
  ResolveTicketInput,
  ServiceMetrics,
  TicketConnection,
  TicketFilter,
  TicketPayload,
  TicketReplyInput,
  TicketSatisfaction,
} from '../../schema/aftersales/tickets';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class TicketsArgs extends ConnectionArgs {
  @Field(() => TicketFilter, { nullable: true, description: 'Filters.' })
  filter?: TicketFilter | null;
}

const wrap = (ticket: Ticket) => ({ ticket });

@Resolver(() => Ticket)
export class TicketResolver {
  @Query(() => Ticket, { nullable: true, description: 'One ticket: for its requester, staff CUSTOMER_SERVICE and the OWNER and CUSTOMER_SERVICE members of the shop it names; null for anyone else.' })
  ticket(@Arg('id', () => ID, { description: 'Global ID.' }) id: string, @Ctx() ctx: Context): Promise<Ticket | null> {
    return aftersales.visibleTicket(ctx, decodeId('Ticket', id));
  }

  @Query(() => TicketConnection, { description: 'The tickets you opened, newest first.' })
  myTickets(@Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(aftersales.myTickets(ctx, args));
  }

  @Query(() => TicketConnection, {
    description: 'Tickets, newest first: every ticket for staff CUSTOMER_SERVICE; a shop’s OWNER and CUSTOMER_SERVICE members see the tickets naming their shops (`filter.shopId` narrows to one; another shop is NOT_FOUND).',
  })
  tickets(@Args() args: TicketsArgs, @Ctx() ctx: Context) {
    return connection(aftersales.listTickets(ctx, { ...args, filter: args.filter && decodeInput(args.filter, { assigneeId: 'User', shopId: 'Shop' }) }));
  }

  @Query(() => ServiceMetrics, { description: 'Customer service figures of the tickets opened in [from, to) (staff CUSTOMER_SERVICE): first-response percentiles, breaches, resolutions and satisfaction. At most two years.' })
  serviceMetrics(
    @Arg('from', () => Date, { description: 'Start of the period (inclusive).' }) from: Date,
    @Arg('to', () => Date, { description: 'End of the period (exclusive), after `from` and at most two years later.' }) to: Date,
    @Ctx() ctx: Context,
  ): Promise<ServiceMetrics> {
    return aftersales.serviceMetrics(ctx, { from, to });
  }

  @Mutation(() => TicketPayload, { description: 'Open a ticket with customer service (any signed-in user): a question, a complaint about a shop, product or delivery, or feedback. The body is the first message; the first response is due TICKET_FIRST_RESPONSE_HOURS later.' })
  openTicket(@Arg('input', { description: INPUT_DESCRIPTION }) input: OpenTicketInput, @Ctx() ctx: Context): Promise<TicketPayload> {
    return payload(() => aftersales.openTicket(ctx, decodeInput(input, { orderId: 'Order', shopId: 'Shop', productId: 'Product' })), wrap);
  }

  @Mutation(() => TicketPayload, {
    description: 'Write to a ticket: its requester, staff CUSTOMER_SERVICE, or the named shop’s OWNER and CUSTOMER_SERVICE members. Customer service’s or the shop’s reply moves it to IN_PROGRESS (or WAITING_ON_CUSTOMER); the requester’s moves WAITING_ON_CUSTOMER back to IN_PROGRESS and reopens a RESOLVED ticket.',
  })
  replyToTicket(@Arg('input', { description: INPUT_DESCRIPTION }) input: TicketReplyInput, @Ctx() ctx: Context): Promise<TicketPayload> {
    return payload(() => aftersales.replyToTicket(ctx, { ...input, ticketId: decodeId('Ticket', input.ticketId) }), wrap);
  }

  @Mutation(() => TicketPayload, { description: 'Assign a ticket to a customer service agent (staff CUSTOMER_SERVICE).' })
  assignTicket(@Arg('input', { description: INPUT_DESCRIPTION }) input: AssignTicketInput, @Ctx() ctx: Context): Promise<TicketPayload> {
    return payload(() => aftersales.assignTicket(ctx, { ticketId: decodeId('Ticket', input.ticketId), assigneeId: decodeId('User', input.assigneeId) }), wrap);
  }

  @Mutation(() => TicketPayload, { description: 'Resolve a ticket with the resolution told to the requester (staff CUSTOMER_SERVICE): RESOLVED.' })
  resolveTicket(@Arg('input', { description: INPUT_DESCRIPTION }) input: ResolveTicketInput, @Ctx() ctx: Context): Promise<TicketPayload> {
    return payload(() => aftersales.resolveTicket(ctx, { ...input, ticketId: decodeId('Ticket', input.ticketId) }), wrap);
  }

  @Mutation(() => TicketPayload, { description: 'Rate a RESOLVED ticket you opened, once (satisfaction survey): it closes.' })
  rateTicket(@Arg('input', { description: INPUT_DESCRIPTION }) input: RateTicketInput, @Ctx() ctx: Context): Promise<TicketPayload> {
    return payload(() => aftersales.rateTicket(ctx, { ...input, ticketId: decodeId('Ticket', input.ticketId) }), wrap);
  }

  @FieldResolver(() => User, { description: 'Who opened it.' })
  async requester(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<User> {
    return (await ctx.loaders.userById.load(ticket.requester.id))!;
  }

  @FieldResolver(() => Order, { nullable: true, description: 'The requester’s order it is about.' })
  order(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<Order | null> {
    return ticket.order ? ctx.loaders.orderById.load(ticket.order.id) : Promise.resolve(null);
  }

  @FieldResolver(() => Shop, { nullable: true, description: 'The shop it names: given, or that of its order or product.' })
  shop(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<Shop | null> {
    return ticket.shop ? ctx.loaders.shopById.load(ticket.shop.id) : Promise.resolve(null);
  }

  @FieldResolver(() => Product, { nullable: true, description: 'The product it is about.' })
  product(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<Product | null> {
    return ticket.product ? ctx.loaders.productById.load(ticket.product.id) : Promise.resolve(null);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The customer service agent it is assigned to.' })
  assignee(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<User | null> {
    return ticket.assignee ? ctx.loaders.userById.load(ticket.assignee.id) : Promise.resolve(null);
  }

  @FieldResolver(() => [TicketMessage], { description: 'Everything the parties wrote, oldest first; the first is the opening body.' })
  messages(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<TicketMessage[]> {
    return ctx.loaders.ticketMessagesByTicketId.load(ticket.id);
  }

  @FieldResolver(() => Boolean, { description: 'Nobody has answered yet and the first response was due by now.' })
  overdue(@Root() ticket: Ticket, @Ctx() ctx: Context): boolean {
    return aftersales.isOverdue(ticket, ctx.now());
  }

  @FieldResolver(() => TicketSatisfaction, { nullable: true, description: 'The requester’s rating, once given (it closed the ticket).' })
  satisfaction(@Root() ticket: Ticket): TicketSatisfaction | null {
    return ticket.satisfactionScore == null ? null : { score: ticket.satisfactionScore, comment: ticket.satisfactionComment ?? null, at: ticket.ratedAt! };
  }
}

@Resolver(() => TicketMessage)
export class TicketMessageResolver {
  @FieldResolver(() => User, { description: 'Who wrote it.' })
  async author(@Root() message: TicketMessage, @Ctx() ctx: Context): Promise<User> {
    return (await ctx.loaders.userById.load(message.author.id))!;
  }
}
