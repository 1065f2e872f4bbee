import type { Context } from '../../context';
import { columnsOf, entityWhere, selectRows, rowShape, unmanaged } from '../../db/rows';
import { keysetClause, type Page, type PageArgs, page, pageWindow } from '../../db/keyset';
import { Notification, NotificationKind } from '../../entities';
import { Failure, NotFoundError, UserErrorCode } from '../../errors';
import { DEFAULT_CHANNELS } from './templates';

/** Most notifications one `markNotificationsRead` may name. */
export const MAX_MARK_READ = 100;

export interface ChannelChoice {
  kind: NotificationKind;
  inbox: boolean;
  email: boolean;
  sms: boolean;
}

/** The viewer's notifications, newest first, optionally only the unread (or only the read) ones. */
export async function myNotifications(ctx: Context, filter: { unread?: boolean | null } | null | undefined, args: PageArgs): Promise<Page<Notification>> {
  const userId = ctx.viewer.userId!;
  const window = pageWindow(args, ['id']);
  const keyset = keysetClause([{ column: 'e.id', direction: 'desc' }], window);
  const order = Object.entries(keyset.orderBy).map(([c, d]) => `${c} ${d}`).join(', ');
  const readFilter = filter?.unread === true ? 'and e.read_at is null' : filter?.unread === false ? 'and e.read_at is not null' : '';
  const rows = await ctx.em.execute<Record<string, unknown>[]>(
    `select ${columnsOf(ctx.em, Notification, 'e')} from notification e where e.user_id = ? ${readFilter} ${keyset.where ? `and ${keyset.where.sql}` : ''} order by ${order} limit ?`,
    [userId, ...(keyset.where?.params ?? []), window.limit],
  );
  const notifications = rows.map((row) => unmanaged(ctx.em, Notification, row));
  return page(notifications, window, (n) => [n.id], async () => {
    const [row] = await ctx.em.execute<{ n: number }[]>(`select count(*)::int as n from notification e where e.user_id = ? ${readFilter}`, [userId]);
    return row.n;
  });
}

/** How many of the viewer's notifications are unread (served by a partial index on unread rows). */
export async function unreadNotificationCount(ctx: Context): Promise<number> {
  const [row] = await ctx.em.execute<{ n: number }[]>('select count(*)::int as n from notification where user_id = ? and read_at is null', [ctx.viewer.userId!]);
  return row.n;
}

/** One of the viewer's own notifications by key (`node(id)`); anyone else's is null. */
export function visibleNotification(ctx: Context, key: string): Promise<Notification | null> {
  if (!ctx.viewer.userId) return Promise.resolve(null);
  return entityWhere(ctx.em, Notification, 'e.id = ? and e.user_id = ?', [key, ctx.viewer.userId]);
}

/**
 * Marks the given notifications of the viewer read, or all their unread ones when `ids` is null.
 * An ID that is not one of theirs is NOT_FOUND and nothing changes. Marking a read one again is
 * harmless (it keeps its first `readAt`).
 */
export async function markNotificationsRead(ctx: Context, ids: string[] | null | undefined): Promise<{ marked: number; unreadCount: number }> {
  const userId = ctx.viewer.userId!;
  const now = ctx.now();
  if (ids) {
    if (ids.length === 0 || ids.length > MAX_MARK_READ) throw new Failure(UserErrorCode.INVALID_INPUT, `Name 1 to ${MAX_MARK_READ} notifications, or none (null) for all`, ['input', 'ids']);
    const unique = [...new Set(ids)];
    const owned = await selectRows(ctx.em, rowShape({ id: 'key' }), 'select id from notification where user_id = ? and id in (?)', [userId, unique]);
    if (owned.length !== unique.length) throw new NotFoundError('No notification with this ID');
  }
  const [row] = await ctx.em.execute<{ marked: number; unread: number }[]>(
    `with marked as (
       update notification set read_at = ? where user_id = ? and read_at is null ${ids ? 'and id in (?)' : ''} returning 1)
     select (select count(*)::int from marked) as marked,
            (select count(*)::int from notification where user_id = ? and read_at is null) - (select count(*)::int from marked) as unread`,
    ids ? [now, userId, [...new Set(ids)], userId] : [now, userId, userId],
  );
  return { marked: row.marked, unreadCount: row.unread };
}

/** The viewer's channels for every kind: what they chose, the kind's defaults where they did not. */
export async function notificationPreferences(ctx: Context): Promise<ChannelChoice[]> {
  const rows = await selectRows(ctx.em, rowShape({ kind: 'text', inbox: 'bool', email: 'bool', sms: 'bool' }), 'select kind, inbox, email, sms from notification_preference where user_id = ?', [ctx.viewer.userId!]);
  const chosen = new Map(rows.map((r) => [r.kind, r]));
  return Object.values(NotificationKind).map((kind) => {
    const c = chosen.get(kind) ?? DEFAULT_CHANNELS[kind];
    return { kind, inbox: c.inbox, email: c.email, sms: c.sms };
  });
}

/** Sets the viewer's channels for the kinds given (each at most once); the others keep theirs. */
export async function updateNotificationPreferences(ctx: Context, input: ChannelChoice[]): Promise<ChannelChoice[]> {
  const seen = new Set<string>();
  input.forEach((choice, i) => {
    if (seen.has(choice.kind)) throw new Failure(UserErrorCode.INVALID_INPUT, 'Each kind at most once', ['input', String(i), 'kind']);
    seen.add(choice.kind);
  });
  if (input.length > 0) {
    await ctx.em.execute(
      `insert into notification_preference (user_id, kind, inbox, email, sms, updated_at)
       select ?, p.kind, p.inbox, p.email, p.sms, ? from jsonb_to_recordset(?::jsonb) as p(kind text, inbox boolean, email boolean, sms boolean)
       on conflict (user_id, kind) do update set inbox = excluded.inbox, email = excluded.email, sms = excluded.sms, updated_at = excluded.updated_at`,
      [ctx.viewer.userId!, ctx.now(), JSON.stringify(input.map(({ kind, inbox, email, sms }) => ({ kind, inbox, email, sms })))],
    );
  }
  return notificationPreferences(ctx);
}
