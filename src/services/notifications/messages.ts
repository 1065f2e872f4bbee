import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createTransport } from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { SystemDeps } from '../../context';
import { lockClause, type RowOf, rowShape, selectRows } from '../../db/rows';
import { MessageChannel, MessageStatus } from '../../entities';
import { createLogger } from '../../logger';
import { mapBounded } from '../shared';

/**
 * Email and SMS. A message is a row of `outbound_message`, queued in the transaction that decides
 * to send it (`queueMessage`, the dispatcher's set-based insert, the emailed tokens); the scheduled
 * task `send-messages` (and the jobs process's kick after a commit, `newOnly`) hands PENDING rows
 * to the channel's adapter. The row is the log of what went out, what the hourly cap suppressed and what
 * failed. Sending holds no transaction and no lock: rows are claimed with a lease (`next_attempt_at`),
 * handed over, and their outcomes recorded only while the lease holds.
 */

/** One message as an adapter sends it. */
export interface OutgoingMessage {
  /** The outbound_message key, named wherever the message lands (file name, log line, header). */
  id: string;
  kind: string;
  recipient: string;
  subject: string | null;
  body: string;
}

/** One channel's way out. `send` resolves once the message is handed over, and throws when it was not. */
export interface MessageAdapter {
  /** Where the messages go (`smtp`, `file`, `log`), for operators' logs. */
  readonly name: string;
  send(message: OutgoingMessage): Promise<void>;
}

export type MessageAdapters = Record<MessageChannel, MessageAdapter>;

/** Attempts of a message before it is FAILED. */
export const MAX_SEND_ATTEMPTS = 5;
/** Rows claimed at a time. */
const BATCH_SIZE = 50;
/** Messages handed to adapters at once within a batch (one recipient's always one after another). */
const SEND_CONCURRENCY = 5;
const HOUR_MS = 3_600_000;
/** How long a claim keeps a message from other senders (its `next_attempt_at` while it is sent). */
export const SEND_LEASE_MS = 120_000;
/** Longest one hand-over to an adapter may take before it counts as a failed attempt. */
const SEND_TIMEOUT_MS = 40_000;
/**
 * No message of a batch is handed over later than this after its claim (wall clock): a hand-over
 * started by then ends, or times out, and is recorded well within the lease. What is left is
 * released for the next run.
 */
const SEND_CUTOFF_MS = SEND_LEASE_MS - SEND_TIMEOUT_MS - 10_000;
/** The first retry's delay; each next one doubles it. */
const FIRST_RETRY_MS = 60_000;
/**
 * A run starts no new batch after this long (wall clock): with a slow or unreachable SMTP server it
 * ends well within the task's lease, and what is left waits for the next run.
 */
const RUN_BUDGET_MS = 60_000;

/** The wait before the retry that follows failed attempt number `attempts` (1-based): 1 min, then 2, 4, 8. */
export function sendRetryDelayMs(attempts: number): number {
  return FIRST_RETRY_MS * 2 ** Math.min(Math.max(attempts - 1, 0), 20);
}

/** The notification channel `queueMessage` signals on commit, for a listener to kick the sender. */
export const MESSAGES_PENDING_CHANNEL = 'outbound_message_pending';

function mailOf(config: Config, m: OutgoingMessage) {
  return {
    from: config.mailFrom,
    to: m.recipient,
    subject: m.subject ?? '',
    // CRLF line ends, as SMTP has them: quoted-printable then keeps each short line as it is (a
    // token alone on its line stays copyable from the .eml file); only long ones are wrapped.
    text: m.body.replace(/\r?\n/g, '\r\n'),
    headers: { 'X-Marketplace-Message': m.id, 'X-Marketplace-Kind': m.kind },
  };
}

/** Email through the SMTP server of `config.smtpUrl` (smtp:// or smtps://, credentials in the URL). */
export function smtpEmailAdapter(config: Config & { smtpUrl: string }): MessageAdapter {
  // Bounded waits: a server that accepts the connection and then hangs fails the attempt, not the run.
  const transport = createTransport({ url: config.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
  return {
    name: 'smtp',
    async send(m) {
      await transport.sendMail(mailOf(config, m));
    },
  };
}

/**
 * Email for development and tests: each message is composed exactly as SMTP would send it and
 * written to `<dataDir>/mail/<time>-<id>-<kind>.eml` (readable by any mail client or a text
 * editor), and an info line names the file.
 */
export function fileEmailAdapter(config: Config, log: Logger): MessageAdapter {
  const dir = path.join(config.dataDir, 'mail');
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    name: 'file',
    async send(m) {
      const info = await transport.sendMail(mailOf(config, m));
      await mkdir(dir, { recursive: true });
      // The wall clock only names the file, so a directory listing sorts by arrival.
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      const file = path.join(dir, `${stamp}-${m.id}-${m.kind.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.eml`);
      // It may hold a password reset link: readable by its owner only.
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      log.info({ file, messageId: m.id, kind: m.kind }, 'email written to a file (SMTP_URL is not set)');
    },
  };
}

/** SMS while no provider is configured: the message goes to the log. */
export function logSmsAdapter(log: Logger): MessageAdapter {
  return {
    name: 'log',
    async send(m) {
      log.info({ messageId: m.id, kind: m.kind, to: m.recipient, body: m.body }, 'SMS written to the log (no SMS provider is configured)');
    },
  };
}

/** The adapters `config` selects: SMTP when SMTP_URL is set, else .eml files; SMS to the log. */
export function createMessageAdapters(config: Config, log: Logger): MessageAdapters {
  const { smtpUrl } = config;
  return {
    [MessageChannel.EMAIL]: smtpUrl ? smtpEmailAdapter({ ...config, smtpUrl }) : fileEmailAdapter(config, log),
    [MessageChannel.SMS]: logSmsAdapter(log),
  };
}

const adaptersByConfig = new WeakMap<Config, MessageAdapters>();

/** The adapters of `config`, made once per configuration (a transport is reused across runs). */
export function messageAdaptersFor(config: Config): MessageAdapters {
  let adapters = adaptersByConfig.get(config);
  if (!adapters) {
    adapters = createMessageAdapters(config, createLogger(config).child({ component: 'messages' }));
    adaptersByConfig.set(config, adapters);
  }
  return adapters;
}

export interface NewMessage {
  /** Whose message it is: the hourly cap counts per user. Null for an address that is no user's. */
  userId: string | null;
  channel: MessageChannel;
  /** An email address or a phone number. */
  recipient: string;
  subject?: string | null;
  body: string;
  /** A NotificationKind, or VERIFY_EMAIL / RESET_PASSWORD. */
  kind: string;
  /** Password resets, verification, receipts: never capped, never turned off by preferences. */
  transactional: boolean;
  /** The business clock's time. */
  now: Date;
}

/**
 * Queues one message on `em`'s connection: call it inside the transaction that decides to send
 * it, so it goes out exactly when that commits. It also signals MESSAGES_PENDING_CHANNEL, which
 * PostgreSQL delivers on commit, so a listener can send it at once rather than at the next run of
 * `send-messages`. Returns the message's key.
 */
export async function queueMessage(em: EntityManager, message: NewMessage): Promise<string> {
  const [row] = await selectRows(
    em,
    rowShape({ id: 'key' }),
    `with m as (
       insert into outbound_message (user_id, channel, recipient, subject, body, kind, transactional, status, attempts, created_at)
       values (?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, ?) returning id
     )
     select m.id, pg_notify(?, '') from m`,
    [message.userId, message.channel, message.recipient, message.subject ?? null, message.body, message.kind, message.transactional, message.now, MESSAGES_PENDING_CHANNEL],
  );
  return row.id;
}

/** What one run of `sendPendingMessages` did. */
export interface SendReport {
  sent: number;
  /** Over the hourly cap (NOTIFY_MAX_PER_HOUR): never sent. */
  suppressed: number;
  /** Failed this time, tried again after a backoff (`sendRetryDelayMs`). */
  retrying: number;
  /** Failed for the MAX_SEND_ATTEMPTS-th time: given up. */
  failed: number;
  firstError?: string;
}

const CLAIMED = rowShape({
  id: 'key',
  userId: 'key?',
  channel: 'text',
  recipient: 'text',
  subject: 'text?',
  body: 'text',
  kind: 'text',
  transactional: 'bool',
  attempts: 'int',
});
type Claimed = RowOf<typeof CLAIMED>;

export interface SendOptions {
  /** The channels' adapters; by default those the configuration selects (`messageAdaptersFor`). */
  adapters?: MessageAdapters;
  /**
   * Only messages never tried. The jobs process's kick (after a dispatch, on MESSAGES_PENDING_CHANNEL)
   * sends what was just queued this way, while failed ones wait for the scheduled run after their
   * backoff, so their attempts are not spent in a burst of kicks.
   */
  newOnly?: boolean;
}

/**
 * Sends the due PENDING messages (`next_attempt_at` unset or past), transactional ones first, then
 * oldest first, in batches. Each batch is claimed in one short transaction: its rows picked with
 * SKIP LOCKED and leased (`next_attempt_at` moved SEND_LEASE_MS ahead, so no other sender takes
 * them), and the hourly cap applied. The messages are then handed to their adapters outside any
 * transaction, SEND_CONCURRENCY recipients at once, and each outcome is recorded as it comes, if
 * the lease still holds (a sender that overran it leaves the row to whoever claimed it since).
 *
 * A user's non-transactional messages beyond `notifyMaxPerHour` within the hour (by the business
 * clock) are SUPPRESSED; transactional ones always go. The cap counts the user's messages SENT in
 * the hour and those claimed by other senders or waiting for a retry; claims of one user's
 * messages take turns on an advisory lock of that user (held for the claim only), so concurrent
 * senders keep to it. A failed send is retried after 1 minute, then 2, 4, 8 (`sendRetryDelayMs`),
 * and is FAILED at its MAX_SEND_ATTEMPTS-th failure. A crash while sending leaves the rows PENDING
 * until their lease lapses, and what was already handed over is sent again (at least once).
 * A run starts no batch after RUN_BUDGET_MS.
 */
export async function sendPendingMessages(deps: SystemDeps, em: EntityManager, opts: SendOptions = {}): Promise<SendReport> {
  const adapters = opts.adapters ?? messageAdaptersFor(deps.config);
  const report: SendReport = { sent: 0, suppressed: 0, retrying: 0, failed: 0 };
  const deadline = Date.now() + RUN_BUDGET_MS;
  for (;;) {
    const claimedAt = performance.now();
    const leaseUntil = new Date(deps.clock.now().getTime() + SEND_LEASE_MS);
    const batch = await claimBatch(deps, em.fork(), leaseUntil, opts.newOnly ?? false);
    report.suppressed += batch.suppressed;
    const released: Claimed[] = [];
    await sendAll(adapters, batch.toSend, async (row, send) => {
      if (performance.now() - claimedAt > SEND_CUTOFF_MS) {
        released.push(row);
        return;
      }
      const error = await send();
      const recorded = await recordOutcome(deps, em.fork(), row, leaseUntil, error);
      if (recorded === 'stale') return;
      report[recorded]++;
      if (error !== undefined) report.firstError ??= error;
    });
    if (released.length > 0) {
      // Out of time within the lease: due again at once, for the next run.
      await em.fork().execute(
        `update outbound_message set next_attempt_at = null where id = any(?::bigint[]) and status = 'PENDING' and next_attempt_at = ?`,
        [`{${released.map((r) => r.id).join(',')}}`, leaseUntil],
      );
      return report;
    }
    if (batch.claimed < BATCH_SIZE || Date.now() > deadline) return report;
  }
}

/**
 * Claims up to BATCH_SIZE due messages, transactional first, leased until `leaseUntil`, and
 * SUPPRESSES those over their user's hourly cap, in one transaction. Returns those to send.
 */
async function claimBatch(deps: SystemDeps, em: EntityManager, leaseUntil: Date, newOnly: boolean): Promise<{ claimed: number; suppressed: number; toSend: Claimed[] }> {
  const now = deps.clock.now();
  const cap = deps.config.notifyMaxPerHour;
  return em.transactional(async (tx) => {
    const rows = await selectRows(
      tx,
      CLAIMED,
      `with due as (
         select e.id from outbound_message e
         where e.status = 'PENDING' and (e.next_attempt_at is null or e.next_attempt_at <= ?)${newOnly ? ' and e.attempts = 0' : ''}
         order by e.transactional desc, e.id limit ${BATCH_SIZE} ${lockClause({ skipLocked: true }, 'e')}
       ), claimed as (
         update outbound_message m set next_attempt_at = ? from due where m.id = due.id
         returning m.id, m.user_id, m.channel, m.recipient, m.subject, m.body, m.kind, m.transactional, m.attempts
       )
       select id, user_id as "userId", channel, recipient, subject, body, kind, transactional, attempts from claimed
       order by transactional desc, id`,
      [now, leaseUntil],
    );
    const left = await sendsLeft(tx, cap, rows, now);
    const toSend: Claimed[] = [];
    const suppressed: string[] = [];
    for (const row of rows) {
      if (row.transactional || row.userId === null) {
        toSend.push(row);
        continue;
      }
      const n = left.get(row.userId) ?? 0;
      if (n <= 0) {
        suppressed.push(row.id);
        continue;
      }
      left.set(row.userId, n - 1);
      toSend.push(row);
    }
    if (suppressed.length > 0) {
      await tx.execute(`update outbound_message set status = 'SUPPRESSED', next_attempt_at = null, error = ? where id = any(?::bigint[])`, [
        `over NOTIFY_MAX_PER_HOUR (${cap})`,
        `{${suppressed.join(',')}}`,
      ]);
    }
    return { claimed: rows.length, suppressed: suppressed.length, toSend };
  });
}

/**
 * How many more non-transactional messages each user of `rows` (claimed on `tx`) may be sent in
 * the hour before `now`: the cap less those SENT in the hour (counted on outbound_message_capped_idx)
 * and those claimed by other senders or waiting out a retry. The users' advisory locks, taken in
 * key order, are held until `tx` ends, so the next claim of the same users counts these rows.
 */
async function sendsLeft(tx: EntityManager, cap: number, rows: Claimed[], now: Date): Promise<Map<string, number>> {
  const users = [...new Set(rows.filter((r) => !r.transactional && r.userId !== null).map((r) => r.userId!))];
  if (users.length === 0) return new Map();
  const userArray = `{${users.join(',')}}`;
  await tx.execute(
    `select pg_advisory_xact_lock(s.k) from (select distinct hashtextextended('outbound_message_cap:' || u, 0) as k from unnest(?::bigint[]) as u order by k) s`,
    [userArray],
  );
  // One statement, one snapshot: a message another sender records meanwhile is counted once, as SENT or as held.
  const counts = await selectRows(
    tx,
    rowShape({ userId: 'key', sent: 'int', held: 'int' }),
    `select u.id as "userId",
       (select count(*) from outbound_message m
        where m.status = 'SENT' and not m.transactional and m.user_id = u.id and m.sent_at > ?)::int as sent,
       (select count(*) from outbound_message m
        where m.status = 'PENDING' and not m.transactional and m.user_id = u.id and m.next_attempt_at > ? and m.id <> all(?::bigint[]))::int as held
     from unnest(?::bigint[]) as u(id)`,
    [new Date(now.getTime() - HOUR_MS), now, `{${rows.map((r) => r.id).join(',')}}`, userArray],
  );
  return new Map(counts.map((c) => [c.userId, cap - c.sent - c.held]));
}

/**
 * Records the outcome of one claimed message (`error` undefined: handed over), if its lease still
 * holds. Returns what it came to, or 'stale' when the row was left alone.
 */
async function recordOutcome(deps: SystemDeps, em: EntityManager, row: Claimed, leaseUntil: Date, error: string | undefined): Promise<'sent' | 'retrying' | 'failed' | 'stale'> {
  const now = deps.clock.now();
  const attempts = row.attempts + 1;
  const status = error === undefined ? MessageStatus.SENT : attempts >= MAX_SEND_ATTEMPTS ? MessageStatus.FAILED : MessageStatus.PENDING;
  const next = status === MessageStatus.PENDING ? new Date(now.getTime() + sendRetryDelayMs(attempts)) : null;
  const updated = await em.execute<{ id: string }[]>(
    `update outbound_message set status = ?, attempts = ?, sent_at = ?, next_attempt_at = ?, error = ?
     where id = ? and status = 'PENDING' and next_attempt_at = ? returning id`,
    [status, attempts, status === MessageStatus.SENT ? now : null, next, error ?? null, row.id, leaseUntil],
  );
  if (updated.length === 0) return 'stale';
  return status === MessageStatus.SENT ? 'sent' : status === MessageStatus.FAILED ? 'failed' : 'retrying';
}

/** Settles as `work` does, or rejects after `ms`. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not handed over within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `each` over `rows`: one recipient's messages in order, up to SEND_CONCURRENCY recipients at
 * once. `send` hands the row to its adapter (at most SEND_TIMEOUT_MS) and resolves to its error
 * message, if it failed.
 */
async function sendAll(adapters: MessageAdapters, rows: Claimed[], each: (row: Claimed, send: () => Promise<string | undefined>) => Promise<void>): Promise<void> {
  const byRecipient = new Map<string, Claimed[]>();
  for (const row of rows) {
    const key = `${row.channel}:${row.recipient}`;
    byRecipient.set(key, [...(byRecipient.get(key) ?? []), row]);
  }
  const queues = [...byRecipient.values()];
  const send = async (row: Claimed): Promise<string | undefined> => {
    try {
      const adapter = adapters[row.channel as MessageChannel];
      if (!adapter) throw new Error(`no adapter for channel ${row.channel}`);
      await withTimeout(adapter.send({ id: row.id, kind: row.kind, recipient: row.recipient, subject: row.subject, body: row.body }), SEND_TIMEOUT_MS);
      return undefined;
    } catch (err) {
      return (err instanceof Error ? err.message : String(err)).slice(0, 500);
    }
  };
  await mapBounded(queues, SEND_CONCURRENCY, async (queue) => {
    for (const row of queue) await each(row, () => send(row));
  });
}
