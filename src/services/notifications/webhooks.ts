import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Config } from '../../config';
import type { Context } from '../../context';
import { keysetClause, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { entitiesWhere, selectRows, rowShape } from '../../db/rows';
import { ShopMemberRole, StaffRole, User, WebhookDelivery, WebhookEvent, WebhookSubscription } from '../../entities';
import { Failure, ForbiddenError, NotFoundError, UserErrorCode } from '../../errors';
import type { Viewer } from '../../viewer';
import { lockShopAsMember } from '../onboarding';
import { recordAudit } from '../platform';
import { isPublicAddress } from './ssrf';

/** Shop roles that keep the shop's webhook subscriptions (and see their delivery logs). */
export const WEBHOOK_ROLES: readonly ShopMemberRole[] = [ShopMemberRole.OWNER, ShopMemberRole.MANAGER];
/** Subscriptions a shop may hold, disabled ones included. */
export const MAX_WEBHOOK_SUBSCRIPTIONS = 20;
/** The longest webhook URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Staff who may read shops' webhook subscriptions (ADMIN too). */
export const WEBHOOK_STAFF: readonly StaffRole[] = [StaffRole.OPERATIONS, StaffRole.RISK];
const WEBHOOK_EVENTS = new Set<string>(Object.values(WebhookEvent));
/**
 * Events whose data only some roles may see through the API: money (settlements, payouts) is the
 * OWNER's and FINANCE's, tickets the OWNER's and CUSTOMER_SERVICE's. Of the roles that manage
 * webhooks (OWNER, MANAGER), only the OWNER may send them to an outside system.
 */
const OWNER_ONLY_EVENTS: ReadonlySet<WebhookEvent> = new Set([WebhookEvent.SETTLEMENT_CLOSED, WebhookEvent.PAYOUT_PAID, WebhookEvent.TICKET_REPLIED]);
/** Hosts an http:// URL may name outside production, for a receiver on the developer's machine. */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export type WebhookAccess = 'ALLOWED' | 'FORBIDDEN' | 'NOT_FOUND';

/**
 * Who may see a shop's webhook subscriptions: staff, and the shop's OWNER and MANAGER members.
 * Another role is FORBIDDEN; to anyone else the shop's subscriptions do not exist (NOT_FOUND).
 */
export async function webhookAccess(viewer: Viewer, shopId: string): Promise<WebhookAccess> {
  // Their URLs may carry tokens of the merchant's systems: staff who look after shops (OPERATIONS, RISK; ADMIN) only.
  if (viewer.hasStaffRole(...WEBHOOK_STAFF)) return 'ALLOWED';
  const role = await viewer.roleIn(shopId);
  if (role === undefined) return 'NOT_FOUND';
  return WEBHOOK_ROLES.includes(role) ? 'ALLOWED' : 'FORBIDDEN';
}

/**
 * What is wrong with a webhook URL, or undefined when it may be used: https only (http to the
 * local machine outside production, for development), at most MAX_WEBHOOK_URL_LENGTH characters,
 * no user name or password in it. In production it may not name a private, loopback or otherwise
 * internal address, nor a host that can only be internal (localhost, a name without a dot, .local,
 * .internal); names are checked again against what they resolve to on every delivery.
 */
export function webhookUrlProblem(config: Pick<Config, 'isProduction'>, raw: string): string | undefined {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return `The URL may be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'Enter an absolute https:// URL';
  }
  // Stored normalised: percent-encoding can make it several times longer than typed.
  if (url.href.length > MAX_WEBHOOK_URL_LENGTH) return `The URL may be at most ${MAX_WEBHOOK_URL_LENGTH} characters once encoded`;
  const localHttp = !config.isProduction && url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !localHttp) return config.isProduction ? 'The URL must use https' : 'The URL must use https (http only to 127.0.0.1 or localhost outside production)';
  if (url.username !== '' || url.password !== '') return 'The URL may not contain a user name or password: authenticate deliveries with the signature';
  if (config.isProduction) {
    const host = url.hostname;
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    if (isIP(bare) !== 0) {
      if (!isPublicAddress(bare)) return 'The URL may not point at a private, loopback or reserved address';
    } else if (!host.includes('.') || /(^|\.)(localhost|local|internal)\.?$/.test(host)) {
      return 'The URL must name a public host';
    }
  }
  return undefined;
}

/** A new signing secret: `whsec_` and 32 random bytes, base64url. */
function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export interface WebhookSubscriptionInput {
  /** Database key of the shop. */
  shopId: string;
  url: string;
  events: WebhookEvent[];
}

/**
 * Subscribes a merchant system to the shop's events (the shop's OWNER or MANAGER). The signing
 * secret is returned here once and never shown again. The shop is locked while the subscriptions
 * are counted, so two requests at once cannot pass MAX_WEBHOOK_SUBSCRIPTIONS.
 */
export async function createWebhookSubscription(ctx: Context, input: WebhookSubscriptionInput): Promise<{ subscription: WebhookSubscription; secret: string }> {
  const url = input.url.trim();
  const urlProblem = webhookUrlProblem(ctx.deps.config, url);
  if (urlProblem) throw new Failure(UserErrorCode.INVALID_INPUT, urlProblem, ['input', 'url']);
  const events = [...new Set(input.events)];
  if (events.length === 0) throw new Failure(UserErrorCode.INVALID_INPUT, 'Choose at least one event type', ['input', 'events']);
  if (events.some((e) => !WEBHOOK_EVENTS.has(e))) throw new Failure(UserErrorCode.INVALID_INPUT, 'Unknown event type', ['input', 'events']);
  return ctx.em.transactional(async (em) => {
    const shop = await lockShopAsMember(ctx, em, input.shopId, WEBHOOK_ROLES);
    if ((await ctx.viewer.roleIn(shop.id)) !== ShopMemberRole.OWNER && events.some((e) => OWNER_ONLY_EVENTS.has(e))) {
      throw new ForbiddenError('Only the shop’s OWNER may subscribe to SETTLEMENT_CLOSED, PAYOUT_PAID and TICKET_REPLIED');
    }
    if ((await em.count(WebhookSubscription, { shop })) >= MAX_WEBHOOK_SUBSCRIPTIONS) {
      throw new Failure(UserErrorCode.WEBHOOK_LIMIT_REACHED, `A shop may have at most ${MAX_WEBHOOK_SUBSCRIPTIONS} webhook subscriptions`);
    }
    const secret = newSigningSecret();
    const subscription = em.create(WebhookSubscription, {
      shop,
      url: new URL(url).href,
      events,
      secret,
      createdBy: em.getReference(User, ctx.viewer.userId!),
      createdAt: ctx.now(),
    });
    await em.flush();
    recordAudit(ctx, em, { action: 'webhookSubscription.create', targetType: 'WebhookSubscription', targetId: subscription.id, after: { shopId: shop.id, url: subscription.url, events } });
    await em.flush();
    return { subscription, secret };
  });
}

/** Deletes a subscription and its delivery log (the shop's OWNER or MANAGER); returns its key. */
export async function deleteWebhookSubscription(ctx: Context, id: string): Promise<string> {
  return ctx.em.transactional(async (em) => {
    const [found] = await selectRows(em, rowShape({ shopId: 'key' }), 'select shop_id as "shopId" from webhook_subscription where id = ?', [id]);
    if (!found) throw new NotFoundError('No such webhook subscription');
    await lockShopAsMember(ctx, em, found.shopId, WEBHOOK_ROLES);
    const [deleted] = await selectRows(em, rowShape({ url: 'text' }), 'delete from webhook_subscription where id = ? returning url', [id]);
    if (!deleted) throw new NotFoundError('No such webhook subscription');
    recordAudit(ctx, em, { action: 'webhookSubscription.delete', targetType: 'WebhookSubscription', targetId: id, before: { shopId: found.shopId, url: deleted.url } });
    await em.flush();
    return id;
  });
}

function refuse(access: WebhookAccess): never {
  throw access === 'FORBIDDEN' ? new ForbiddenError() : new NotFoundError('No such shop');
}

/** The shop's webhook subscriptions, oldest first (staff, the shop's OWNER and MANAGER). */
export async function webhookSubscriptions(ctx: Context, shopId: string): Promise<WebhookSubscription[]> {
  const access = await webhookAccess(ctx.viewer, shopId);
  if (access !== 'ALLOWED') refuse(access);
  return entitiesWhere(ctx.em, WebhookSubscription, 'e.shop_id = ? order by e.id', [shopId]);
}

/** A subscription by key when the viewer may see its shop's webhooks, else null. */
export async function visibleWebhookSubscription(ctx: Context, key: string): Promise<WebhookSubscription | null> {
  const [subscription] = await entitiesWhere(ctx.em, WebhookSubscription, 'e.id = ?', [key]);
  return subscription && (await webhookAccess(ctx.viewer, subscription.shop.id)) === 'ALLOWED' ? subscription : null;
}

/** A delivery by key when the viewer may see its subscription, else null. */
export async function visibleWebhookDelivery(ctx: Context, key: string): Promise<WebhookDelivery | null> {
  const [delivery] = await entitiesWhere(ctx.em, WebhookDelivery, 'e.id = ?', [key]);
  if (!delivery) return null;
  const subscription = await visibleWebhookSubscription(ctx, delivery.subscription.id);
  if (!subscription) return null;
  await ctx.em.populate(delivery, ['event']);
  return delivery;
}

/**
 * A subscription's delivery log, newest first (keyset on id), each with its event loaded (for the
 * event id and type). The subscription was reached through a visible parent.
 */
export async function webhookDeliveries(ctx: Context, subscription: WebhookSubscription, args: PageArgs): Promise<Page<WebhookDelivery>> {
  const window = pageWindow(args, ['id']);
  const { where, orderBy } = keysetClause([{ column: 'e.id', direction: 'desc' }], window);
  const rows = await entitiesWhere(ctx.em, WebhookDelivery, `e.subscription_id = ?${where ? ` and ${where.sql}` : ''} order by e.id ${orderBy['e.id']} limit ${window.limit}`, [
    subscription.id,
    ...(where?.params ?? []),
  ]);
  await ctx.em.populate(rows, ['event']);
  return page(rows, window, (d) => [d.id], () => ctx.em.count(WebhookDelivery, { subscription: subscription.id }));
}

/** The id a webhook's receivers deduplicate on (the body's `id`, the X-Webhook-Id header): stable for the event. */
export function webhookEventId(eventKey: string): string {
  return `evt_${eventKey}`;
}
