import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import type { SystemDeps } from '../../context';
import { lockClause, type RowOf, rowShape, selectRows } from '../../db/rows';
import { NotificationKind, WebhookDeliveryStatus as D } from '../../entities';
import { toGlobalId } from '../../schema/shared/globalId';
import { mapBounded } from '../shared';
import { emitEvent } from './outbox';
import { guardedLookup, isPublicAddress } from './ssrf';
import { webhookEventId } from './webhooks';

/**
 * Sending webhook deliveries: `deliverWebhooks` claims the due ones, POSTs each outside any
 * transaction, and records the outcome. A failed attempt (non-2xx, timeout, network error, an
 * address the SSRF guard refuses) is retried with exponential backoff for 24 hours after the
 * delivery was queued; then the delivery FAILS, its subscription is disabled and the shop's owner
 * hears of it (a WEBHOOK_DISABLED event).
 */

/** How long deliveries are retried, from when each was queued. */
export const WEBHOOK_RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The first retry's delay; each next one doubles it … */
const FIRST_RETRY_MS = 30_000;
/** … up to this. */
const MAX_RETRY_MS = 60 * 60 * 1000;
/** Bytes of a receiver's answer read at most; the rest is dropped with the connection. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const USER_AGENT = 'marketplace-webhooks/1.0';
const MAX_ERROR_LENGTH = 500;

/** The delay before the retry that follows failed attempt number `attempts` (1-based). */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.min(attempts - 1, 20), MAX_RETRY_MS);
}

/** The X-Signature header of `body`: `sha256=` and the hex HMAC-SHA256 of the raw body, keyed with the whole secret. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/**
 * The JSON body of an event's deliveries: `{ id, type, createdAt, data }`, the same for every
 * attempt and subscription. `data` holds the event's facts with the shop's and the subject's
 * global IDs (an Order's as `orderId`, a ProductVariant's as `productVariantId` …).
 */
export function webhookBody(event: { id: string; type: string; shopId: string | null; subjectType: string; subjectId: string; data: Record<string, unknown>; createdAt: Date }): string {
  const data: Record<string, unknown> = { ...event.data, [`${lowerFirst(event.subjectType)}Id`]: toGlobalId(event.subjectType, event.subjectId) };
  if (event.shopId) data.shopId = toGlobalId('Shop', event.shopId);
  return JSON.stringify({ id: webhookEventId(event.id), type: event.type, createdAt: event.createdAt.toISOString(), data });
}

/** What one attempt came to. */
export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

/** Why a connection failed, in a line for the delivery log. */
function describeError(err: unknown, timeoutMs: number): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ETIMEDOUT' && e.message === 'webhook timeout') return `timed out after ${timeoutMs} ms`;
  if (e?.name === 'BlockedAddressError') return `refused: ${e.message}`;
  const message = e instanceof Error ? e.message : String(err);
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/**
 * POSTs `body` to `url` once: no redirects followed, the whole exchange bounded by
 * WEBHOOK_TIMEOUT_MS, at most MAX_RESPONSE_BYTES of the answer read. In production only https is
 * used and every address the host resolves to must be public (checked in the connection's own
 * DNS lookup, so the address checked is the address connected to).
 */
export function postWebhook(config: Config, url: string, body: string, headers: Record<string, string>): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const refused = (error: string): Promise<AttemptOutcome> => Promise.resolve({ ok: false, statusCode: null, durationMs: elapsed(), error: `refused: ${error}` });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return refused('not a valid URL');
  }
  const https = target.protocol === 'https:';
  if (!https && target.protocol !== 'http:') return refused(`${target.protocol} is not http or https`);
  if (config.isProduction) {
    if (!https) return refused('only https is used in production');
    const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
    // A literal address is connected to without a DNS lookup: check it here.
    if (isIP(host) !== 0 && !isPublicAddress(host)) return refused(`${host} is not a public address`);
  }
  const timeoutMs = config.webhooks.timeoutMs;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<AttemptOutcome, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...outcome, durationMs: elapsed() });
    };
    const req = (https ? httpsRequest : httpRequest)(target, {
      method: 'POST',
      agent: false,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      ...(config.isProduction ? { lookup: guardedLookup as never } : {}),
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('webhook timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    req.on('error', (err) => finish({ ok: false, statusCode: null, error: describeError(err, timeoutMs) }));
    req.on('response', (res: IncomingMessage) => {
      const statusCode = res.statusCode ?? 0;
      const ok = statusCode >= 200 && statusCode < 300;
      const done = () => finish({ ok, statusCode, error: ok ? null : `HTTP ${statusCode}` });
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read >= MAX_RESPONSE_BYTES) done();
      });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    req.end(body);
  });
}

const CLAIMED = rowShape({
  id: 'key',
  attempts: 'int',
  createdAt: 'date',
  subscriptionId: 'key',
  url: 'text',
  secret: 'text',
  eventId: 'key',
  type: 'text',
  shopId: 'key?',
  subjectType: 'text',
  subjectId: 'key',
  data: 'json',
  eventCreatedAt: 'date',
});
type Claimed = RowOf<typeof CLAIMED>;

/**
 * Most deliveries of one subscription claimed at once: a receiver that hangs (5 s a try) or a
 * subscription with a backlog takes a share of a run's slots, never all of them, so the other
 * shops' deliveries go out beside it.
 */
const PER_SUBSCRIPTION_CLAIM = 4;

/**
 * Claims up to `limit` due deliveries of enabled subscriptions, at most PER_SUBSCRIPTION_CLAIM of
 * each, in one statement: their rows are
 * picked with SKIP LOCKED and their `next_attempt_at` moved to `leaseUntil`, so another worker
 * leaves them alone while they are sent (no transaction stays open meanwhile), and a crash mid-send
 * only delays them until the lease lapses.
 */
async function claimDue(em: EntityManager, now: Date, leaseUntil: Date, limit: number): Promise<Claimed[]> {
  return selectRows(
    em,
    CLAIMED,
    `with subs as (
       select s.id from webhook_subscription s
       where s.disabled_at is null
         and s.id in (select d.subscription_id from webhook_delivery d where d.status = 'PENDING' and d.next_attempt_at <= ?)
     ), due as (
       select p.id from subs cross join lateral (
         select d.id, d.next_attempt_at from webhook_delivery d
         where d.subscription_id = subs.id and d.status = 'PENDING' and d.next_attempt_at <= ?
         order by d.next_attempt_at, d.id limit ? ${lockClause({ skipLocked: true }, 'd')}
       ) p
       order by p.next_attempt_at, p.id limit ?
     ), claimed as (
       update webhook_delivery d set next_attempt_at = ? from due where d.id = due.id
       returning d.id, d.attempts, d.created_at, d.subscription_id, d.event_id
     )
     select c.id, c.attempts, c.created_at as "createdAt", c.subscription_id as "subscriptionId", s.url, s.secret,
       e.id as "eventId", e.type, e.shop_id as "shopId", e.subject_type as "subjectType", e.subject_id as "subjectId", e.data, e.created_at as "eventCreatedAt"
     from claimed c join webhook_subscription s on s.id = c.subscription_id join outbox_event e on e.id = c.event_id
     order by c.id`,
    [now, now, PER_SUBSCRIPTION_CLAIM, limit, leaseUntil],
  );
}

/** Sends one claimed delivery. */
function attempt(config: Config, d: Claimed): Promise<AttemptOutcome> {
  const body = webhookBody({ id: d.eventId, type: d.type, shopId: d.shopId, subjectType: d.subjectType, subjectId: d.subjectId, data: (d.data ?? {}) as Record<string, unknown>, createdAt: d.eventCreatedAt });
  return postWebhook(config, d.url, body, {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-webhook-id': webhookEventId(d.eventId),
    'x-signature': webhookSignature(d.secret, body),
  });
}

type Recorded = 'delivered' | 'retrying' | 'failed' | 'stale';

/**
 * Records an attempt's outcome, if the claim still holds (the row is PENDING with our lease: a
 * worker that overran its lease leaves the row to whoever claimed it since). A final failure
 * disables the subscription, fails its other pending deliveries and emits WEBHOOK_DISABLED, all
 * in one transaction.
 */
async function record(deps: SystemDeps, em: EntityManager, d: Claimed, leaseUntil: Date, outcome: AttemptOutcome): Promise<Recorded> {
  const now = deps.clock.now();
  const attempts = d.attempts + 1;
  const deadline = d.createdAt.getTime() + WEBHOOK_RETRY_WINDOW_MS;
  const giveUp = !outcome.ok && now.getTime() >= deadline;
  const status = outcome.ok ? D.SUCCEEDED : giveUp ? D.FAILED : D.PENDING;
  // The last retry falls at the end of the window, so every delivery is tried at its 24th hour.
  const next = status === D.PENDING ? new Date(Math.min(now.getTime() + retryDelayMs(attempts), deadline)) : null;
  const error = outcome.error === null ? null : outcome.error.slice(0, MAX_ERROR_LENGTH);
  return em.transactional(async (tx) => {
    const updated = await tx.execute<{ id: string }[]>(
      `update webhook_delivery set status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?, last_duration_ms = ?, last_error = ?, delivered_at = ?
       where id = ? and status = 'PENDING' and next_attempt_at = ? returning id`,
      [status, attempts, next, outcome.statusCode, outcome.durationMs, error, outcome.ok ? now : null, d.id, leaseUntil],
    );
    if (updated.length === 0) return 'stale';
    if (status === D.SUCCEEDED) return 'delivered';
    if (status === D.PENDING) return 'retrying';
    const reason = `Deliveries failed for 24 hours (last: ${error ?? 'no answer'})`.slice(0, MAX_ERROR_LENGTH);
    const disabled = await tx.execute<{ id: string; shop_id: string; url: string }[]>(
      'update webhook_subscription set disabled_at = ?, disabled_reason = ? where id = ? and disabled_at is null returning id, shop_id, url',
      [now, reason, d.subscriptionId],
    );
    if (disabled.length > 0) {
      await tx.execute(
        `update webhook_delivery set status = 'FAILED', next_attempt_at = null, last_error = coalesce(last_error, 'subscription disabled')
         where subscription_id = ? and status = 'PENDING'`,
        [d.subscriptionId],
      );
      await emitEvent(tx, {
        type: NotificationKind.WEBHOOK_DISABLED,
        shopId: String(disabled[0].shop_id),
        subjectType: 'WebhookSubscription',
        subjectId: d.subscriptionId,
        data: { url: disabled[0].url, reason, lastError: error },
        at: now,
      });
    }
    return 'failed';
  });
}

export interface DeliverWebhooksOptions {
  /** Deliveries claimed at a time (50). */
  batchSize?: number;
  /** Requests in flight at once (8). */
  concurrency?: number;
  /** Most deliveries one run sends (1,000), so a run ends. */
  maxDeliveries?: number;
}

export interface DeliverWebhooksResult {
  /** Accepted by their receivers. */
  delivered: number;
  /** Failed attempts that will be retried. */
  retrying: number;
  /** Deliveries given up after 24 hours (their subscriptions disabled). */
  failed: number;
}

/**
 * Sends every due webhook delivery (the `deliver-webhooks` task, and the dispatcher after each
 * pass): claimed in batches with a lease, POSTed outside any transaction, `concurrency` at a time,
 * each outcome recorded in a transaction of its own. Safe beside other workers doing the same.
 */
export async function deliverWebhooks(deps: SystemDeps, em: EntityManager, opts: DeliverWebhooksOptions = {}): Promise<DeliverWebhooksResult> {
  const batchSize = opts.batchSize ?? 50;
  const concurrency = opts.concurrency ?? 8;
  const maxDeliveries = opts.maxDeliveries ?? 1000;
  // Long enough for a whole batch to be sent, even at the timeout, before anyone else may claim it.
  const leaseMs = Math.max(60_000, 2 * deps.config.webhooks.timeoutMs * Math.ceil(batchSize / concurrency));
  const result: DeliverWebhooksResult = { delivered: 0, retrying: 0, failed: 0 };
  for (let sent = 0; sent < maxDeliveries; ) {
    const now = deps.clock.now();
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const claimed = await claimDue(em.fork(), now, leaseUntil, Math.min(batchSize, maxDeliveries - sent));
    if (claimed.length === 0) break;
    sent += claimed.length;
    await mapBounded(claimed, concurrency, async (d) => {
      const outcome = await attempt(deps.config, d);
      const recorded = await record(deps, em.fork(), d, leaseUntil, outcome);
      if (recorded !== 'stale') result[recorded] += 1;
    });
  }
  return result;
}
