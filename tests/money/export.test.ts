import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Order, ShopMemberRole as M, StaffRole } from '../../src/entities';
import { refundOrder } from '../../src/services/payments';
import { ManualClock } from '../../src/services/shared';
import { createTestApp, type TestApp } from '../helpers/app';
import { staff } from '../helpers/catalog';
import { idOf, keyOf, okPayload } from '../helpers/kit';
import { type Scenario, scenario } from '../helpers/scenario';

/** `GET /exports/settlements/<id>.csv`: a settlement's statement for a spreadsheet. */

const MINUTE = 60_000;
const clock = new ManualClock(new Date('2031-05-05T02:00:00Z'));
const SETTLEMENTS = `query($filter: SettlementFilter) { settlements(filter: $filter) { nodes { id periodStart } } }`;
const ADJUST = `mutation($input: AdjustSettlementInput!) { adjustSettlement(input: $input) { settlement { id } errors { code } } }`;
const RUN_TASK = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { lastResult } errors { code } } }`;
const FORMULA_REASON = '=HYPERLINK("http://evil.example","點我"), then "more"';

let t: TestApp;
let finance: string;
let s: Scenario;
let other: Scenario;
let settlementId: string;
let periodStart: string;

const download = (id: string, token?: string | null, suffix = '.csv') =>
  t.app.http.inject({ method: 'GET', url: `/exports/settlements/${id}${suffix}`, headers: token === undefined ? {} : { authorization: `Bearer ${token ?? 'not-a-token'}` } });

/** A time as the statement writes it: Asia/Shanghai, UTC+8 all year. */
const shanghai = (at: Date | string) => new Date(new Date(at).getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');

beforeAll(async () => {
  t = await createTestApp({ SETTLEMENT_PERIOD: 'CONTINUOUS', AFTER_SALES_DAYS: '7' }, { clock });
  const admin = (await staff(t, StaffRole.ADMIN)).token;
  finance = (await staff(t, StaffRole.FINANCE)).token;
  s = await scenario(t).shop({ members: [M.FINANCE, M.MANAGER] }).product({ price: 10000 }).buyer().inCart(1).completed().run();
  other = await scenario(t).shop().run();
  await t.orm.em.fork().transactional(async (em) => {
    await refundOrder(em, await em.findOneOrFail(Order, { id: s.order.key }), '退貨：尺寸不合', clock.now(), 3000);
  });
  okPayload(await t.gql(ADJUST, { input: { shopId: s.shop.shopId, amount: '-2.00', reason: FORMULA_REASON } }, { token: finance }), 'adjustSettlement');
  clock.advance(MINUTE);
  okPayload(await t.gql(RUN_TASK, { input: { name: 'close-settlements' } }, { token: admin }), 'runScheduledTask');
  [{ id: settlementId, periodStart }] = (await t.gql(SETTLEMENTS, { filter: { shopId: s.shop.shopId } }, { token: finance })).data!.settlements.nodes;
});
afterAll(() => t.close());

describe('the settlement CSV export', () => {
  it('writes a UTF-8 CSV with a byte-order mark: a header, a row per line in Shanghai time, and a totals row', async () => {
    const res = await download(settlementId, s.shop.owner.token);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="settlement-${s.shop.shop.slug}-${shanghai(periodStart).slice(0, 10)}.csv"`);
    expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);

    const postings = await t.sql(`select kind, at from ledger_posting where id in (select posting_id from ledger_entry where settlement_id = ?) order by at, id`, [keyOf(settlementId)]);
    const [paidAt, refundedAt, adjustedAt] = postings.map((p) => shanghai(p.at));
    const body = res.rawPayload.subarray(3).toString('utf8');
    expect(body.split('\r\n')).toEqual([
      'Date (Asia/Shanghai),Order number,Kind,Gross,Shop discount,Platform discount,Commission,Refund,Adjustment,Net,Note',
      `${paidAt},${s.order.number},PAYMENT,100.00,0.00,0.00,5.00,0.00,0.00,95.00,`,
      `${refundedAt},${s.order.number},REFUND,0.00,0.00,0.00,-1.50,30.00,0.00,-28.50,退貨：尺寸不合`,
      // Formula-looking text is made text ('), and quotes are doubled inside a quoted field.
      `${adjustedAt},,ADJUSTMENT,0.00,0.00,0.00,0.00,0.00,-2.00,-2.00,"'=HYPERLINK(""http://evil.example"",""點我""), then ""more"""`,
      'Total,,,100.00,0.00,0.00,3.50,30.00,-2.00,64.50,',
      '',
    ]);
    expect(postings.map((p) => p.kind)).toEqual(['PAYMENT', 'REFUND', 'ADJUSTMENT']);
  });

  it('serves the shop’s FINANCE members and staff FINANCE the same file', async () => {
    const owner = await download(settlementId, s.shop.owner.token);
    for (const token of [s.shop.members.FINANCE!.token, finance]) {
      const res = await download(settlementId, token);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(owner.body);
    }
  });

  it('answers 401 without a token or with a bad one', async () => {
    for (const token of [undefined, null]) {
      const res = await download(settlementId, token);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).not.toContain('Total');
    }
  });

  it('answers 404 for another shop’s settlement, an unknown one or a malformed path, and 403 to a role that may not see money', async () => {
    expect((await download(settlementId, other.shop.owner.token)).statusCode).toBe(404);
    expect((await download(settlementId, s.buyer.token)).statusCode).toBe(404);
    expect((await download(idOf('Settlement', '999999999'), finance)).statusCode).toBe(404);
    expect((await download(s.shop.shopId, finance)).statusCode).toBe(404);
    expect((await download(settlementId, finance, '.xlsx')).statusCode).toBe(404);
    expect((await download(settlementId, s.shop.members.MANAGER!.token)).statusCode).toBe(403);
  });
});
