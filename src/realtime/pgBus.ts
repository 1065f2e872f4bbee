import type { EntityManager } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { PgListener } from '../db/listener';
import type { LiveBus } from './bus';
import { deliverPayload, encodeMessage, type LiveMessage } from './messages';

/** application_name of the LISTEN session, so operators (and tests) can find it in pg_stat_activity. */
export const LIVE_LISTENER_NAME = 'marketplace-live-bus';

/**
 * One statement for a whole batch, the payloads as one JSON array parameter (an array parameter
 * would be spread into one placeholder per element). NOTIFYs are delivered in the order sent.
 * Identical payloads in one transaction are delivered once: messages always differ by their keys.
 */
const NOTIFY_BATCH = 'select pg_notify(?, m) from jsonb_array_elements_text(?::jsonb) with ordinality as u(m, n) order by n';

/**
 * The live bus over PostgreSQL LISTEN/NOTIFY: one dedicated LISTEN connection per process, opened
 * by the first `subscribe` and reopened with backoff when lost (src/db/listener.ts); publishing is
 * `pg_notify`, transactional when run on a transaction's em.
 */
export class PgLiveBus implements LiveBus {
  readonly transactional = true;
  private readonly handlers = new Set<(message: LiveMessage) => void>();
  private readonly listener: PgListener;
  private firstAttempt: Promise<void> | undefined;
  private closed = false;
  /** For publishing outside a transaction: made on first use. */
  private pool: Pool | undefined;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly log: Logger,
  ) {
    this.listener = new PgListener(
      url,
      [channel],
      LIVE_LISTENER_NAME,
      // While it is down, messages pass unheard: live feeds are best effort (the inbox is the record).
      {
        notify: (_channel, payload) => {
          if (payload !== undefined) this.deliver(payload);
        },
      },
      log,
    );
  }

  async publish(messages: LiveMessage[], em?: EntityManager): Promise<void> {
    if (messages.length === 0) return;
    const payloads = JSON.stringify(messages.map(encodeMessage));
    if (em) {
      await em.execute(NOTIFY_BATCH, [this.channel, payloads]);
      return;
    }
    if (this.closed) throw new Error('the live bus is closed');
    this.pool ??= new Pool({ connectionString: this.url, max: 1, application_name: `${LIVE_LISTENER_NAME}-publish`, idleTimeoutMillis: 10_000 });
    await this.pool.query(NOTIFY_BATCH.replace('?', '$1').replace('?', '$2'), [this.channel, payloads]);
  }

  subscribe(handler: (message: LiveMessage) => void): () => void {
    this.handlers.add(handler);
    this.firstAttempt ??= this.listener.start();
    return () => {
      this.handlers.delete(handler);
    };
  }

  ready(): Promise<void> {
    return this.firstAttempt ?? Promise.resolve();
  }

  /** Whether the LISTEN connection is up (messages published now will be heard). */
  get isListening(): boolean {
    return this.listener.listening;
  }

  private deliver(payload: string): void {
    deliverPayload(payload, this.handlers, this.log);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    await this.listener.close();
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }
}
