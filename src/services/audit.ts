import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../context';
import { AuditEntry } from '../entities';

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
    createdAt: new Date(),
  } as never);
  em.persist(entry);
  return entry;
}
