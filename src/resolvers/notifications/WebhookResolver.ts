import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { WebhookDelivery, WebhookEvent, WebhookSubscription } from '../../entities';
import * as webhooks from '../../services/notifications';
import { DeleteWebhookSubscriptionPayload, WebhookDeliveryConnection, WebhookSubscriptionInput, WebhookSubscriptionPayload } from '../../schema/notifications/webhooks';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, toGlobalId } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@Resolver(() => WebhookSubscription)
export class WebhookResolver {
  @Query(() => [WebhookSubscription], { description: 'The shop’s webhook subscriptions, oldest first (its OWNER and MANAGER, and staff). Another role is FORBIDDEN; another shop NOT_FOUND.' })
  webhookSubscriptions(@Arg('shopId', () => ID, { description: 'The shop.' }) shopId: string, @Ctx() ctx: Context): Promise<WebhookSubscription[]> {
    return webhooks.webhookSubscriptions(ctx, decodeId('Shop', shopId));
  }

  @Mutation(() => WebhookSubscriptionPayload, {
    description:
      'Subscribe a merchant system to the shop’s events (its OWNER or MANAGER): each event is POSTed as JSON `{ id, type, createdAt, data }`, signed (`X-Signature`), retried with exponential backoff for 24 hours, after which the subscription is disabled and the owner notified. Returns the signing secret, this once. INVALID_INPUT (url, events), WEBHOOK_LIMIT_REACHED (20 a shop).',
  })
  createWebhookSubscription(@Arg('input', { description: INPUT_DESCRIPTION }) input: WebhookSubscriptionInput, @Ctx() ctx: Context): Promise<WebhookSubscriptionPayload> {
    return payload(
      () => webhooks.createWebhookSubscription(ctx, { ...input, shopId: decodeId('Shop', input.shopId) }),
      ({ subscription, secret }) => ({ webhookSubscription: subscription, secret }),
    );
  }

  @Mutation(() => DeleteWebhookSubscriptionPayload, { description: 'Delete a webhook subscription and its delivery log (the shop’s OWNER or MANAGER); nothing more is sent to it.' })
  deleteWebhookSubscription(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<DeleteWebhookSubscriptionPayload> {
    return payload(
      () => webhooks.deleteWebhookSubscription(ctx, decodeId('WebhookSubscription', input.id)),
      (key) => ({ deletedWebhookSubscriptionId: toGlobalId('WebhookSubscription', key) }),
    );
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: 'Its deliveries, newest first: each event’s attempts, last status code, duration and error, and the next retry.' })
  deliveries(@Root() subscription: WebhookSubscription, @Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(webhooks.webhookDeliveries(ctx, subscription, args));
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @FieldResolver(() => String, { description: 'The event’s id, as in the body’s `id` and the `X-Webhook-Id` header: receivers deduplicate on it.' })
  eventId(@Root() delivery: WebhookDelivery): string {
    return webhooks.webhookEventId(delivery.event.id);
  }

  @FieldResolver(() => WebhookEvent, { description: 'The event’s type.' })
  async eventType(@Root() delivery: WebhookDelivery, @Ctx() ctx: Context): Promise<WebhookEvent> {
    const event = delivery.event.type === undefined ? (await ctx.em.populate(delivery, ['event'])).event : delivery.event;
    return event.type as unknown as WebhookEvent;
  }
}
