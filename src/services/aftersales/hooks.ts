import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { lockOneWhere, rowShape, selectRows } from '../../db/rows';
import { AfterSaleCase, AfterSaleStatus } from '../../entities';
import { stepCase, TIMER } from './lifecycle';

/**
 * What other domains ask of after-sales, kept apart from the case service (which refunds through
 * the payments domain and steps orders), so orders, payments and money may call it without cycles.
 */

/** SQL condition: the order `orderColumn` names has no case still open (an open case holds its completion and settlement). */
export function noOpenCaseSql(orderColumn: string): string {
  return `not exists (select 1 from after_sale_case asc_open where asc_open.order_id = ${orderColumn} and asc_open.status <> 'CLOSED')`;
}

/** Whether the order has a case not yet closed. */
export async function hasOpenCase(em: EntityManager, orderId: string): Promise<boolean> {
  const [{ open }] = await selectRows(em, rowShape({ open: 'bool' }), `select not ${noOpenCaseSql('?')} as open`, [orderId]);
  return open;
}

/** The provider confirmed a refund: the REFUNDING case it was created for closes REFUNDED. */
export async function caseRefundSettled(em: EntityManager, refundId: string, at: Date, config: Config): Promise<void> {
  const c = await lockOneWhere(em, AfterSaleCase, 'e.refund_id = ? and e.status = ?', [refundId, AfterSaleStatus.REFUNDING]);
  if (c) await stepCase(em, c, 'refunded', TIMER, at, config, 'The refund reached the buyer');
}
