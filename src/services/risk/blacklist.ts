import { isIP } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { BlacklistAction, BlacklistEntry, BlacklistKind, RiskEventKind } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { recordAudit } from '../platform';
import { charLength, guardUnique } from '../shared';
import { normaliseBlacklistValue } from './normalise';
import { clientAddress, regionOf } from './signals';

export const MAX_BLACKLIST_REASON = 500;

export interface BlacklistFilter {
  kind?: BlacklistKind | null;
  action?: BlacklistAction | null;
  /** Part of the value or of the reason, any case. */
  search?: string | null;
  /** Also entries whose expiresAt has passed (default: only those in force). */
  includeExpired?: boolean | null;
}

/** Blacklist entries, newest first; in force only unless `includeExpired`. */
export async function listBlacklist(ctx: Context, args: PageArgs & { filter?: BlacklistFilter | null }): Promise<Page<BlacklistEntry>> {
  const window = pageWindow(args, ['id']);
  const f = args.filter ?? {};
  const search = f.search?.trim().toLowerCase();
  const base = () => {
    const qb = ctx.em.createQueryBuilder(BlacklistEntry, 'b');
    if (f.kind) qb.andWhere({ kind: f.kind });
    if (f.action) qb.andWhere({ action: f.action });
    if (!f.includeExpired) qb.andWhere('(b.expires_at is null or b.expires_at > ?)', [ctx.now()]);
    if (search) {
      const pattern = `%${search.replace(/[\\%_]/g, '\\$&')}%`;
      qb.andWhere('(b.value like ? or lower(b.reason) like ?)', [pattern, pattern]);
    }
    return qb;
  };
  const rows = await applyKeyset(base(), [{ column: 'b.id', direction: 'desc' }], window).getResultList();
  return page(rows, window, (b) => [b.id], () => base().getCount());
}

/**
 * An IP value as stored: PostgreSQL's canonical CIDR text (`203.0.113.7/32`, `2001:db8::/32`), or
 * null. Only a full address, or one with a prefix length, is taken: PostgreSQL would also read
 * "10.1" as 10.1.0.0/16, which no one typing it means. Host bits set past the prefix are refused.
 */
async function canonicalNetwork(em: EntityManager, value: string): Promise<string | null> {
  const [address, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || isIP(address) === 0 || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) return null;
  try {
    const [row] = await em.getConnection().execute<{ network: string }[]>('select ?::cidr::text as network', [value]);
    return row.network;
  } catch {
    return null;
  }
}

export interface AddBlacklistEntryInput {
  kind: BlacklistKind;
  value: string;
  action?: BlacklistAction | null;
  reason: string;
  expiresAt?: Date | null;
}

/**
 * Adds a blacklist entry (staff RISK). The value is normalised as it is matched
 * (services/risk/normalise.ts); a value already listed in force is INVALID_INPUT, while an expired
 * entry of the same value is replaced. Audited.
 */
export async function addBlacklistEntry(ctx: Context, input: AddBlacklistEntryInput): Promise<BlacklistEntry> {
  const problems = new Problems();
  const reason = input.reason.trim();
  if (charLength(reason) < 1 || charLength(reason) > MAX_BLACKLIST_REASON) {
    problems.add(UserErrorCode.INVALID_INPUT, `Give a reason of 1 to ${MAX_BLACKLIST_REASON} characters`, ['input', 'reason']);
  }
  let value = normaliseBlacklistValue(input.kind, input.value);
  if (value !== null && input.kind === BlacklistKind.IP) value = await canonicalNetwork(ctx.em, value);
  if (value === null) problems.add(UserErrorCode.INVALID_INPUT, invalidValueMessage(input.kind), ['input', 'value']);
  const now = ctx.now();
  if (input.expiresAt && input.expiresAt <= now) problems.add(UserErrorCode.INVALID_INPUT, 'The expiry must be in the future', ['input', 'expiresAt']);
  problems.throwIfAny();

  const listed = () => new Failure(UserErrorCode.INVALID_INPUT, 'This value is already listed; remove the entry first to change it', ['input', 'value']);
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        // An expired entry of the value is history: the new one takes its place.
        await em.nativeDelete(BlacklistEntry, { kind: input.kind, value: value!, expiresAt: { $lte: now } });
        const entry = em.create(BlacklistEntry, {
          kind: input.kind,
          value: value!,
          action: input.action ?? BlacklistAction.BLOCK,
          reason,
          expiresAt: input.expiresAt ?? null,
          createdBy: em.getReference('User', ctx.viewer.userId!) as never,
          createdAt: now,
        });
        await em.flush();
        recordAudit(ctx, em, { action: 'blacklist.add', targetType: 'BlacklistEntry', targetId: entry.id, after: summary(entry) });
        await em.flush();
        return entry;
      }),
    listed,
  );
}

/** Removes a blacklist entry (staff RISK); unknown is NOT_FOUND. Returns the entry as it was. Audited. */
export async function removeBlacklistEntry(ctx: Context, id: string): Promise<BlacklistEntry> {
  return ctx.em.transactional(async (em) => {
    const entry = await em.findOne(BlacklistEntry, { id });
    if (!entry) throw new NotFoundError('No such blacklist entry');
    recordAudit(ctx, em, { action: 'blacklist.remove', targetType: 'BlacklistEntry', targetId: entry.id, before: summary(entry) });
    em.remove(entry);
    await em.flush();
    return entry;
  });
}

function summary(entry: BlacklistEntry): Record<string, unknown> {
  return { kind: entry.kind, value: entry.value, action: entry.action, reason: entry.reason, expiresAt: entry.expiresAt?.toISOString() ?? null };
}

function invalidValueMessage(kind: BlacklistKind): string {
  switch (kind) {
    case BlacklistKind.PHONE:
      return 'Enter a phone number of 5 to 15 digits';
    case BlacklistKind.ADDRESS:
      return 'Enter an address of at least 4 characters';
    case BlacklistKind.EMAIL_DOMAIN:
      return 'Enter an email domain, e.g. example.com';
    case BlacklistKind.DEVICE:
      return 'Enter a device id: 1 to 200 printable characters without spaces';
    case BlacklistKind.IP:
      return 'Enter an IP address or network, e.g. 203.0.113.7 or 203.0.113.0/24';
  }
}

/** What a request offers to be matched against BLOCK entries at registration and sign-in. */
export interface BlacklistProbe {
  emailDomain?: string | null;
  ip?: string | null;
  deviceId?: string | null;
}

export interface BlacklistHit {
  id: string;
  kind: BlacklistKind;
  value: string;
}

/**
 * The first BLOCK entry in force at `now` that matches the probe (the email domain exactly, the
 * device id, or an IP network containing the address), or null: one statement. The CASE keeps the
 * CIDR cast to IP rows.
 */
export async function blockingEntry(em: EntityManager, probe: BlacklistProbe, now: Date): Promise<BlacklistHit | null> {
  const ip = clientAddress(probe.ip);
  if (!probe.emailDomain && !probe.deviceId && !ip) return null;
  const [row] = await em.getConnection().execute<{ id: string; kind: BlacklistKind; value: string }[]>(
    `select id, kind, value from blacklist_entry
     where action = 'BLOCK' and (expires_at is null or expires_at > ?)
       and ((kind = 'EMAIL_DOMAIN' and value = ?) or (kind = 'DEVICE' and value = ?)
            or (kind = 'IP' and case when kind = 'IP' then ?::inet <<= value::cidr end))
     order by id limit 1`,
    [now, probe.emailDomain ?? null, probe.deviceId ?? null, ip],
  );
  return row ? { id: String(row.id), kind: row.kind, value: row.value } : null;
}

/**
 * Refuses a registration or sign-in that a BLOCK entry matches with BLACKLISTED (`field` names the
 * email for a domain hit; the request as a whole otherwise), after recording a BLACKLIST_HIT risk
 * event (with the email tried) on the request's own EntityManager: nothing else is written by then.
 * A sign-in's event names the account of that email when there is one (found by the same INSERT,
 * so the answer and its timing are the same either way); a registration's names none.
 */
export async function refuseBlacklisted(ctx: Context, operation: 'register' | 'login', email: string, probe: BlacklistProbe): Promise<void> {
  const now = ctx.now();
  const hit = await blockingEntry(ctx.em, probe, now);
  if (!hit) return;
  const detail = { operation, email, entryId: hit.id, kind: hit.kind, value: hit.value };
  await ctx.em.getConnection().execute(
    `insert into risk_event (kind, user_id, ip, device_id, region, detail, at)
     values (?, (select id from users where ?::boolean and email = ?), ?, ?, ?, ?::jsonb, ?)`,
    [RiskEventKind.BLACKLIST_HIT, operation === 'login', email, ctx.ip, ctx.signals.deviceId ?? null, regionOf(ctx.ip, ctx.signals), JSON.stringify(detail), now],
  );
  const field = hit.kind === BlacklistKind.EMAIL_DOMAIN ? ['input', 'email'] : ['input'];
  throw new Failure(UserErrorCode.BLACKLISTED, 'This request is blocked by risk control', field);
}
