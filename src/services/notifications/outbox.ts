import type { EntityManager } from '@mikro-orm/postgresql';
import type { NotificationKind } from '../../entities';

export interface DomainEvent {
  type: NotificationKind;
  /** The shop whose members (by role) and webhooks hear of it. */
  shopId?: string | null;
  /** The one person it concerns directly. */
  userId?: string | null;
  /** The GraphQL type of its subject; the subject's global ID is built from it and `subjectId`. */
  subjectType: string;
  subjectId: string;
  data?: Record<string, unknown>;
  /** The business clock's time of the change. */
  at: Date;
}

/**
 * Writes domain events to the outbox on `em`'s connection: call it inside the transaction of the
 * change, so the events exist exactly when the change does. Most events are written by triggers on
 * their source tables (see the notifications migration); this is for changes that have no row of
 * their own to trigger on.
 */
export async function emitEvent(em: EntityManager, ...events: DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await em.execute(
    `insert into outbox_event (type, shop_id, user_id, subject_type, subject_id, data, created_at)
     select e.type, e.shop_id, e.user_id, e.subject_type, e.subject_id, e.data, e.created_at
     from jsonb_to_recordset(?::jsonb) as e(type text, shop_id bigint, user_id bigint, subject_type text, subject_id bigint, data jsonb, created_at timestamptz)`,
    [
      JSON.stringify(
        events.map((e) => ({
          type: e.type,
          shop_id: e.shopId ?? null,
          user_id: e.userId ?? null,
          subject_type: e.subjectType,
          subject_id: e.subjectId,
          data: e.data ?? {},
          created_at: e.at.toISOString(),
        })),
      ),
    ],
  );
}
