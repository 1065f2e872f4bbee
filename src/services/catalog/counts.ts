import type { Context } from '../../context';

/**
 * Counts over large sets of the catalog (a total or the facets of a filter matching more than
 * `config.catalog.exactCountLimit` products), kept per filter for `config.catalog.countTtlSeconds`
 * of the business clock in this process. Counting a large set costs time in proportion to its size
 * on every page; a shopper reading "12,345 results" cannot tell a figure that lags by seconds.
 * Concurrent misses of one key share one computation. A cache only: each process keeps its own and
 * nothing depends on two processes agreeing.
 */
export class LargeCounts {
  private readonly entries = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(private readonly maxEntries = 5000) {}

  /** The kept value of `key` while fresh, else undefined. */
  peek<T>(ctx: Pick<Context, 'deps' | 'now'>, key: string): Promise<T> | undefined {
    const now = ctx.now().getTime();
    const hit = this.entries.get(key);
    return hit && now - hit.at < ctx.deps.config.catalog.countTtlSeconds * 1000 && now >= hit.at ? (hit.value as Promise<T>) : undefined;
  }

  /** The kept value of `key` while fresh, else `compute()`'s, kept from now. */
  get<T>(ctx: Pick<Context, 'deps' | 'now'>, key: string, compute: () => Promise<T>): Promise<T> {
    const kept = this.peek<T>(ctx, key);
    if (kept) return kept;
    const now = ctx.now().getTime();
    const value = compute();
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.delete(key);
    this.entries.set(key, { at: now, value });
    // A failed count is not kept: the next request counts again.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The process's large counts (totals and facets of the catalog). */
export const largeCounts = new LargeCounts();
