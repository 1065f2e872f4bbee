import { createHash } from 'node:crypto';
import { BREAK, Kind, type OperationDefinitionNode, parse, visit } from 'graphql';
import { Client } from 'pg';
import type { Logger } from 'pino';

/** Root fields whose answers are the same for every anonymous caller and change only with the catalog. */
const CATALOG_ROOTS = new Set(['products', 'product', 'categories', 'category', 'brands', 'brand', 'productReviews', 'shopReviews', '__typename']);
/** Fields whose answers change with the clock as well (a promotion starts or ends on time): never cached. */
const CLOCK_FIELDS = new Set(['promotions']);
const CHANNEL = 'catalog_changed';
/** application_name of the LISTEN session, so operators (and tests) can find it in pg_stat_activity. */
export const LISTENER_NAME = 'marketplace-catalog-cache';
/** Retries after a lost LISTEN connection: quickly at first, then every RETRY_MAX_MS while the database stays away. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

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
  private readonly entries = new Map<string, string>();
  private readonly verdicts = new Map<string, boolean>();
  private version = 0;
  private listening = false;
  /** The one LISTEN connection: set from the moment it is opened until it is lost, so there is never a second. */
  private client: Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  /** Failed attempts since the connection was last up: the next retry waits longer, up to RETRY_MAX_MS. */
  private failures = 0;
  private closed = false;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.maxEntries > 0 && this.listening;
  }

  async start(): Promise<void> {
    if (this.maxEntries <= 0) return;
    await this.connect();
  }

  /**
   * Opens the LISTEN connection unless one is open or opening. A connection is lost at most once,
   * however many of `error`, `end` and a failed connect report it, and each loss schedules at most
   * one retry: one LISTEN session per process, whatever the database does.
   */
  private async connect(): Promise<void> {
    this.retry = undefined;
    if (this.closed || this.client) return;
    const client = new Client({ connectionString: this.url, application_name: LISTENER_NAME });
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
      this.invalidate();
      this.scheduleRetry();
      if (wasListening) this.log.warn({ err }, 'catalog cache lost its LISTEN connection; caching paused');
      else if (firstFailure) this.log.warn({ err }, 'catalog cache could not LISTEN; caching paused');
      else this.log.debug({ err, failures: this.failures }, 'catalog cache could not LISTEN; retrying');
    };
    client.on('notification', () => {
      if (this.client === client) this.invalidate();
    });
    client.on('error', lose);
    client.on('end', () => lose());
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
    } catch (err) {
      lose(err);
      return;
    }
    if (lost || this.client !== client) return;
    if (this.failures > 0) this.log.info({ failures: this.failures }, 'catalog cache LISTENs again; caching resumed');
    this.failures = 0;
    this.invalidate();
    this.listening = true;
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.failures);
    this.failures += 1;
    this.retry = setTimeout(() => void this.connect(), delay).unref();
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
    const hit = this.entries.get(key);
    if (hit === undefined) this.misses += 1;
    else this.hits += 1;
    return hit;
  }

  /** Keeps a response computed at `version`, unless the catalog changed meanwhile. */
  set(key: string, version: number, payload: string): void {
    if (version !== this.version || !this.enabled) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, payload);
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
    this.closed = true;
    this.listening = false;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
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
