import type { EntityManager } from '@mikro-orm/postgresql';
import { lockKeys, rowShape, selectRows } from '../../db/rows';
import { Group, GroupStatus } from '../../entities';
import { Failure, UserErrorCode } from '../../errors';

/**
 * What other modules ask of group buys (拼團) without importing the group-buy service (which places
 * orders through the orders domain): whether an order waits for its group (orders), the payment
 * webhook's hook that forms groups (payments), and the members of groups (loaders). SQL only, so
 * no import cycle.
 */

const ORDER = rowShape({ order_id: 'key' });

/** The orders among `orderIds` that belong to a group not FORMED: the merchant may not accept or ship them yet. */
export async function ordersAwaitingGroup(em: EntityManager, orderIds: readonly string[]): Promise<Set<string>> {
  if (orderIds.length === 0) return new Set();
  const rows = await selectRows(
    em,
    ORDER,
    `select m.order_id from group_member m join buy_group g on g.id = m.group_id where m.order_id in (?) and g.status <> '${GroupStatus.FORMED}'`,
    [[...orderIds]],
  );
  return new Set(rows.map((r) => r.order_id));
}

/**
 * GROUP_NOT_FORMED (on `field`) when the order belongs to a group that has not formed. Read
 * without a lock: the caller holds the order's, and a group never leaves FORMED, so a group read
 * as forming at worst formed a moment later (the merchant tries again).
 */
export async function refuseUnformedGroup(em: EntityManager, orderId: string, field: string[]): Promise<void> {
  if ((await ordersAwaitingGroup(em, [orderId])).size > 0) {
    throw new Failure(UserErrorCode.GROUP_NOT_FORMED, 'This order belongs to a group buy that has not formed yet: it can be accepted and shipped once the group forms', field);
  }
}

/**
 * The payment webhook's hook, in its transaction, once `orderIds` are PAID (flushed): each FORMING
 * group of theirs, not past its `expiresAt`, whose paid and not cancelled member orders reach its
 * size is FORMED at `at`. The groups are locked in id order first, in a statement of their own, so
 * two members paying at once take turns and the second sees the first's payment. Returns the
 * groups formed.
 */
export async function formGroups(em: EntityManager, orderIds: readonly string[], at: Date): Promise<number> {
  if (orderIds.length === 0) return 0;
  const groups = await lockKeys(em, Group, {
    subquery: `select m.group_id from group_member m join buy_group g on g.id = m.group_id where m.order_id in (?) and g.status = '${GroupStatus.FORMING}'`,
    params: [[...orderIds]],
  });
  if (groups.length === 0) return 0;
  const formed = await selectRows(
    em,
    rowShape({ id: 'key' }),
    `update buy_group g set status = '${GroupStatus.FORMED}', settled_at = ?, updated_at = ?
     where g.id in (?) and g.status = '${GroupStatus.FORMING}' and g.expires_at > ?
       and g.size <= (select count(*) from group_member m join orders o on o.id = m.order_id
                      where m.group_id = g.id and o.paid_at is not null and o.status <> 'CANCELLED')
     returning g.id`,
    [at, at, groups, at],
  );
  return formed.length;
}

/** A member as a group shows them. */
export interface GroupMemberRow {
  groupId: string;
  userId: string;
  joinedAt: Date;
  paid: boolean;
}

const MEMBER = rowShape({ group_id: 'key', user_id: 'key', joined_at: 'date', paid: 'bool' });

/**
 * The members of each group (the rows of a DataLoader), earliest first: those whose order is not
 * cancelled; of a FAILED group, those whose order its failure cancelled (they were in it then).
 */
export async function membersOfGroups(em: EntityManager, groupIds: readonly string[]): Promise<GroupMemberRow[][]> {
  const rows = await selectRows(
    em,
    MEMBER,
    `select m.group_id, m.user_id, m.joined_at, o.paid_at is not null as paid
     from group_member m join orders o on o.id = m.order_id join buy_group g on g.id = m.group_id
     where m.group_id in (?) and (o.status <> 'CANCELLED' or (g.status = '${GroupStatus.FAILED}' and o.cancelled_at >= g.settled_at))
     order by m.group_id, m.joined_at, m.id`,
    [[...groupIds]],
  );
  const byGroup = new Map<string, GroupMemberRow[]>(groupIds.map((id) => [id, []]));
  for (const r of rows) byGroup.get(r.group_id)?.push({ groupId: r.group_id, userId: r.user_id, joinedAt: r.joined_at, paid: r.paid });
  return groupIds.map((id) => byGroup.get(id)!);
}
