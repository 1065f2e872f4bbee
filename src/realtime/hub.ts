import { BoundedQueue } from './bounded';
import { type LiveMessage, topicsOf } from './messages';

/** Unread events one subscription may hold before it is ended as a slow consumer. */
export const SUBSCRIPTION_QUEUE_LIMIT = 256;

interface Subscriber {
  queue: BoundedQueue<LiveMessage>;
  accept?: (message: LiveMessage) => boolean;
}

/**
 * This process's side of the live bus: each message the bus brings is handed to the subscriptions
 * of its topics (`shop:<id>`, `order:<id>`, `user:<id>`), one bounded queue each. A message object
 * is shared by every queue it lands in, so a thousand watchers of one shop cost a thousand
 * references, not a thousand copies.
 */
export class LiveHub {
  private readonly topics = new Map<string, Set<Subscriber>>();
  private count = 0;

  constructor(private readonly limit = SUBSCRIPTION_QUEUE_LIMIT) {}

  /** Open subscriptions of this process. */
  get subscriptions(): number {
    return this.count;
  }

  /** Hands `message` to every subscription of its topics. Never waits and never throws. */
  readonly deliver = (message: LiveMessage): void => {
    for (const topic of topicsOf(message)) {
      const subscribers = this.topics.get(topic);
      if (!subscribers) continue;
      for (const s of subscribers) if (!s.accept || s.accept(message)) s.queue.push(message);
    }
  };

  /**
   * A subscription to `topic`: an async iterator of its messages from now on (those `accept`
   * takes, when given), removed from the hub when it ends. `onOverflow` is told when it overflows
   * (and so ends with SLOW_CONSUMER).
   */
  subscribe(topic: string, options: { accept?: (message: LiveMessage) => boolean; onOverflow?: () => void } = {}): BoundedQueue<LiveMessage> {
    let subscribers = this.topics.get(topic);
    if (!subscribers) this.topics.set(topic, (subscribers = new Set()));
    const set = subscribers;
    const subscriber: Subscriber = {
      accept: options.accept,
      queue: new BoundedQueue<LiveMessage>(
        this.limit,
        () => {
          this.count -= 1;
          set.delete(subscriber);
          if (set.size === 0 && this.topics.get(topic) === set) this.topics.delete(topic);
        },
        options.onOverflow,
      ),
    };
    set.add(subscriber);
    this.count += 1;
    return subscriber.queue;
  }

  /** Ends every subscription (the process is stopping). */
  close(): void {
    for (const subscribers of [...this.topics.values()]) for (const s of [...subscribers]) void s.queue.return();
  }
}
