import { GraphQLError } from 'graphql';

/** Why a subscription ended: its client did not read its events as fast as they came. */
export class SlowConsumerError extends GraphQLError {
  constructor() {
    super('Events arrived faster than this subscription read them, so it was ended; subscribe again (and catch up with a query)', {
      extensions: { code: 'SLOW_CONSUMER' },
    });
  }
}

/**
 * An async iterator of pushed values holding at most `limit` unread ones: the back-pressure of one
 * subscription. Pushing never waits (the bus delivers to every subscriber of a process in one
 * synchronous pass); a push that finds the queue full ends it instead: what is queued is dropped at
 * once and the reader's next read fails with SLOW_CONSUMER. A slow reader costs at most `limit`
 * entries, never a growing backlog.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private buffer: T[] = [];
  private reader: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void } | undefined;
  private failure: Error | undefined;
  private done = false;

  constructor(
    private readonly limit: number,
    /** Called once when the queue ends, however it ends (read to its end, returned, overflowed). */
    private readonly onEnd: () => void = () => undefined,
    /** Called once if the queue overflows. */
    private readonly onOverflow: () => void = () => undefined,
  ) {}

  /** Unread values. */
  get size(): number {
    return this.buffer.length;
  }

  get ended(): boolean {
    return this.done || this.failure !== undefined;
  }

  push(value: T): void {
    if (this.ended) return;
    if (this.reader) {
      const reader = this.reader;
      this.reader = undefined;
      reader.resolve({ value, done: false });
      return;
    }
    if (this.buffer.length >= this.limit) {
      this.fail(new SlowConsumerError());
      this.onOverflow();
      return;
    }
    this.buffer.push(value);
  }

  /** Ends the queue with `error`: what is unread is dropped, and the next read rejects with it. */
  fail(error: Error): void {
    if (this.ended) return;
    this.buffer = [];
    this.onEnd();
    if (this.reader) {
      const reader = this.reader;
      this.reader = undefined;
      this.done = true;
      reader.reject(error);
      return;
    }
    this.failure = error;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      this.done = true;
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    if (this.reader) return Promise.reject(new Error('BoundedQueue: one read at a time'));
    return new Promise((resolve, reject) => (this.reader = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    const wasEnded = this.ended;
    this.buffer = [];
    this.failure = undefined;
    this.done = true;
    if (!wasEnded) this.onEnd();
    const reader = this.reader;
    this.reader = undefined;
    reader?.resolve({ value: undefined, done: true });
  }
}
