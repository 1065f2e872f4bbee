import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../context';
import { Notification, Order, OrderEvent } from '../../entities';
import * as feeds from '../../realtime/feeds';
import type { LiveContext } from '../../realtime/feeds';
import type { NotificationLiveMessage, OrderLiveMessage } from '../../realtime/messages';
import { decodeId } from '../../schema/shared/globalId';

/** Live feeds over graphql-ws (src/realtime/ws.ts). Each event is resolved like a query's answer. */
@Resolver()
export class SubscriptionResolver {
  @Subscription(() => Notification, {
    description: 'Your new notifications, as they reach your inbox.',
    subscribe: ({ context }) => feeds.notificationFeed(context as LiveContext),
  })
  notificationAdded(@Root() message: NotificationLiveMessage, @Ctx() ctx: Context): Notification {
    return feeds.notificationOf(ctx, message);
  }

  @Subscription(() => OrderEvent, {
    description: 'A shop’s order events as they happen: new paid orders, cancellations, after-sale requests … (its members and order staff).',
    subscribe: ({ args, context }) => feeds.shopOrderFeed(context as LiveContext, decodeId('Shop', String(args.shopId))),
  })
  shopOrderEvents(@Arg('shopId', () => ID, { description: 'Global ID of the shop.' }) _shopId: string, @Root() message: OrderLiveMessage, @Ctx() ctx: Context): OrderEvent {
    return feeds.orderEventOf(ctx, message);
  }

  @Subscription(() => Order, {
    description: 'The order, as it is now, each time its status changes (its buyer, its shop’s members and order staff).',
    subscribe: ({ args, context }) => feeds.orderStatusFeed(context as LiveContext, decodeId('Order', String(args.orderId))),
  })
  orderStatusChanged(@Arg('orderId', () => ID, { description: 'Global ID of the order.' }) _orderId: string, @Root() message: OrderLiveMessage, @Ctx() ctx: Context): Promise<Order> {
    return feeds.orderOf(ctx, message);
  }
}

@Resolver(() => OrderEvent)
export class OrderEventResolver {
  @FieldResolver(() => ID, { description: 'Opaque ID of the event: the same each time a live feed redelivers it.' })
  id(@Root() event: OrderEvent): string {
    return feeds.orderEventId(event);
  }

  @FieldResolver(() => Order, { description: 'The order it happened to.' })
  order(@Root() event: OrderEvent, @Ctx() ctx: Context): Promise<Order> {
    return feeds.orderOfEvent(ctx, event);
  }
}
