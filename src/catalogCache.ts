import { createHash } from 'node:crypto';
import { BREAK, Kind, type OperationDefinitionNode, parse, visit } from 'graphql';
import type { Logger } from 'pino';
import { PgListener } from './db/listener';

/** Root fields whose answers are the same for every anonymous caller and change only with the catalog. */
const CATALOG_ROOTS = new Set(['products', 'product', 'categories', 'category', 'brands', 'brand', 'productReviews', 'shopReviews', '__typename']);
/** Fields whose answers change with the clock as well (a promotion starts or ends on time): never cached. */
const CLOCK_FIELDS = new Set(['promotions']);
const CHANNEL = 'catalog_changed';
/** application_name of the LISTEN session, so operators (and tests) can find it in pg_stat_activity. */
export const LISTENER_NAME = 'marketplace-catalog-cache';

/**
 * A per-process cache of anonymous catalog responses (products, product, categories, brands, and
 * the published review lists productReviews and shopReviews). Every change to the tables they read
 * (product, product_variant, shop, brand, category, review) fires a
 * statement-level trigger that sends NOTIFY catalog_changed on commit; each process LISTENs and
 * drops its whole cache, so a cached answer is never older than the last committed change plus
 * the notification's delivery (milliseconds). While the LISTEN connection is down nothing is
 * cached. Signed-in callers and every other operation always run normally.
 */
export class CatalogCache {
  private readonly entries = new Map<string, { payload: string; at: number }>();
  private readonly verdicts = new Map<string, boolean>();
  private version = 0;
  private readonly listener: PgListener;

  hits = 0;
  misses = 0;

  /**
   * `maxAgeMs`: how long an answer is kept even while nothing changes (totals and facets above
   * CATALOG_EXACT_COUNT_LIMIT are counts kept for CATALOG_COUNT_TTL_SECONDS: an answer holding one
   * must not outlive it).
   */
  constructor(
    private readonly maxEntries: number,
    url: string,
    log: Logger,
    private readonly maxAgeMs = Number.POSITIVE_INFINITY,
  ) {
    this.listener = new PgListener(url, [CHANNEL], LISTENER_NAME, { notify: () => this.invalidate(), up: () => this.invalidate(), down: () => this.invalidate() }, log);
  }

  /** Bumped by every catalog change notification (and whenever the LISTEN connection drops or returns). */
  get currentVersion(): number {
    return this.version;
  }

  get enabled(): boolean {
    return this.maxEntries > 0 && this.listener.listening;
  }

  async start(): Promise<void> {
    if (this.maxEntries <= 0) return;
    await this.listener.start();
  }

  invalidate(): void {
    this.version += 1;
    this.entries.clear();
  }

  /** The cache key of an anonymous request body, or undefined when it is not a cacheable catalog read. */
  keyFor(body: unknown): { key: string; version: number } | undefined {
    if (!this.enabled || !body || typeof body !== 'object' || Array.isArray(body)) return undefined;
    const { query, variables, operationName } = body as { query?: unknown; variables?: unknown; operationName?: unknown };
    if (typeof query !== 'string' || query.length > 20_000 || !this.cacheable(query)) return undefined;
    const key = createHash('sha1').update(query).update('\0').update(JSON.stringify(variables ?? null)).update('\0').update(String(operationName ?? '')).digest('base64url');
    return { key, version: this.version };
  }

  get(key: string): string | undefined {
    let hit = this.entries.get(key);
    if (hit !== undefined && performance.now() - hit.at > this.maxAgeMs) {
      this.entries.delete(key);
      hit = undefined;
    }
    if (hit === undefined) this.misses += 1;
    else this.hits += 1;
    return hit?.payload;
  }

  /** Keeps a response computed at `version`, unless the catalog changed meanwhile. */
  set(key: string, version: number, payload: string): void {
    if (version !== this.version || !this.enabled) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { payload, at: performance.now() });
  }

  private cacheable(query: string): boolean {
    let verdict = this.verdicts.get(query);
    if (verdict === undefined) {
      verdict = judge(query);
      if (this.verdicts.size >= 1000) this.verdicts.clear();
      this.verdicts.set(query, verdict);
    }
    return verdict;
  }

  async close(): Promise<void> {
    await this.listener.close();
  }
}

/** One query operation whose root selections are all catalog fields (no fragments at the root). */
function judge(query: string): boolean {
  try {
    const doc = parse(query);
    const operations = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    let timed = false;
    visit(doc, {
      Field(node) {
        if (!CLOCK_FIELDS.has(node.name.value)) return undefined;
        timed = true;
        return BREAK;
      },
    });
    return (
      !timed &&
      operations.length === 1 &&
      operations[0].operation === 'query' &&
      operations[0].selectionSet.selections.every((s) => s.kind === Kind.FIELD && CATALOG_ROOTS.has(s.name.value))
    );
  } catch {
    return false;
  }
}
