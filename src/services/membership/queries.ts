import type { Context } from '../../context';
import { keysetClause, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { columnsOf, entityWhere, unmanaged } from '../../db/rows';
import { PointsEntry } from '../../entities';

/** The viewer's points entries, newest first (keyset on the id: `points_entry_user_idx`). */
export async function myPoints(ctx: Context, args: PageArgs): Promise<Page<PointsEntry>> {
  const userId = ctx.viewer.userId!;
  const window = pageWindow(args, ['id']);
  const keyset = keysetClause([{ column: 'e.id', direction: 'desc' }], window);
  const order = Object.entries(keyset.orderBy).map(([c, d]) => `${c} ${d}`).join(', ');
  const rows = await ctx.em.execute<Record<string, unknown>[]>(
    `select ${columnsOf(ctx.em, PointsEntry, 'e')} from points_entry e where e.user_id = ? ${keyset.where ? `and ${keyset.where.sql}` : ''} order by ${order} limit ?`,
    [userId, ...(keyset.where?.params ?? []), window.limit],
  );
  // Rendered only: unmanaged instances.
  const entries = rows.map((row) => unmanaged(ctx.em, PointsEntry, row));
  return page(entries, window, (e) => [e.id], async () => {
    const [row] = await ctx.em.execute<{ n: number }[]>('select count(*)::int as n from points_entry where user_id = ?', [userId]);
    return row.n;
  });
}

/** One of the viewer's own points entries by key (`node(id)`); anyone else's is null. */
export async function visiblePointsEntry(ctx: Context, key: string): Promise<PointsEntry | null> {
  if (!ctx.viewer.userId) return null;
  return entityWhere(ctx.em, PointsEntry, 'e.id = ? and e.user_id = ?', [key, ctx.viewer.userId]);
}
