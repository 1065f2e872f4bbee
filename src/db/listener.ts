import { Client } from 'pg';
import type { Logger } from 'pino';

/** Retries after a lost LISTEN connection: quickly at first, then every RETRY_MAX_MS while the database stays away. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

export interface ListenerHandlers {
  /** A notification on one of the channels. */
  notify(channel: string, payload: string | undefined): void;
  /** The connection is up and listening (again): whatever was missed while down should be caught up now. */
  up?(): void;
  /** The connection was lost; notifications stop until `up`. */
  down?(): void;
}

/**
 * One dedicated PostgreSQL connection LISTENing on some channels, reconnecting with backoff for as
 * long as it is open. A connection is lost at most once, however many of `error`, `end` and a failed
 * connect report it, and each loss schedules at most one retry: one LISTEN session per listener,
 * whatever the database does.
 */
export class PgListener {
  private client: Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  listening = false;

  constructor(
    private readonly url: string,
    private readonly channels: readonly string[],
    private readonly applicationName: string,
    private readonly handlers: ListenerHandlers,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    this.retry = undefined;
    if (this.closed || this.client) return;
    const client = new Client({ connectionString: this.url, application_name: this.applicationName });
    this.client = client;
    let lost = false;
    const lose = (err?: unknown) => {
      if (lost) return;
      lost = true;
      client.end().catch(() => undefined);
      if (this.client !== client) return;
      const wasListening = this.listening;
      const firstFailure = this.failures === 0;
      this.client = undefined;
      this.listening = false;
      this.handlers.down?.();
      this.scheduleRetry();
      if (wasListening) this.log.warn({ err, listener: this.applicationName }, 'lost the LISTEN connection; reconnecting');
      else if (firstFailure) this.log.warn({ err, listener: this.applicationName }, 'could not LISTEN; retrying');
      else this.log.debug({ err, failures: this.failures, listener: this.applicationName }, 'could not LISTEN; retrying');
    };
    client.on('notification', (n) => {
      if (this.client === client) this.handlers.notify(n.channel, n.payload);
    });
    client.on('error', lose);
    client.on('end', () => lose());
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`listen ${client.escapeIdentifier(channel)}`);
    } catch (err) {
      lose(err);
      return;
    }
    if (lost || this.client !== client) return;
    if (this.failures > 0) this.log.info({ failures: this.failures, listener: this.applicationName }, 'LISTENing again');
    this.failures = 0;
    this.listening = true;
    this.handlers.up?.();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.failures);
    this.failures += 1;
    this.retry = setTimeout(() => void this.connect(), delay).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
