import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { type AppDeps, type Context, createContext } from './context';
import { isBigintKey } from './db/keyset';
import { decodeId, parseGlobalId } from './schema/shared/globalId';
import { type MetricFigures, type MetricGranularity, type MetricScope, type MetricSeriesResult, metricSeries } from './services/analytics';
import { SETTLEMENT_TIME_ZONE, settlementStatement, type SettlementLineRow } from './services/money';
import { money } from './services/shared';

/**
 * File exports over plain HTTP, for people who open them in a spreadsheet. The same bearer token
 * and the same visibility rules as the API.
 *
 * `GET /exports/settlements/<settlement global ID>.csv`: a settlement's statement as CSV (RFC 4180,
 * UTF-8 with a byte-order mark so Excel reads Chinese text): a header row, one row per line oldest
 * first, and a totals row. 401 without a valid token, 404 for an unknown settlement or another
 * shop's, 403 for a member of the shop whose role may not see its money.
 *
 * `GET /exports/metrics.csv?scope=platform|shop:<shop global ID>|category:<category global ID>
 * &from=YYYY-MM-DD&to=YYYY-MM-DD[&granularity=day|week|month]`: a KPI series as CSV, the same
 * numbers as the `platformMetrics`, `shopMetrics` and `categoryMetrics` queries' points (one row per
 * point, oldest first) and their totals (a last row), with the same access rules. 400 (JSON, naming
 * the `field`) for a missing or malformed parameter, a reversed range or one over 731 days; 401
 * without a valid token; 403 for a role that may not read the scope; 404 for an unknown shop or
 * category.
 */

const HEADER = ['Date (Asia/Shanghai)', 'Order number', 'Kind', 'Gross', 'Shop discount', 'Platform discount', 'Commission', 'Refund', 'Adjustment', 'Net', 'Note'];

/** A cell: text a spreadsheet would run as a formula is made text with a leading apostrophe; quoted when needed (RFC 4180). */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvRow(cells: string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

const dateTime = new Intl.DateTimeFormat('sv-SE', { timeZone: SETTLEMENT_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const dateOnly = new Intl.DateTimeFormat('sv-SE', { timeZone: SETTLEMENT_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The statement as CSV text, with its byte-order mark. */
export function statementCsv(lines: SettlementLineRow[], currency: string): string {
  const amount = (minor: number) => money(minor, currency).amount;
  const figures = (l: Pick<SettlementLineRow, 'gross' | 'shopDiscount' | 'platformDiscount' | 'commission' | 'refund' | 'adjustment' | 'net'>) =>
    [l.gross, l.shopDiscount, l.platformDiscount, l.commission, l.refund, l.adjustment, l.net].map(amount);
  const total = { gross: 0, shopDiscount: 0, platformDiscount: 0, commission: 0, refund: 0, adjustment: 0, net: 0 };
  let body = `\uFEFF${csvRow(HEADER)}`;
  for (const l of lines) {
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += l[k];
    body += csvRow([dateTime.format(l.at), l.orderNumber ?? '', l.kind, ...figures(l), l.memo ?? '']);
  }
  return body + csvRow(['Total', '', '', ...figures(total), '']);
}

/** One column of the metrics CSV: its header and how a point's figures fill it. */
type MetricColumn = [header: string, cell: (f: MetricFigures, amount: (minor: number) => string) => string | number];

/** The columns after the dates, in the order of the GraphQL MetricValues fields (see their definitions there). */
const METRIC_COLUMNS: MetricColumn[] = [
  ['Orders', (f) => f.orders],
  ['Paid orders', (f) => f.paidOrders],
  ['Cancelled orders', (f) => f.cancelledOrders],
  ['Units', (f) => f.units],
  ['GMV', (f, a) => a(f.gmv)],
  ['Refunds', (f, a) => a(f.refunds)],
  ['Net sales', (f, a) => a(f.netSales)],
  ['Average order value', (f, a) => a(f.averageOrderValue)],
  ['Commission', (f, a) => a(f.commission)],
  ['Shop promotion cost', (f, a) => a(f.shopPromotionCost)],
  ['Platform promotion cost', (f, a) => a(f.platformPromotionCost)],
  ['Promotion cost', (f, a) => a(f.promotionCost)],
  ['Buyers', (f) => f.buyers],
  ['New buyers', (f) => f.newBuyers],
  ['Repeat buyers', (f) => f.repeatBuyers],
  ['Visitors', (f) => f.visitors],
  ['Product viewers', (f) => f.productViewers],
  ['Cart users', (f) => f.cartUsers],
  ['Product views', (f) => f.productViews],
  ['Searches', (f) => f.searches],
  ['Add to carts', (f) => f.addToCarts],
  ['Shares', (f) => f.shares],
  ['After-sale cases', (f) => f.afterSales],
  ['Refunded orders', (f) => f.refundedOrders],
  ['Coupon redemptions', (f) => f.couponRedemptions],
  ['Conversion rate', (f) => f.conversionRate],
  ['Cart abandonment rate', (f) => f.cartAbandonmentRate],
  ['Refund rate', (f) => f.refundRate],
  ['After-sale rate', (f) => f.afterSaleRate],
];

/**
 * A series as CSV text with its byte-order mark: a header, a row per point (its first and last day
 * inside the range) and a Total row over the range (people counted once over it, as `totals`).
 * Money as decimal amounts, rates as the API's numbers.
 */
export function metricsCsv(series: MetricSeriesResult, currency: string): string {
  const amount = (minor: number) => money(minor, currency).amount;
  const cells = (f: MetricFigures) => METRIC_COLUMNS.map(([, cell]) => String(cell(f, amount)));
  let body = `\uFEFF${csvRow(['Date (Asia/Shanghai)', 'End date', ...METRIC_COLUMNS.map(([header]) => header)])}`;
  for (const point of series.points) body += csvRow([point.date, point.endDate, ...cells(point)]);
  return body + csvRow(['Total', '', ...cells(series.totals)]);
}

const GRANULARITIES: Record<string, MetricGranularity> = { day: 'DAY', week: 'WEEK', month: 'MONTH' };

/** The scope a `scope` parameter names (database keys); null when it is none of the three forms; NOT_FOUND for a malformed ID. */
function metricScopeOf(value: string): MetricScope | null {
  if (value === 'platform') return { kind: 'PLATFORM' };
  const [kind, id, ...rest] = value.split(':');
  if (rest.length > 0 || !id) return null;
  if (kind === 'shop') return { kind: 'SHOP', shopId: decodeId('Shop', id) };
  if (kind === 'category') return { kind: 'CATEGORY', categoryId: decodeId('Category', id) };
  return null;
}

/**
 * The viewer's context from the bearer token, or null once a 401 is sent (no token, or a bad one)
 * or a 403 (risk control requires a password change first, as for the GraphQL API).
 */
async function signedInContext(opts: { orm: MikroORM; deps: AppDeps }, request: FastifyRequest, reply: FastifyReply): Promise<Context | null> {
  if (!request.headers.authorization) {
    await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Sign in to download this' });
    return null;
  }
  try {
    const ctx = await createContext(opts.deps, opts.orm.em.fork(), {
      id: request.id,
      log: request.log,
      ip: request.ip,
      authorization: request.headers.authorization,
      userAgent: request.headers['user-agent'],
    });
    if (ctx.viewer.user?.passwordChangeRequired) {
      await reply.code(403).send({ error: 'Change your password (changePassword) before anything else', code: 'PASSWORD_CHANGE_REQUIRED' });
      return null;
    }
    return ctx;
  } catch (err) {
    if (err instanceof GraphQLError && err.extensions.code === 'UNAUTHENTICATED') {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: err.message });
      return null;
    }
    throw err;
  }
}

export async function exportRoutes(http: FastifyInstance, opts: { orm: MikroORM; deps: AppDeps }): Promise<void> {
  http.get<{ Params: { file: string } }>('/exports/settlements/:file', async (request, reply) => {
    const ctx = await signedInContext(opts, request, reply);
    if (!ctx) return reply;
    const parsed = parseGlobalId(request.params.file.replace(/\.csv$/, ''));
    if (!request.params.file.endsWith('.csv') || parsed?.type !== 'Settlement' || !isBigintKey(parsed.key)) return reply.code(404).send({ error: 'No such settlement' });
    let statement;
    try {
      statement = await settlementStatement(ctx, parsed.key);
    } catch (err) {
      const code = err instanceof GraphQLError ? err.extensions.code : undefined;
      if (code === 'NOT_FOUND') return reply.code(404).send({ error: 'No such settlement' });
      if (code === 'FORBIDDEN') return reply.code(403).send({ error: 'Your role may not see this shop’s money' });
      throw err;
    }
    const filename = `settlement-${statement.shop.slug}-${dateOnly.format(statement.settlement.periodStart)}.csv`;
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${filename}"`)
      .header('cache-control', 'private, no-store')
      .send(statementCsv(statement.lines, opts.deps.config.currency));
  });

  http.get<{ Querystring: Record<string, unknown> }>('/exports/metrics.csv', async (request, reply) => {
    const ctx = await signedInContext(opts, request, reply);
    if (!ctx) return reply;
    const { scope, from, to, granularity = 'day' } = request.query;
    const bad = (field: string, error: string) => reply.code(400).send({ error, field });
    if (typeof scope !== 'string') return bad('scope', 'Give `scope`: platform, shop:<shop ID> or category:<category ID>');
    if (typeof from !== 'string') return bad('from', 'Give `from`, a day such as 2026-12-01');
    if (typeof to !== 'string') return bad('to', 'Give `to`, a day such as 2026-12-31');
    const unit = typeof granularity === 'string' ? GRANULARITIES[granularity.toLowerCase()] : undefined;
    if (!unit) return bad('granularity', '`granularity` is day, week or month');
    let series: MetricSeriesResult;
    try {
      const target = metricScopeOf(scope);
      if (!target) return bad('scope', '`scope` is platform, shop:<shop ID> or category:<category ID>');
      series = await metricSeries(ctx, target, from, to, unit);
    } catch (err) {
      const code = err instanceof GraphQLError ? err.extensions.code : undefined;
      if (code === 'BAD_USER_INPUT') return bad(String((err as GraphQLError).extensions.field), (err as GraphQLError).message);
      if (code === 'NOT_FOUND') return reply.code(404).send({ error: `No such ${scope.split(':')[0]}` });
      if (code === 'FORBIDDEN') return reply.code(403).send({ error: 'Your role may not read these figures' });
      throw err;
    }
    const name = series.scope.kind === 'PLATFORM' ? 'platform' : series.scope.kind === 'SHOP' ? `shop-${(await ctx.loaders.shopById.load(series.scope.shopId))!.slug}` : `category-${(await ctx.loaders.categoryById.load(series.scope.categoryId))!.slug}`;
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="metrics-${name}-${from}-${to}-${unit.toLowerCase()}.csv"`)
      .header('cache-control', 'private, no-store')
      .send(metricsCsv(series, opts.deps.config.currency));
  });
}
