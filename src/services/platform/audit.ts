import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { AuditEntry } from '../../entities';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';

export interface AuditRecord {
  action: string;
  targetType: string;
  targetId: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

/** Writes an audit entry in the caller's unit of work (so it commits or rolls back with the change). */
export function recordAudit(ctx: Context, em: EntityManager, record: AuditRecord): AuditEntry {
  const entry = em.create(AuditEntry, {
    ...record,
    actor: ctx.viewer.userId ? em.getReference('User', ctx.viewer.userId) : undefined,
    requestId: ctx.requestId,
    createdAt: ctx.now(),
  } as never);
  em.persist(entry);
  return entry;
}

/** Filters by database keys: the actor's user id, the target's key. */
export interface AuditFilter {
  actorId?: string | null;
  action?: string | null;
  targetType?: string | null;
  targetId?: string | null;
}

/** The audit log, newest first, filtered by actor, action or target; every filter is indexed. */
export async function listAuditLog(ctx: Context, args: PageArgs & { filter?: AuditFilter | null }): Promise<Page<AuditEntry>> {
  const window = pageWindow(args, ['id']);
  const f = args.filter ?? {};
  const base = () => {
    const qb = ctx.em.createQueryBuilder(AuditEntry, 'e');
    if (f.actorId) qb.andWhere({ actor: f.actorId });
    if (f.action) qb.andWhere({ action: f.action });
    if (f.targetType) qb.andWhere({ targetType: f.targetType });
    if (f.targetId) qb.andWhere({ targetId: f.targetId });
    return qb;
  };
  const rows = await applyKeyset(base(), [{ column: 'e.id', direction: 'desc' }], window).getResultList();
  return page(rows, window, (e) => [e.id], () => base().getCount());
}
