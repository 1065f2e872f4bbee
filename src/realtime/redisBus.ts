import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { LiveBus } from './bus';
import { deliverPayload, encodeMessage, type LiveMessage } from './messages';

/**
 * The live bus over Redis pub/sub: a publishing connection and, from the first `subscribe`, a
 * dedicated subscriber connection (a subscribed Redis connection can do nothing else). ioredis
 * reconnects with backoff and subscribes again by itself. Redis delivers at once, so publishers
 * publish after their transaction commits (`transactional` is false).
 */
export class RedisLiveBus implements LiveBus {
  readonly transactional = false;
  private readonly handlers = new Set<(message: LiveMessage) => void>();
  private readonly publisher: Redis;
  private subscriber: Redis | undefined;
  private firstAttempt: Promise<void> | undefined;
  private closed = false;

  constructor(
    url: string,
    private readonly channel: string,
    private readonly log: Logger,
  ) {
    this.publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectionName: 'marketplace-live-publish' });
    this.publisher.on('error', (err) => this.log.debug({ err }, 'live bus publisher connection error'));
  }

  async publish(messages: LiveMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const payloads = messages.map(encodeMessage);
    if (this.closed) throw new Error('the live bus is closed');
    const pipeline = this.publisher.pipeline();
    for (const payload of payloads) pipeline.publish(this.channel, payload);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
  }

  subscribe(handler: (message: LiveMessage) => void): () => void {
    this.handlers.add(handler);
    this.firstAttempt ??= this.listen();
    return () => {
      this.handlers.delete(handler);
    };
  }

  ready(): Promise<void> {
    return this.firstAttempt ?? Promise.resolve();
  }

  /** Resolves once subscribed, or at the first connection error (ioredis goes on retrying and subscribes once Redis is back). */
  private listen(): Promise<void> {
    if (this.closed) return Promise.resolve();
    // No retry limit: the SUBSCRIBE waits in the offline queue until Redis answers.
    const subscriber = this.publisher.duplicate({ connectionName: 'marketplace-live-subscribe', lazyConnect: false, maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    let warned = false;
    const failed = new Promise<void>((resolve) => {
      subscriber.on('error', (err) => {
        // ioredis reports every failed reconnect: say it once per outage.
        if (!warned) this.log.warn({ err }, 'live bus has no Redis subscription; live events are missed until it is back');
        warned = true;
        resolve();
      });
    });
    subscriber.on('ready', () => {
      if (warned) this.log.info('live bus subscribed to Redis again');
      warned = false;
    });
    subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.deliver(payload);
    });
    const subscribed = subscriber.subscribe(this.channel).then(
      () => undefined,
      (err: unknown) => {
        if (!this.closed) this.log.warn({ err }, 'live bus could not subscribe to Redis');
      },
    );
    return Promise.race([subscribed, failed]);
  }

  private deliver(payload: string): void {
    deliverPayload(payload, this.handlers, this.log);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    await Promise.all([this.subscriber?.quit().catch(() => this.subscriber?.disconnect()), this.publisher.quit().catch(() => this.publisher.disconnect())]);
  }
}
