import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { getArgumentValues, getVariableValues, type GraphQLSchema, type ValidationRule } from 'graphql';
import Negotiator from 'negotiator';
import type { CatalogCache } from '../catalogCache';
import type { AppDeps } from '../context';
import { accessClaims } from '../context';
import { countQuery } from '../db/queryCounter';
import { isBigintKey, type SortValue } from '../db/keyset';
import type { Metrics } from '../metrics';
import { operationLabel } from '../metrics';
import { toConnection } from '../schema/shared/relay';
import { decodeId, decodeInput } from '../schema/shared/globalId';
import { findFaults } from '../schema/shared/textRule';
import { boundedCountSql, catalogCount, productColumns, type CatalogQuery, catalogQuery, facetCounts, type ProductFilterInput, type ProductSortKey, travelOrder } from '../services/catalog';
import { planOf, type Plan, type Selected } from './plan';
import { facetNodeJson, Params, productJson, sqlScope, type SqlScope } from './sql';

/**
 * Compiled catalog reads: the shoppers' catalog queries (`products`, `product`) answered without
 * GraphQL execution, entities or loaders. A request's document is planned once (validated with
 * Apollo's rules, every selected field known to be public and independent of the clock); each
 * request then runs ONE statement per root field that builds the answer's JSON in PostgreSQL, and
 * the response is those texts joined. Only what the plan knows is answered here — another field,
 * a staff viewer, variables or arguments the services refuse, a product hidden from the public —
 * everything else goes to Apollo, which answers it (errors included) as it always has.
 */

const JSON_TYPE = /^application\/json(\s*;|$)/i;
const RS = '\x1e';

interface Scope {
  em: EntityManager;
  deps: AppDeps;
  now(): Date;
}

const MEDIA_TYPES = ['application/json; charset=utf-8', 'application/graphql-response+json; charset=utf-8'];
/** Apollo's callback type, chosen when a client prefers it: Apollo answers those. */
const CALLBACK_TYPE = 'application/json; callbackSpec=1.0; charset=utf-8';

/** The response's content type as Apollo negotiates it from `Accept` (JSON without one), or undefined when Apollo should answer. */
function responseType(accept: string | undefined): string | undefined {
  if (!accept) return MEDIA_TYPES[0];
  const chosen = new Negotiator({ headers: { accept } }).mediaType([...MEDIA_TYPES, CALLBACK_TYPE]);
  return chosen && MEDIA_TYPES.includes(chosen) ? chosen : undefined;
}

/** What made the compiled path step aside (the request then goes to Apollo). */
class Decline extends Error {}

/** A compiled answer kept for everyone who may see it: computed at `at` (business clock), while the catalog was at `version`. */
interface Shared {
  body: string;
  version: number;
  at: number;
}

export class CatalogReads {
  private readonly plans = new Map<string, Plan | null>();
  private readonly persisted = new Map<string, string>();
  private readonly answers = new Map<string, Shared>();

  /**
   * `cache` is the process's catalog cache: its LISTEN connection tells every catalog change, and
   * while it is enabled the answers that do not depend on who asks are kept here too, for signed-in
   * shoppers as for anonymous ones (see `serve`).
   */
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
    private readonly deps: AppDeps,
    private readonly orm: MikroORM,
    private readonly metrics: Metrics,
    private readonly cache?: CatalogCache,
  ) {}

  /** Answers the request and returns true, or returns false having sent nothing (Apollo answers). */
  async serve(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (request.method !== 'POST' || !JSON_TYPE.test(request.headers['content-type'] ?? '')) return false;
    const contentType = responseType(request.headers.accept);
    if (!contentType) return false;
    const body = request.body as { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown } | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
    const query = this.queryOf(body);
    if (query === undefined) return false;
    // An empty or overlong name is Apollo's to refuse.
    if (body.operationName != null && (typeof body.operationName !== 'string' || body.operationName === '' || body.operationName.length > 200)) return false;
    if (body.variables != null && (typeof body.variables !== 'object' || Array.isArray(body.variables))) return false;
    const plan = this.planFor(query, body.operationName ?? undefined);
    if (!plan) return false;
    // A signed-in viewer's token is checked here; their session (live, not staff, no password change
    // due) in the same statement as the answer, which is sent only when it holds (src/context.ts
    // resolveViewer checks the same, and Apollo answers anyone it does not hold for).
    let viewer: Viewer | null = null;
    const authorization = request.headers.authorization;
    if (authorization !== undefined && authorization !== '') {
      const claims = accessClaims(this.deps.config, authorization);
      if (!claims || !isBigintKey(claims.sub)) return false;
      viewer = { id: claims.sub, session: claims.sid };
    }
    const coerced = getVariableValues(this.schema, plan.operation.variableDefinitions ?? [], (body.variables ?? {}) as Record<string, unknown>, { maxErrors: 1 });
    if (coerced.errors) return false;
    const em = this.orm.em;
    // Shared answers: what no field makes personal is the same for every shopper, signed in or not
    // (staff never come here). One is served while no catalog change has arrived since it was
    // computed, or for CATALOG_STALE_MS after one (then recomputed by the next request), a signed-in
    // viewer's session checked first, as always.
    // A personal answer (a product's status) is the same for everyone outside the product's shop: it is
    // shared among the anonymous and the signed-in who are members of no shop (told by the session check).
    const sharing = this.cache?.enabled === true && this.deps.config.catalogCacheEntries > 0;
    const key = sharing ? createHash('sha1').update(`${body.operationName ?? ''}\0${query}\0${JSON.stringify(body.variables ?? null)}`).digest('base64url') : undefined;
    const version = this.cache?.currentVersion ?? 0;
    const now = this.deps.clock.now().getTime();
    const kept = key === undefined ? undefined : this.answers.get(key);
    // Even while the catalog does not change, an answer is kept no longer than a large count is (its totals may lag by that much).
    const age = kept ? now - kept.at : -1;
    const ttl = this.deps.config.catalog.countTtlSeconds;
    const young = age >= 0 && (ttl === 0 || age <= ttl * 1000);
    let servable = kept !== undefined && ((kept.version === version && young) || (age >= 0 && age <= this.deps.config.catalog.staleMs));
    if (kept && servable && viewer) {
      const params = new Params();
      try {
        // On the primary, as resolveViewer reads it: a sign-out or a ban counts at once, replicas or not.
        const [row] = await this.query(em, 'write', `select ${viewerCheck(params, viewer).slice(0, -2)}`, params.values);
        if (row?.viewer_ok !== true) return false;
        servable = !plan.personal || row.outsider === true;
      } catch (err) {
        request.log.debug({ err }, 'compiled catalog read declined; answering through GraphQL');
        return false;
      }
      request.sqlQueries = { count: 1 };
    }
    if (kept && servable) {
      const fresh = kept.version === version && young;
      // The strict anonymous cache (src/catalogCache.ts) keeps only answers computed now: a kept one may
      // be older than the last change, or close to the end of its time.
      request.catalogCacheKey = undefined;
      this.metrics.operations.inc({ operation_name: operationLabel(plan.operation.name?.value), operation_type: 'query' });
      reply.header('content-type', contentType).header('x-catalog-path', 'compiled').header('x-catalog-cache', fresh ? 'hit' : 'stale').send(kept.body);
      return true;
    }
    const scope: Scope = { em, deps: this.deps, now: () => this.deps.clock.now() };
    const counter = { count: 0 };
    let checked = false;
    const unshared = { value: false };
    request.sqlQueries = counter;
    try {
      // The session, as resolveViewer reads it, on the primary: with read replicas that is a statement of
      // its own beside the page's (which runs on a replica); without, it rides in the page's statement.
      const apart = viewer !== null && this.deps.config.databaseReplicaUrls.length > 0 && plan.roots.some((r) => r.field === 'products');
      const session = apart
        ? (() => {
            const params = new Params();
            counter.count++;
            return this.query(em, 'write', `select ${viewerCheck(params, viewer).slice(0, -2)}`, params.values);
          })()
        : undefined;
      session?.catch(() => undefined);
      const parts = await Promise.all(
        plan.roots.map(async (root) => {
          if (root.field === '__typename') return `${JSON.stringify(root.key)}:"Query"`;
          const field = this.schema.getQueryType()!.getFields()[root.field];
          let args: Record<string, unknown>;
          try {
            args = getArgumentValues(field, root.node, coerced.coerced);
          } catch {
            throw new Decline();
          }
          // The text rule (src/schema/shared/textRule.ts): Apollo refuses control characters and lone surrogates.
          if (findFaults(field.args, args).length) throw new Decline();
          const run: Run = async (sql, values, type = 'read') => {
            counter.count++;
            const rows = await this.query(em, type, sql, values);
            // Each root's page or product statement carries the check (`viewer_ok`); a facets statement follows its page's.
            if (viewer && rows[0] && 'viewer_ok' in rows[0]) {
              if (rows[0].viewer_ok !== true) throw new Decline();
              checked = true;
              // A member of a shop may see its pending edits: a personal answer of theirs is not shared.
              if (plan.personal && rows[0].outsider !== true) unshared.value = true;
            }
            return rows;
          };
          const json = root.field === 'products' ? await this.products(scope, root, args, viewer, run) : await this.product(root, args, viewer, (sql, values) => run(sql, values, 'write'), unshared);
          return `${JSON.stringify(root.key)}:${json}`;
        }),
      );
      if (session) {
        const [row] = await session;
        if (row?.viewer_ok !== true) throw new Decline();
        checked = true;
        if (plan.personal && row.outsider !== true) unshared.value = true;
      }
      if (viewer && !checked) throw new Decline();
      this.metrics.operations.inc({ operation_name: operationLabel(plan.operation.name?.value), operation_type: 'query' });
      const answer = `{"data":{${parts.join(',')}}}`;
      if (key !== undefined && !unshared.value) {
        if (this.answers.size >= this.deps.config.catalogCacheEntries) this.answers.delete(this.answers.keys().next().value!);
        this.answers.delete(key);
        // Kept at the version seen before computing: a change arriving meanwhile makes it stale, not fresh.
        this.answers.set(key, { body: answer, version, at: now });
      }
      reply.header('content-type', contentType).header('x-catalog-path', 'compiled').send(answer);
      return true;
    } catch (err) {
      if (!(err instanceof Decline)) request.log.debug({ err }, 'compiled catalog read declined; answering through GraphQL');
      request.sqlQueries = undefined;
      return false;
    }
  }

  /**
   * The document of the request: its `query`, or the one an earlier request registered for its
   * persisted-query hash (then written into the body, so Apollo too can answer the request if it
   * declines here). Undefined for anything Apollo should judge.
   */
  private queryOf(body: { query?: unknown; extensions?: unknown }): string | undefined {
    const extensions = body.extensions;
    if (extensions != null && (typeof extensions !== 'object' || Array.isArray(extensions))) return undefined;
    const persisted = (extensions as { persistedQuery?: unknown } | undefined)?.persistedQuery;
    if (persisted == null) return typeof body.query === 'string' ? body.query : undefined;
    const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
    if (typeof persisted !== 'object' || version !== 1 || typeof sha256Hash !== 'string') return undefined;
    if (typeof body.query === 'string') {
      // Remember a hash only when it is the document's (Apollo refuses a mismatch).
      if (this.persisted.get(sha256Hash) === body.query) return body.query;
      if (body.query.length > 20_000 || createHash('sha256').update(body.query).digest('hex') !== sha256Hash) return undefined;
      if (this.persisted.size >= 2000) this.persisted.delete(this.persisted.keys().next().value!);
      this.persisted.set(sha256Hash, body.query);
      return body.query;
    }
    if (body.query !== undefined) return undefined;
    const query = this.persisted.get(sha256Hash);
    // Apollo may never have seen this document (it was answered here): give it the text with the hash.
    if (query !== undefined) body.query = query;
    return query;
  }

  private planFor(query: string, operationName: string | undefined): Plan | null {
    if (query.length > 20_000) return null;
    const key = createHash('sha1').update(`${operationName ?? ''}\0${query}`).digest('base64url');
    let plan = this.plans.get(key);
    if (plan === undefined) {
      try {
        plan = planOf(this.schema, this.rules, query, operationName);
      } catch {
        // Whatever planning could not make sense of is Apollo's to answer.
        plan = null;
      }
      if (this.plans.size >= 2000) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(key, plan);
    }
    return plan;
  }

  private async query(em: EntityManager, type: 'read' | 'write', sql: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    countQuery(sql, values);
    const client = em.getConnection(type).getKnex().client as { acquireConnection(): Promise<PgClient>; releaseConnection(c: PgClient): Promise<void> };
    const connection = await client.acquireConnection();
    try {
      // A named statement: each connection parses and plans a statement's text once, then only binds
      // (the plan of a catalog page costs PostgreSQL about as much as running it).
      const name = await prepared(connection, sql);
      const { rows } = await connection.query({ name, text: sql, values });
      // Recorded once PostgreSQL has it (a statement refused while parsing is not prepared).
      preparedOn.get(connection)?.set(sql, name);
      return rows;
    } finally {
      await client.releaseConnection(connection);
    }
  }

  /** `product(id)`: the product's JSON, null when absent; a product off sale goes to Apollo unless the viewer is anonymous. */
  private async product(root: Selected, args: Record<string, unknown>, viewer: Viewer | null, run: Run, unshared: { value: boolean }): Promise<string> {
    let key: string;
    try {
      key = decodeId('Product', String(args.id));
    } catch {
      throw new Decline();
    }
    const params = new Params();
    const scope = sqlScopeOf(this.deps.config.currency, params, viewer);
    const json = productJson(root, 'p', scope);
    const check = viewerCheck(params, viewer);
    // One row whether or not the product exists, so the viewer's check always comes back.
    const [row] = await run(
      `select ${check}p.j, p.visible from (select 1) one left join (select (${json})::text as j, p.visible from product p ${scope.joins.join(' ')} where p.id = ${params.add(key)}) p on true`,
      params.values,
    );
    if (row.visible == null) return 'null';
    if (row.visible !== true) {
      if (viewer) throw new Decline();
      // Null for the public, but the product for its own shop: never shared with signed-in viewers.
      unshared.value = true;
      return 'null';
    }
    return row.j as string;
  }

  /** `products(…)`: a page of the catalog with what of the connection is selected. */
  private async products(scope: Scope, root: Selected, args: Record<string, unknown>, viewer: Viewer | null, run: Run): Promise<string> {
    let q: CatalogQuery;
    try {
      const filter = args.filter as ProductFilterInput | null | undefined;
      q = catalogQuery(this.deps.config.currency, {
        first: args.first as number | null,
        after: args.after as string | null,
        last: args.last as number | null,
        before: args.before as string | null,
        sort: args.sort as ProductSortKey | null,
        filter: filter && decodeInput(filter, { categoryId: 'Category', brandIds: ['Brand'], shopId: 'Shop' }),
      }, true);
    } catch {
      throw new Decline();
    }
    const wants = new Set<string>();
    const walk = (sel: Selected[]) => sel.forEach((s) => (wants.add(s.field), walk(s.selection)));
    walk(root.selection);
    const nodeSelections = root.selection.flatMap((s) => (s.field === 'nodes' ? [s] : s.field === 'edges' ? s.selection.filter((e) => e.field === 'node') : []));
    // One JSON per product serves `nodes` and `edges.node` alike only when they select the same.
    const shapes = new Set(nodeSelections.map((s) => shapeOf(s.selection)));
    if (shapes.size > 1) throw new Decline();
    const merged: Selected | undefined = nodeSelections[0];
    const needsKeys = wants.has('edges') || wants.has('startCursor') || wants.has('endCursor');
    const needsTotal = root.selection.some((s) => s.field === 'totalCount');

    const params = new Params();
    const sqlScope = sqlScopeOf(this.deps.config.currency, params, viewer);
    const limit = this.deps.config.catalog.exactCountLimit;
    // With read replicas the session is checked on the primary beside this statement (see serve).
    const columns = [`${viewerCheck(params, this.deps.config.databaseReplicaUrls.length ? null : viewer)}count(*)::int as fetched`];
    const order = travelOrder(q);
    // Node JSON texts separated by U+001E, which JSON text never holds raw (PostgreSQL escapes control characters).
    if (merged) columns.push(`string_agg((${productJson(merged, 'p', sqlScope)})::text, E'\\x1e' order by ${order}) as nodes`);
    if (needsKeys || !merged) {
      const [k1] = q.sort.keys;
      // A timestamp as milliseconds since the epoch (formatted here as the services' toISOString does).
      const first = k1.column === 'p.listed_at' ? `(extract(epoch from p.listed_at) * 1000)::bigint::text` : `${k1.column}::text`;
      columns.push(`array_agg(${first} order by ${order}) as k1`, `array_agg(p.id::text order by ${order}) as k2`);
    }
    if (needsTotal) {
      const bounded = boundedCountSql(q.where, limit);
      columns.push(`${params.inline(bounded.sql, bounded.params)} as n`);
    }
    const page = q.pageSql(productColumns(scope.em));
    const sql = `select ${columns.join(', ')} from (${params.inline(page.sql, page.params)}) p ${sqlScope.joins.join(' ')}`;
    const [row] = await run(sql, params.values);
    const fetched = row.fetched as number;
    const texts = merged ? ((row.nodes as string | null) ?? '').split(RS).slice(0, fetched) : [];
    const k1 = (row.k1 as string[] | null | undefined) ?? [];
    const k2 = (row.k2 as string[] | null | undefined) ?? [];
    const kinds = q.sort.kinds;
    const rows = Array.from({ length: fetched }, (_, i) => ({
      json: texts[i] ?? 'null',
      key: (needsKeys ? [kinds[0] === 'timestamp' ? new Date(Number(k1[i])).toISOString() : kinds[0] === 'int' || kinds[0] === 'number' ? Number(k1[i]) : k1[i], k2[i]] : []) as SortValue[],
    }));
    const connection = toConnection({ rows, window: q.window, keyOf: (r) => r.key, totalCount: () => catalogCount(scope, q.where, (row.n as number | undefined) ?? undefined) });
    let counted: ReturnType<typeof facetCounts> | undefined;
    const facetsOf = (sel: Selected) => this.facets((counted ??= facetCounts(scope, q.filter)), sel, run);
    const out: string[] = [];
    for (const s of root.selection) {
      const key = JSON.stringify(s.key);
      switch (s.field) {
        case '__typename':
          out.push(`${key}:"ProductConnection"`);
          break;
        case 'totalCount':
          out.push(`${key}:${await connection.totalCount()}`);
          break;
        case 'pageInfo':
          out.push(`${key}:${JSON.stringify(Object.fromEntries(s.selection.map((f) => [f.key, f.field === '__typename' ? 'PageInfo' : connection.pageInfo[f.field as keyof typeof connection.pageInfo]])))}`);
          break;
        case 'nodes':
          out.push(`${key}:[${connection.nodes.map((n) => n.json).join(',')}]`);
          break;
        case 'edges':
          out.push(`${key}:[${connection.edges.map((e) => `{${s.selection.map((f) => `${JSON.stringify(f.key)}:${f.field === 'cursor' ? JSON.stringify(e.cursor) : f.field === 'node' ? e.node.json : '"ProductEdge"'}`).join(',')}}`).join(',')}]`);
          break;
        case 'facets':
          out.push(`${key}:${await facetsOf(s)}`);
          break;
      }
    }
    return `{${out.join(',')}}`;
  }

  /** `facets`: the counts (facetCounts: exact, or kept for a large set) with their categories and brands, one statement. */
  private async facets(counting: ReturnType<typeof facetCounts>, facets: Selected, run: Run): Promise<string> {
    const counts = await counting;
    const params = new Params();
    const lists: { key: string; sql: string }[] = [];
    const parts = facets.selection.map((f) => {
      if (f.field === '__typename') return `${JSON.stringify(f.key)}:"ProductFacets"`;
      const type = f.field === 'categories' ? 'Category' : 'Brand';
      const rows = counts.filter((c) => c.kind === (type === 'Category' ? 'c' : 'b'));
      const element = `json_build_object(${f.selection
        .map((e) => `${sqlString(e.key)}, ${e.field === 'count' ? 'x.n' : e.field === '__typename' ? sqlString(`${type}Facet`) : facetNodeJson(type, e, 'o')}`)
        .join(', ')})`;
      const from = `unnest(${params.add(rows.map((r) => r.id))}::bigint[], ${params.add(rows.map((r) => r.n))}::int[]) with ordinality as x(id, n, i) join ${type === 'Category' ? 'category' : 'brand'} o on o.id = x.id`;
      lists.push({ key: f.key, sql: `coalesce((select json_agg(${element} order by x.i) from ${from}), '[]'::json)::text` });
      return lists.length - 1;
    });
    const [texts] = lists.length ? await run(`select ${lists.map((l, i) => `${l.sql} as f${i}`).join(', ')}`, params.values) : [{}];
    return `{${parts.map((p) => (typeof p === 'string' ? p : `${JSON.stringify(lists[p].key)}:${texts[`f${p}`] as string}`)).join(',')}}`;
  }
}

/** The SQL scope of one statement: the viewer's parameter is added only when a selected field reads it. */
function sqlScopeOf(currency: string, params: Params, viewer: Viewer | null): SqlScope {
  let added: string | undefined;
  return sqlScope(currency, () => (added ??= `${params.add(viewer?.id ?? null)}::bigint`));
}

/**
 * The signed-in viewer's check as first columns (none when anonymous): `viewer_ok`, resolveViewer's
 * check and no staff role or password change due; `outsider`, a member of no shop.
 */
function viewerCheck(params: Params, viewer: Viewer | null): string {
  if (!viewer) return '';
  const user = `${params.add(viewer.id)}::bigint`;
  return `(select s.revoked_at is null and s.expires_at > now() and u.staff_roles = '{}' and not u.password_change_required
    from auth_session s join users u on u.id = s.user_id where s.id = ${params.add(viewer.session)}::uuid and s.user_id = ${user}) as viewer_ok,
    not exists (select 1 from shop_member m where m.user_id = ${user}) as outsider, `;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A selection's shape (keys, fields, nesting), to tell whether two selections ask the same. */
function shapeOf(selection: Selected[]): string {
  return selection.map((s) => `${s.key}:${s.field}{${shapeOf(s.selection)}}`).join(',');
}

/** The signed-in viewer as their token says (their session is checked in each statement). */
interface Viewer {
  id: string;
  session: string;
}

/** Runs one statement: on a read replica when there is one (the shoppers' catalog pages), or on the primary (`write`: one product, as Apollo reads it). */
type Run = (sql: string, values: unknown[], type?: 'read' | 'write') => Promise<Record<string, unknown>[]>;
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] } | string): Promise<{ rows: Record<string, unknown>[] }>;
  /** node-postgres's record of the statements prepared on this connection (name → text). */
  connection?: { parsedStatements?: Record<string, string> };
}

/** Named statements kept prepared per connection: the busiest texts; the least recently used beyond are deallocated. */
const PREPARED_PER_CONNECTION = 200;
const preparedOn = new WeakMap<PgClient, Map<string, string>>();

/**
 * The name of `sql`'s prepared statement on `connection` (the same on every connection), making
 * room first: each connection keeps at most PREPARED_PER_CONNECTION, so however many different
 * documents clients send, a backend's memory stays bounded.
 */
async function prepared(connection: PgClient, sql: string): Promise<string> {
  let kept = preparedOn.get(connection);
  if (!kept) preparedOn.set(connection, (kept = new Map()));
  const known = kept.get(sql);
  if (known !== undefined) {
    // Most recently used last.
    kept.delete(sql);
    kept.set(sql, known);
    return known;
  }
  while (kept.size >= PREPARED_PER_CONNECTION) {
    const [oldest, oldName] = kept.entries().next().value!;
    kept.delete(oldest);
    const statements = connection.connection?.parsedStatements;
    try {
      if (!statements || oldName in statements) await connection.query(`deallocate ${oldName}`);
    } catch {
      // Already gone (the connection was reset): nothing to free.
    }
    if (statements) delete statements[oldName];
  }
  return `catalog_${createHash('sha1').update(sql).digest('hex').slice(0, 32)}`;
}

