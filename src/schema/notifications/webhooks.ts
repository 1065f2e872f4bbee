import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { WebhookDelivery, WebhookEvent, WebhookSubscription } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';

@InputType({ description: 'Subscribe a merchant system to the shop’s events.' })
export class WebhookSubscriptionInput {
  @Field(() => ID, { description: 'The shop (you are its OWNER or MANAGER).' })
  shopId!: string;

  @Field({
    description:
      'Where events are POSTed: an https URL of at most 2,048 characters without a user name or password (http://127.0.0.1 and http://localhost are accepted outside production). In production it must name a public host: private, loopback and other internal addresses are refused, here and after DNS resolution on every delivery.',
  })
  url!: string;

  @Field(() => [WebhookEvent], { description: 'The event types to deliver, at least one.' })
  events!: WebhookEvent[];
}

@ObjectType({ description: 'Result of `createWebhookSubscription`.' })
export class WebhookSubscriptionPayload {
  @Field(() => WebhookSubscription, { nullable: true, description: 'The subscription; null when `errors` is not empty.' })
  webhookSubscription?: WebhookSubscription | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The signing secret (`whsec_…`), shown this once: keep it. Each delivery carries `X-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with this whole string>`. Null when `errors` is not empty.',
  })
  secret?: string | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `deleteWebhookSubscription`.' })
export class DeleteWebhookSubscriptionPayload {
  @Field(() => ID, { nullable: true, description: 'Global ID of the deleted subscription; null when `errors` is not empty.' })
  deletedWebhookSubscriptionId?: string | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

export const { ConnectionType: WebhookDeliveryConnection } = connectionTypes(WebhookDelivery);
