import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { GraphQLError } from 'graphql';
import { type AppDeps, createContext } from './context';
import { isBigintKey } from './db/keyset';
import { parseGlobalId } from './schema/shared/globalId';
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

export async function exportRoutes(http: FastifyInstance, opts: { orm: MikroORM; deps: AppDeps }): Promise<void> {
  http.get<{ Params: { file: string } }>('/exports/settlements/:file', async (request, reply) => {
    if (!request.headers.authorization) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Sign in to download this' });
    let ctx;
    try {
      ctx = await createContext(opts.deps, opts.orm.em.fork(), {
        id: request.id,
        log: request.log,
        ip: request.ip,
        authorization: request.headers.authorization,
        userAgent: request.headers['user-agent'],
      });
    } catch (err) {
      if (err instanceof GraphQLError && err.extensions.code === 'UNAUTHENTICATED') return reply.code(401).header('www-authenticate', 'Bearer').send({ error: err.message });
      throw err;
    }
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
}
