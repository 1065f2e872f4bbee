import type { Context } from '../../context';
import { rowShape, selectRows } from '../../db/rows';
import { ProviderRecordKind } from '../../entities';
import { SETTLEMENT_TIME_ZONE } from './settlements';

/**
 * Reconciliation: the providers' own records of one business day (Asia/Shanghai, like
 * settlements) held against the ledger. A provider's record is what it says happened — a charge
 * taken, a refund sent, a payout paid — and is matched by its reference with the posting that
 * records the same money on our side: a charge with its payment's PAYMENT posting (what it debited
 * to BUYER_PAYMENTS), a refund with its REFUND_SENT posting, a payout with its PAYOUT_PAID posting
 * (what each credited to BUYER_PAYMENTS). A pair is reported on the day of the provider's record,
 * whenever we posted; a posting of the day with no completed provider record at all is missing at
 * the provider. One statement, whatever the day's volume.
 */

export interface ReconciliationItem {
  kind: ProviderRecordKind;
  /** The provider's reference; null for a posting of ours that never got one. */
  reference: string | null;
  /** Minor units, or null when the provider has no completed record. */
  providerAmount: number | null;
  /** Minor units, or null when the ledger has no posting. */
  ledgerAmount: number | null;
  /** The provider's time, else the posting's. */
  at: Date;
}

export interface ReconciliationTotal {
  kind: ProviderRecordKind;
  /** Σ of the report's provider amounts of this kind (minor units). */
  providerAmount: number;
  /** Σ of the report's ledger amounts of this kind (minor units). */
  ledgerAmount: number;
  matched: number;
  missingInLedger: number;
  missingAtProvider: number;
  amountMismatches: number;
}

export interface ReconciliationReport {
  /** The business day, "YYYY-MM-DD". */
  date: string;
  matched: ReconciliationItem[];
  missingInLedger: ReconciliationItem[];
  missingAtProvider: ReconciliationItem[];
  amountMismatches: ReconciliationItem[];
  /** One per kind, in ProviderRecordKind order. */
  totals: ReconciliationTotal[];
}

const ITEM = rowShape({ kind: 'text', reference: 'text?', provider_amount: 'number?', ledger_amount: 'number?', at: 'date' });

/** Which provider record kind each posting kind reconciles with. */
const POSTING_OF = { CHARGE: 'PAYMENT', REFUND: 'REFUND_SENT', PAYOUT: 'PAYOUT_PAID' } as const satisfies Record<ProviderRecordKind, string>;

const RECONCILIATION_SQL = `
  with bounds as (
    select (?::date)::timestamp at time zone '${SETTLEMENT_TIME_ZONE}' as day_from,
           (?::date + 1)::timestamp at time zone '${SETTLEMENT_TIME_ZONE}' as day_to
  ),
  prov as (
    select m.kind, m.reference, m.amount, m.at
    from mock_provider_record m, bounds b
    where m.status = 'DONE' and m.at >= b.day_from and m.at < b.day_to
  ),
  subject as (
    select p.id from ledger_posting p, bounds b
    where p.kind in ('${POSTING_OF.CHARGE}', '${POSTING_OF.REFUND}', '${POSTING_OF.PAYOUT}') and p.at >= b.day_from and p.at < b.day_to
    union
    select p.id from prov join payment x on x.provider_reference = prov.reference join ledger_posting p on p.payment_id = x.id and p.kind = '${POSTING_OF.CHARGE}'
    where prov.kind = 'CHARGE'
    union
    select p.id from prov join refund x on x.provider_reference = prov.reference join ledger_posting p on p.refund_id = x.id and p.kind = '${POSTING_OF.REFUND}'
    where prov.kind = 'REFUND'
    union
    select p.id from prov join payout x on x.provider_reference = prov.reference join ledger_posting p on p.payout_id = x.id and p.payout_attempt = x.attempt and p.kind = '${POSTING_OF.PAYOUT}'
    where prov.kind = 'PAYOUT'
  ),
  ours as (
    select case p.kind when '${POSTING_OF.CHARGE}' then 'CHARGE' when '${POSTING_OF.REFUND}' then 'REFUND' else 'PAYOUT' end as kind,
           coalesce(pay.provider_reference, r.provider_reference, po.provider_reference) as reference,
           p.at,
           (select abs(sum(e.amount)) from ledger_entry e where e.posting_id = p.id and e.account = 'BUYER_PAYMENTS') as amount
    from subject s
    join ledger_posting p on p.id = s.id
    left join payment pay on pay.id = p.payment_id
    left join refund r on r.id = p.refund_id
    left join payout po on po.id = p.payout_id
  )
  select coalesce(prov.kind, ours.kind) as kind, coalesce(prov.reference, ours.reference) as reference,
         prov.amount as provider_amount, ours.amount as ledger_amount, coalesce(prov.at, ours.at) as at
  from prov full join ours on ours.kind = prov.kind and ours.reference = prov.reference
  -- A posting of the day whose provider record completed on another day belongs to that day's report.
  where prov.kind is not null
     or ours.reference is null
     or not exists (select 1 from mock_provider_record m where m.kind = ours.kind and m.reference = ours.reference and m.status = 'DONE')
  order by 5, 1, 2`;

/** Staff FINANCE: the reconciliation of business day `date` ("YYYY-MM-DD", Asia/Shanghai). */
export async function reconcile(ctx: Context, date: string): Promise<ReconciliationReport> {
  const rows = await selectRows(ctx.em, ITEM, RECONCILIATION_SQL, [date, date]);
  const report: ReconciliationReport = { date, matched: [], missingInLedger: [], missingAtProvider: [], amountMismatches: [], totals: [] };
  const totals = new Map(
    Object.values(ProviderRecordKind).map((kind) => [kind, { kind, providerAmount: 0, ledgerAmount: 0, matched: 0, missingInLedger: 0, missingAtProvider: 0, amountMismatches: 0 }]),
  );
  for (const row of rows) {
    const item: ReconciliationItem = { kind: row.kind as ProviderRecordKind, reference: row.reference, providerAmount: row.provider_amount, ledgerAmount: row.ledger_amount, at: row.at };
    const total = totals.get(item.kind)!;
    total.providerAmount += item.providerAmount ?? 0;
    total.ledgerAmount += item.ledgerAmount ?? 0;
    const bucket =
      item.providerAmount === null ? 'missingAtProvider' : item.ledgerAmount === null ? 'missingInLedger' : item.providerAmount === item.ledgerAmount ? 'matched' : 'amountMismatches';
    report[bucket].push(item);
    total[bucket] += 1;
  }
  report.totals = [...totals.values()];
  return report;
}
