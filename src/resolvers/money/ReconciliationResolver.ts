import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import * as money from '../../services/money';
import { money as moneyOf } from '../../services/shared';
import { ReconciliationItem, ReconciliationReport } from '../../schema/money/reconciliation';
import { CalendarDateScalar } from '../../schema/shared/scalars';

@Resolver(() => ReconciliationReport)
export class ReconciliationResolver {
  @Query(() => ReconciliationReport, { description: 'The payment and payout providers’ records of one business day held against the ledger (staff FINANCE).' })
  async reconciliation(@Arg('date', () => CalendarDateScalar, { description: 'The business day, e.g. "2026-12-06", in Asia/Shanghai time.' }) date: string, @Ctx() ctx: Context): Promise<ReconciliationReport> {
    const report = await money.reconcile(ctx, date);
    const currency = ctx.deps.config.currency;
    const amount = (minor: number | null) => (minor === null ? null : moneyOf(minor, currency));
    const items = (list: money.ReconciliationItem[]): ReconciliationItem[] => list.map((i) => ({ ...i, providerAmount: amount(i.providerAmount), ledgerAmount: amount(i.ledgerAmount) }));
    return {
      date: report.date,
      matched: items(report.matched),
      missingInLedger: items(report.missingInLedger),
      missingAtProvider: items(report.missingAtProvider),
      amountMismatches: items(report.amountMismatches),
      totals: report.totals.map((t) => ({ ...t, providerAmount: moneyOf(t.providerAmount, currency), ledgerAmount: moneyOf(t.ledgerAmount, currency) })),
    };
  }
}
