import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../context';
import { unmanaged } from '../db/rows';
import { Notification, type Order, OrderEvent } from '../entities';
import { NotFoundError, UnauthenticatedError } from '../errors';
import { createLoaders, type Loaders } from '../loaders';
import { visibleOrder } from '../services/orders';
import { ORDER_STAFF } from '../services/shared';
import { toGlobalId } from '../schema/shared/globalId';
import type { BoundedQueue } from './bounded';
import type { LiveHub } from './hub';
import type { LiveMessage, NotificationLiveMessage, OrderLiveMessage } from './messages';

/**
 * The three live feeds: who may open which, what each carries, and how a bus message becomes the
 * GraphQL object sent. Access is checked when a subscription starts: a feed the viewer may not see
 * ends with NOT_FOUND before any event is sent, as a query of another shop's data does. While it
 * runs, the socket server re-checks it periodically (src/realtime/ws.ts, ACCESS_RECHECK_INTERVAL_MS)
 * and at once when the viewer's access changes (an `access` bus message), through the guard it
 * registers here, and ends it with the same NOT_FOUND once the viewer lost it (a member removed
 * from the shop). No event runs an access query of its own: the shield tree's
 * checks on each event read the viewer's memberships, loaded once per re-check, not per event.
 */

/**
 * A running feed's access, as the socket server re-checks it: whether the viewer of `ctx` (fresh:
 * its session, roles and memberships as they are now) may still watch, and how to end the feed
 * when not.
 */
export interface FeedGuard {
  allowed(ctx: Context): Promise<boolean>;
  /** Ends the feed with NOT_FOUND (what its subscribe would now answer). */
  revoke(): void;
  /** Whether the feed has ended (then the guard is dropped). */
  readonly ended: boolean;
}

/** What a subscription's context carries besides a request's: this process's hub and the socket's policies. */
export interface LiveFeeds {
  hub: LiveHub;
  /** Told when one of the socket's subscriptions overflows. */
  onOverflow(): void;
  /** Told of a started feed whose access depends on more than the session (a shop's, an order's): re-checked while it runs. */
  guard(guard: FeedGuard): void;
}

export type LiveContext = Context & { live?: LiveFeeds };

function feedsOf(ctx: LiveContext): LiveFeeds {
  // Over HTTP, Apollo refuses subscription operations before they run; only the WebSocket sets this.
  if (!ctx.live) throw new Error('subscriptions run over the WebSocket transport only');
  return ctx.live;
}

function signedInUserId(ctx: Context): string {
  const userId = ctx.viewer.userId;
  if (!userId) throw new UnauthenticatedError();
  return userId;
}

function watch(ctx: LiveContext, topic: string, accept?: (message: LiveMessage) => boolean): BoundedQueue<LiveMessage> {
  const live = feedsOf(ctx);
  return live.hub.subscribe(topic, { accept, onOverflow: () => live.onOverflow() });
}

/**
 * A feed that only those `allowed` may watch: refused with `notFound` at subscribe time, and ended
 * with it once a re-check finds the viewer no longer allowed.
 */
async function guarded(ctx: LiveContext, topic: string, allowed: (ctx: Context) => Promise<boolean>, notFound: () => NotFoundError, accept?: (message: LiveMessage) => boolean): Promise<AsyncIterableIterator<LiveMessage>> {
  signedInUserId(ctx);
  const live = feedsOf(ctx);
  if (!(await allowed(ctx))) throw notFound();
  const queue = watch(ctx, topic, accept);
  live.guard({
    allowed,
    revoke: () => queue.fail(notFound()),
    get ended() {
      return queue.ended;
    },
  });
  return queue;
}

/** The viewer's own new notifications: theirs as long as their session lasts, so nothing to re-check but the session. */
export function notificationFeed(ctx: LiveContext): AsyncIterableIterator<LiveMessage> {
  return watch(ctx, `user:${signedInUserId(ctx)}`);
}

/** Whether the viewer may watch the shop `shopKey`'s order events: its members (any role) and order staff. */
async function maySeeShopOrders(ctx: Context, shopKey: string): Promise<boolean> {
  return ctx.viewer.hasStaffRole(...ORDER_STAFF) || (await ctx.viewer.roleIn(shopKey)) !== undefined;
}

/** A shop's order events: its members (any role) and order staff; NOT_FOUND for anyone else. */
export function shopOrderFeed(ctx: LiveContext, shopKey: string): Promise<AsyncIterableIterator<LiveMessage>> {
  return guarded(ctx, `shop:${shopKey}`, (c) => maySeeShopOrders(c, shopKey), () => new NotFoundError('No Shop with this ID'));
}

/** An order's status changes: its buyer, its shop's members and order staff; NOT_FOUND for anyone else. */
export function orderStatusFeed(ctx: LiveContext, orderKey: string): Promise<AsyncIterableIterator<LiveMessage>> {
  return guarded(
    ctx,
    `order:${orderKey}`,
    async (c) => (await visibleOrder(c, orderKey)) !== null,
    () => new NotFoundError('No Order with this ID'),
    (m) => m.t === 'order' && m.status !== null,
  );
}

/**
 * A fresh unit of work for the event about to be resolved: a subscription's context lives as long
 * as the subscription, and each event must read the database as it is now, not as the first one
 * found it (nor keep every entity it ever loaded).
 */
function freshUnitOfWork(ctx: Context): void {
  const root = rootEmOf(ctx);
  let em: EntityManager | undefined;
  let loaders: Loaders | undefined;
  // Made when first used: most events select nothing that loads (the order is the message's
  // shared snapshot), and a thousand subscribers need not each build an identity map and a set
  // of loaders per event.
  Object.defineProperty(ctx, 'em', {
    configurable: true,
    enumerable: true,
    get: () => (em ??= root.fork()),
    set: (value: EntityManager) => (em = value),
  });
  Object.defineProperty(ctx, 'loaders', {
    configurable: true,
    enumerable: true,
    get: () => (loaders ??= createLoaders(ctx.em, () => ctx.deps.clock.now())),
    set: (value: Loaders) => (loaders = value),
  });
}

/** The EntityManager a subscription's context started with: each event's fresh one is forked from it, and render-only entities are mapped with it. */
const roots = new WeakMap<Context, EntityManager>();
function rootEmOf(ctx: Context): EntityManager {
  let root = roots.get(ctx);
  if (!root) {
    root = ctx.em;
    roots.set(ctx, root);
  }
  return root;
}

/** The notification a message announces, as `myNotifications` would show it. */
export function notificationOf(ctx: Context, m: NotificationLiveMessage): Notification {
  return unmanaged(rootEmOf(ctx), Notification, {
    id: m.id,
    user_id: m.userId,
    event_id: m.eventId,
    kind: m.kind,
    title: m.title,
    body: m.body,
    link: m.link,
    read_at: null,
    created_at: m.createdAt,
  });
}

/** Order events built from live messages, with the message each came from: their ID names the delivered event, not a timeline row. */
const delivered = new WeakMap<OrderEvent, OrderLiveMessage>();

/**
 * One load of the order a live message is about, per process, shared by every subscriber the
 * message reaches (the hub hands each the same message object): a thousand merchants watching a
 * shop cost one query per event, not a thousand. Who may see it was settled when each subscribed,
 * and is re-checked periodically (ws.ts); the message names only orders of the topic it came on.
 */
const snapshots = new WeakMap<OrderLiveMessage, Promise<Order | null>>();

function orderSnapshot(ctx: Context, m: OrderLiveMessage): Promise<Order | null> {
  let pending = snapshots.get(m);
  if (!pending) {
    const em = rootEmOf(ctx).fork();
    pending = createLoaders(em, () => ctx.deps.clock.now()).orderById.load(m.orderId);
    snapshots.set(m, pending);
  }
  return pending;
}

/** The order event a message announces; its `order`, if selected, is the message's shared snapshot. */
export function orderEventOf(ctx: Context, m: OrderLiveMessage): OrderEvent {
  freshUnitOfWork(ctx);
  const event = unmanaged(rootEmOf(ctx), OrderEvent, { id: m.eventId, order_id: m.orderId, type: m.type, status: m.status, note: m.note, actor_id: null, at: m.at });
  delivered.set(event, m);
  return event;
}

/**
 * The opaque ID of an order event. A timeline row (`Order.events`) and a live event
 * (`shopOrderEvents`, keyed by the outbox event, the same on every redelivery) are different
 * key spaces, so their IDs differ in type and never collide in a client's cache.
 */
export function orderEventId(event: OrderEvent): string {
  return toGlobalId(delivered.has(event) ? 'LiveOrderEvent' : 'OrderEvent', event.id);
}

/** The order a message is about, as it is after the change (the message's shared snapshot). */
export async function orderOf(ctx: Context, m: OrderLiveMessage): Promise<Order> {
  freshUnitOfWork(ctx);
  const order = await orderSnapshot(ctx, m);
  if (!order) throw new NotFoundError('No Order with this ID');
  return order;
}

/** An order event's order (its timeline's owner, or the order a live event is about). */
export async function orderOfEvent(ctx: Context, event: OrderEvent): Promise<Order> {
  const message = delivered.get(event);
  const order = message ? await orderSnapshot(ctx, message) : await ctx.loaders.orderById.load(event.order.id);
  if (!order) throw new NotFoundError('No Order with this ID');
  return order;
}
