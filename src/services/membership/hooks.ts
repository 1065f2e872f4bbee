import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { earnOnCompletion } from './points';
import { rewardReferrals } from './referrals';
import { upgradeOnCompletion } from './standing';

/**
 * What membership does when orders complete, in the transaction that completes them (a batch of
 * `complete-orders`), each step one set-based statement for the whole batch: the buyers earn their
 * points at the level they hold, then move up to the level their spend now reaches, then referrals
 * whose invitee's first order this is reward both sides.
 */
export async function onOrdersCompleted(em: EntityManager, orderIds: string[], at: Date, config: Config): Promise<void> {
  if (orderIds.length === 0) return;
  await earnOnCompletion(em, orderIds, at, config);
  await upgradeOnCompletion(em, orderIds, at, config);
  await rewardReferrals(em, orderIds, at, config);
}
