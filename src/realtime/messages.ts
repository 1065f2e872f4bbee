import type { Logger } from 'pino';

/**
 * What the live bus carries between processes: small JSON facts, database keys and ISO times,
 * never entities. A subscriber turns them into GraphQL objects (loading fresh data where needed).
 */

/** Something happened to an order: its shop's feed and the order's own watchers hear of it. */
export interface OrderLiveMessage {
  t: 'order';
  /** The outbox event's key: the same event delivered twice (dispatch is at least once) has the same one. */
  eventId: string;
  /** An OrderEventType. */
  type: string;
  orderId: string;
  shopId: string;
  buyerId: string;
  /** The OrderStatus after the event; null for updates that change none (tracking, an after-sale request). */
  status: string | null;
  note: string | null;
  /** ISO-8601. */
  at: string;
}

/** A notification row was written to a user's inbox. */
export interface NotificationLiveMessage {
  t: 'notification';
  userId: string;
  /** The notification's key. */
  id: string;
  /** A NotificationKind. */
  kind: string;
  title: string;
  body: string;
  link: string | null;
  /** ISO-8601. */
  createdAt: string;
  /** The outbox event it came from. */
  eventId: string;
}

/**
 * Sessions of a user ended (logout, password change or reset, a reused refresh token): every
 * process closes the user's sockets signed in with one of them, with 4401, at once.
 */
export interface RevokeLiveMessage {
  t: 'revoke';
  userId: string;
  /** The sessions (auth_session keys, UUIDs) that ended; absent: every session of the user. At most MAX_REVOKED_SESSIONS. */
  sessionIds?: string[];
}

/**
 * What the user `userId` may see changed (removed from a shop, a shop role or staff roles changed):
 * every process re-checks the access of the user's open feeds at once, ending those now refused
 * with NOT_FOUND, rather than at the next periodic re-check.
 */
export interface AccessChangedLiveMessage {
  t: 'access';
  userId: string;
}

export type LiveMessage = OrderLiveMessage | NotificationLiveMessage | RevokeLiveMessage | AccessChangedLiveMessage;

/** Session keys one revoke message names at most (about 4 kB): more are sent as several messages. */
export const MAX_REVOKED_SESSIONS = 100;

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; Redis takes the same bound, so both buses behave alike. */
export const MAX_MESSAGE_BYTES = 7999;

/** The wire form of a message. A message too large to send is a programming error: it throws. */
export function encodeMessage(message: LiveMessage): string {
  const json = JSON.stringify(message);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new Error(`live message of ${bytes} bytes exceeds ${MAX_MESSAGE_BYTES}: carry keys and small facts, never whole texts (${message.t})`);
  }
  return json;
}

const KEY = /^[0-9]{1,19}$/;
const isKey = (v: unknown): v is string => typeof v === 'string' && KEY.test(v);
const isText = (v: unknown): v is string => typeof v === 'string';
const isTextOrNull = (v: unknown) => v === null || typeof v === 'string';
const SESSION_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isSessionKeys = (v: unknown) => Array.isArray(v) && v.length <= MAX_REVOKED_SESSIONS && v.every((k) => typeof k === 'string' && SESSION_KEY.test(k));

/**
 * A message read off the wire, or undefined when it is not one: anything may write to the channel
 * (a psql session, an older release), and a bad payload must not reach a subscriber.
 */
export function decodeMessage(payload: string): LiveMessage | undefined {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (m === null || typeof m !== 'object') return undefined;
  if (m.t === 'order') {
    const ok = isKey(m.eventId) && isText(m.type) && isKey(m.orderId) && isKey(m.shopId) && isKey(m.buyerId) && isTextOrNull(m.status) && isTextOrNull(m.note) && isText(m.at);
    return ok ? (m as unknown as OrderLiveMessage) : undefined;
  }
  if (m.t === 'notification') {
    const ok = isKey(m.userId) && isKey(m.id) && isText(m.kind) && isText(m.title) && isText(m.body) && isTextOrNull(m.link) && isText(m.createdAt) && isKey(m.eventId);
    return ok ? (m as unknown as NotificationLiveMessage) : undefined;
  }
  if (m.t === 'revoke') {
    const ok = isKey(m.userId) && (m.sessionIds === undefined || isSessionKeys(m.sessionIds));
    return ok ? (m as unknown as RevokeLiveMessage) : undefined;
  }
  if (m.t === 'access') return isKey(m.userId) ? { t: 'access', userId: m.userId } : undefined;
  return undefined;
}

/**
 * The topics a message is published to in a process: `shop:<id>` and `order:<id>`, or `user:<id>`.
 * Revoke and access messages are for the socket server itself (src/realtime/ws.ts), never for a feed: none.
 */
export function topicsOf(message: LiveMessage): string[] {
  switch (message.t) {
    case 'order':
      return [`shop:${message.shopId}`, `order:${message.orderId}`];
    case 'notification':
      return [`user:${message.userId}`];
    case 'revoke':
    case 'access':
      return [];
  }
}

/** Hands a payload heard on the bus to each handler, once decoded; a bad payload or a failing handler is logged, never thrown. */
export function deliverPayload(payload: string, handlers: Iterable<(message: LiveMessage) => void>, log: Logger): void {
  const message = decodeMessage(payload);
  if (!message) {
    log.warn({ bytes: payload.length }, 'live bus ignored a payload that is not a live message');
    return;
  }
  for (const handler of handlers) {
    try {
      handler(message);
    } catch (err) {
      log.error({ err }, 'a live bus subscriber failed');
    }
  }
}
