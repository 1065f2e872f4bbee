import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { RiskEvent, type RiskEventKind } from '../../entities';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';

export interface RiskEventInput {
  kind: RiskEventKind;
  userId?: string | null;
  ip?: string | null;
  deviceId?: string | null;
  region?: string | null;
  detail?: Record<string, unknown>;
  at: Date;
}

/**
 * Appends risk events in one statement, in `em`'s transaction when it has one (a held order's
 * event commits or rolls back with the payment). For a refusal, pass the request's own
 * EntityManager after the refused transaction rolled back, so the event is kept.
 */
export async function recordRiskEvents(em: EntityManager, events: RiskEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await em.execute(
    `insert into risk_event (kind, user_id, ip, device_id, region, detail, at)
     select * from unnest(array[?]::text[], array[?]::bigint[], array[?]::text[], array[?]::text[], array[?]::text[], array[?]::jsonb[], array[?]::timestamptz[])`,
    [
      events.map((e) => e.kind),
      events.map((e) => e.userId ?? null),
      events.map((e) => e.ip ?? null),
      events.map((e) => e.deviceId ?? null),
      events.map((e) => e.region ?? null),
      events.map((e) => JSON.stringify(e.detail ?? {})),
      events.map((e) => e.at),
    ],
  );
}

/** Filters of the risk event log, by database keys. */
export interface RiskEventFilter {
  kind?: RiskEventKind | null;
  userId?: string | null;
  /** Only events at or after this time. */
  since?: Date | null;
}

/** Risk events newest first (keyset on at, id; each filter has its index), for staff RISK. */
export async function listRiskEvents(ctx: Context, args: PageArgs & { filter?: RiskEventFilter | null }): Promise<Page<RiskEvent>> {
  const window = pageWindow(args, ['timestamp', 'id']);
  const f = args.filter ?? {};
  const where: Record<string, unknown> = {};
  if (f.kind) where.kind = f.kind;
  if (f.userId) where.user = f.userId;
  if (f.since) where.at = { $gte: f.since };
  const keys = [
    { column: 'e.at', direction: 'desc' as const },
    { column: 'e.id', direction: 'desc' as const },
  ];
  const rows = await applyKeyset(ctx.em.createQueryBuilder(RiskEvent, 'e').select('*').where(where), keys, window).getResultList();
  return page(rows, window, (e) => [e.at.toISOString(), e.id], () => ctx.em.count(RiskEvent, where));
}
