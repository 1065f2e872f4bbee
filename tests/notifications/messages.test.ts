import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Config, loadConfig } from '../../src/config';
import type { SystemDeps } from '../../src/context';
import { MessageChannel } from '../../src/entities';
import {
  createMessageAdapters,
  MAX_SEND_ATTEMPTS,
  type MessageAdapter,
  type MessageAdapters,
  type OutgoingMessage,
  queueMessage,
  SEND_LEASE_MS,
  sendPendingMessages,
  sendRetryDelayMs,
} from '../../src/services/notifications/messages';
import { findScheduledTask, runTask } from '../../src/services/platform';
import { ManualClock } from '../../src/services/shared';
import { type TestApp, createTestApp } from '../helpers/app';
import { createUser } from '../helpers/factories';

const HOUR = 3_600_000;
const clock = new ManualClock(new Date('2031-04-01T09:00:00Z'));

let t: TestApp;
let dataDir: string;
let config: Config;
let deps: SystemDeps;

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'marketplace-mail-'));
  config = configWith({});
  deps = { config, clock };
});
afterAll(async () => {
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
});
// Each test sends what it queued, and only that.
beforeEach(() => t.sql("delete from outbound_message where status = 'PENDING'"));

function configWith(env: Record<string, string>): Config {
  return loadConfig({ NODE_ENV: 'test', DATABASE_URL: process.env.TEST_DB_URL!, DATA_DIR: dataDir, ...env });
}

function queue(userId: string | null, opts: { recipient?: string; transactional?: boolean; channel?: MessageChannel; body?: string; subject?: string } = {}): Promise<string> {
  return queueMessage(t.orm.em.fork(), {
    userId,
    channel: opts.channel ?? MessageChannel.EMAIL,
    recipient: opts.recipient ?? 'someone@example.com',
    subject: opts.subject ?? 'Your order shipped',
    body: opts.body ?? 'Order 1001 is on its way.',
    kind: opts.transactional ? 'RESET_PASSWORD' : 'ORDER_SHIPPED',
    transactional: opts.transactional ?? false,
    now: clock.now(),
  });
}

async function statusOf(ids: string[]): Promise<string[]> {
  const rows = await t.sql('select id, status from outbound_message where id = any(?::bigint[])', [`{${ids.join(',')}}`]);
  const byId = new Map(rows.map((r) => [String(r.id), r.status]));
  return ids.map((id) => byId.get(id));
}

/** Adapters (both channels) that note each message handed over, then do `send`. */
function adaptersDoing(send: (m: OutgoingMessage) => Promise<void> = async () => undefined): { adapters: MessageAdapters; handed: OutgoingMessage[] } {
  const handed: OutgoingMessage[] = [];
  const adapter: MessageAdapter = {
    name: 'test',
    async send(m) {
      handed.push(m);
      await send(m);
    },
  };
  return { adapters: { [MessageChannel.EMAIL]: adapter, [MessageChannel.SMS]: adapter }, handed };
}

/** Adapters whose hand-overs hang until `release` (with an error: each fails). */
function hangingAdapters(): ReturnType<typeof adaptersDoing> & { release(error?: Error): void } {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const gate = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  gate.catch(() => undefined);
  return { ...adaptersDoing(() => gate), release: (error) => (error ? fail(error) : open()) };
}

/** The message body of a text/plain .eml, quoted-printable decoded (ASCII). */
function decodedBody(eml: string): string {
  const body = eml.slice(eml.indexOf('\n\n') + 2);
  return /Content-Transfer-Encoding: quoted-printable/i.test(eml)
    ? body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    : body;
}

describe('email without SMTP_URL', () => {
  it('writes each email as a readable .eml file under DATA_DIR/mail and marks it SENT at the business clock', async () => {
    const user = await createUser(t);
    const body = `Hello,\n\nyour order is on its way; follow it here: ${config.publicUrl}/orders/1001?tab=tracking&from=email-notification\n`;
    const id = await queue(user.id, { recipient: user.email, body });

    const report = await sendPendingMessages(deps, t.orm.em.fork());
    expect(report).toEqual({ sent: 1, suppressed: 0, retrying: 0, failed: 0 });

    const files = (await readdir(path.join(dataDir, 'mail'))).filter((f) => f.includes(`-${id}-`));
    expect(files).toEqual([expect.stringMatching(new RegExp(`^\\d{8}T\\d{6}Z-${id}-order-shipped\\.eml$`))]);
    const eml = await readFile(path.join(dataDir, 'mail', files[0]), 'utf8');
    expect(eml).toMatch(/^From: Marketplace <no-reply@marketplace\.local>$/m);
    expect(eml).toMatch(new RegExp(`^To: ${user.email.replace(/[.]/g, '\\.')}$`, 'm'));
    expect(eml).toMatch(/^Subject: Your order shipped$/m);
    expect(eml).toMatch(new RegExp(`^X-Marketplace-Message: ${id}$`, 'm'));
    expect(decodedBody(eml).trimEnd()).toBe(body.trimEnd());

    const [row] = await t.sql('select status, attempts, sent_at, error from outbound_message where id = ?', [id]);
    expect(row).toMatchObject({ status: 'SENT', attempts: 1, error: null });
    expect(new Date(row.sent_at).toISOString()).toBe(clock.now().toISOString());
  });

  it('writes SMS to the log by default', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const adapters = createMessageAdapters(config, pino({ level: 'info' }, sink));
    const user = await createUser(t);
    const id = await queue(user.id, { channel: MessageChannel.SMS, recipient: '+8613812345678', subject: undefined, body: 'Your parcel arrives today.' });

    expect((await sendPendingMessages(deps, t.orm.em.fork(), { adapters })).sent).toBe(1);
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.messageId === id);
    expect(logged).toMatchObject({ to: '+8613812345678', body: 'Your parcel arrives today.', kind: 'ORDER_SHIPPED' });
    expect(await statusOf([id])).toEqual(['SENT']);
  });
});

describe('the hourly cap (NOTIFY_MAX_PER_HOUR)', () => {
  it('suppresses the 21st non-transactional message of a user within the hour but never a transactional one', async () => {
    const capped = await createUser(t);
    const other = await createUser(t);
    const first20: string[] = [];
    for (let i = 0; i < 20; i++) first20.push(await queue(capped.id, { recipient: capped.email }));
    const twentyFirst = await queue(capped.id, { recipient: capped.email });
    const reset = await queue(capped.id, { recipient: capped.email, transactional: true });
    const othersMessage = await queue(other.id, { recipient: other.email });

    const report = await sendPendingMessages(deps, t.orm.em.fork());
    expect(report).toMatchObject({ sent: 22, suppressed: 1 });
    expect(await statusOf(first20)).toEqual(Array(20).fill('SENT'));
    expect(await statusOf([twentyFirst, reset, othersMessage])).toEqual(['SUPPRESSED', 'SENT', 'SENT']);

    // Still capped on a later run; a transactional message still goes.
    const later = await queue(capped.id, { recipient: capped.email });
    const receipt = await queue(capped.id, { recipient: capped.email, transactional: true });
    await sendPendingMessages(deps, t.orm.em.fork());
    expect(await statusOf([later, receipt])).toEqual(['SUPPRESSED', 'SENT']);
  });

  it('frees the cap once the business clock has moved an hour past the sends', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 20; i++) await queue(user.id, { recipient: user.email });
    expect((await sendPendingMessages(deps, t.orm.em.fork())).sent).toBe(20);

    clock.advance(HOUR - 60_000);
    const tooSoon = await queue(user.id, { recipient: user.email });
    await sendPendingMessages(deps, t.orm.em.fork());

    clock.advance(60_000);
    const anHourOn = await queue(user.id, { recipient: user.email });
    await sendPendingMessages(deps, t.orm.em.fork());
    expect(await statusOf([tooSoon, anHourOn])).toEqual(['SUPPRESSED', 'SENT']);
  });

  it('follows NOTIFY_MAX_PER_HOUR', async () => {
    const user = await createUser(t);
    const ids = [await queue(user.id, { recipient: user.email }), await queue(user.id, { recipient: user.email }), await queue(user.id, { recipient: user.email })];
    await sendPendingMessages({ config: configWith({ NOTIFY_MAX_PER_HOUR: '2' }), clock }, t.orm.em.fork());
    expect(await statusOf(ids)).toEqual(['SENT', 'SENT', 'SUPPRESSED']);
  });
});

/**
 * A minimal SMTP server over node:net: enough of RFC 5321 for nodemailer (EHLO, MAIL, RCPT, DATA,
 * QUIT, RSET). `reject` makes it refuse every recipient with a permanent error.
 */
async function smtpServer(opts: { reject?: boolean } = {}): Promise<{ url: string; received: { from: string; to: string[]; data: string }[]; close(): Promise<void> }> {
  const received: { from: string; to: string[]; data: string }[] = [];
  const server: Server = createServer((socket) => {
    let buffer = '';
    let inData = false;
    let mail = { from: '', to: [] as string[], data: '' };
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 test.local ESMTP ready');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          mail.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          received.push(mail);
          mail = { from: '', to: [], data: '' };
          reply('250 2.0.0 queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        switch (line.slice(0, 4).toUpperCase()) {
          case 'EHLO':
            reply('250-test.local\r\n250 8BITMIME');
            break;
          case 'HELO':
            reply('250 test.local');
            break;
          case 'MAIL':
            mail.from = line;
            reply('250 2.1.0 ok');
            break;
          case 'RCPT':
            if (opts.reject) {
              reply('550 5.1.1 no such mailbox');
            } else {
              mail.to.push(line);
              reply('250 2.1.5 ok');
            }
            break;
          case 'DATA':
            inData = true;
            reply('354 end data with <CR><LF>.<CR><LF>');
            break;
          case 'RSET':
            mail = { from: '', to: [], data: '' };
            reply('250 ok');
            break;
          case 'QUIT':
            reply('221 bye');
            socket.end();
            break;
          default:
            reply('502 5.5.2 not implemented');
        }
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('email through SMTP_URL', () => {
  it('hands each message to the SMTP server', async () => {
    const smtp = await smtpServer();
    try {
      const user = await createUser(t);
      const id = await queue(user.id, { recipient: user.email, transactional: true, subject: 'Reset your password' });
      const report = await sendPendingMessages({ config: configWith({ SMTP_URL: smtp.url }), clock }, t.orm.em.fork());
      expect(report.sent).toBe(1);
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0].from).toContain('<no-reply@marketplace.local>');
      expect(smtp.received[0].to).toEqual([`RCPT TO:<${user.email}>`]);
      expect(smtp.received[0].data).toMatch(/^Subject: Reset your password$/m);
      expect(smtp.received[0].data).toMatch(new RegExp(`^X-Marketplace-Message: ${id}$`, 'm'));
      expect(await statusOf([id])).toEqual(['SENT']);
    } finally {
      await smtp.close();
    }
  });

  it('retries a message the server refuses on each run and gives it up as FAILED after 5 attempts', async () => {
    const smtp = await smtpServer({ reject: true });
    try {
      const refusing = { config: configWith({ SMTP_URL: smtp.url }), clock };
      const user = await createUser(t);
      const id = await queue(user.id, { recipient: user.email, transactional: true });
      for (let run = 1; run < MAX_SEND_ATTEMPTS; run++) {
        expect(await sendPendingMessages(refusing, t.orm.em.fork())).toMatchObject({ sent: 0, retrying: 1, failed: 0 });
        const [row] = await t.sql('select status, attempts, error, next_attempt_at from outbound_message where id = ?', [id]);
        expect(row).toMatchObject({ status: 'PENDING', attempts: run, error: expect.stringContaining('550') });
        // Backing off: 1 minute, then 2, 4, 8; a run before then leaves it alone.
        expect(sendRetryDelayMs(run)).toBe(60_000 * 2 ** (run - 1));
        expect(new Date(row.next_attempt_at).toISOString()).toBe(new Date(clock.now().getTime() + sendRetryDelayMs(run)).toISOString());
        clock.advance(sendRetryDelayMs(run) - 1000);
        expect(await sendPendingMessages(refusing, t.orm.em.fork())).toEqual({ sent: 0, suppressed: 0, retrying: 0, failed: 0 });
        clock.advance(1000);
      }
      expect(await sendPendingMessages(refusing, t.orm.em.fork())).toMatchObject({ retrying: 0, failed: 1 });
      const [row] = await t.sql('select status, attempts, sent_at, next_attempt_at from outbound_message where id = ?', [id]);
      expect(row).toMatchObject({ status: 'FAILED', attempts: MAX_SEND_ATTEMPTS, sent_at: null, next_attempt_at: null });
      expect(smtp.received).toHaveLength(0);

      // Given up: later runs leave it alone.
      clock.advance(HOUR);
      expect(await sendPendingMessages(refusing, t.orm.em.fork())).toEqual({ sent: 0, suppressed: 0, retrying: 0, failed: 0 });
    } finally {
      await smtp.close();
    }
  });

  it('counts a server that cannot be reached as a failed attempt', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const id = await queue(null, { transactional: true });
    const report = await sendPendingMessages({ config: configWith({ SMTP_URL: `smtp://127.0.0.1:${port}` }), clock }, t.orm.em.fork());
    expect(report).toMatchObject({ sent: 0, retrying: 1, firstError: expect.stringMatching(/ECONNREFUSED/) });
    expect(await statusOf([id])).toEqual(['PENDING']);
  });
});

describe('sending outside a request', () => {
  it('sends only never-tried messages when asked for new ones (a kick), leaving failed ones to the scheduled run', async () => {
    const smtp = await smtpServer({ reject: true });
    const failing = await queue(null, { recipient: 'bounce@example.com' });
    await sendPendingMessages({ config: configWith({ SMTP_URL: smtp.url }), clock }, t.orm.em.fork());
    await smtp.close();

    const fresh = await queue(null);
    expect(await sendPendingMessages(deps, t.orm.em.fork(), { newOnly: true })).toMatchObject({ sent: 1 });
    expect(await statusOf([fresh, failing])).toEqual(['SENT', 'PENDING']);
    const [row] = await t.sql('select attempts from outbound_message where id = ?', [failing]);
    expect(row.attempts).toBe(1);

    // Nor does the scheduled run retry it before its backoff has passed.
    expect((await sendPendingMessages(deps, t.orm.em.fork())).sent).toBe(0);
    clock.advance(sendRetryDelayMs(1));
    expect(await sendPendingMessages(deps, t.orm.em.fork(), { newOnly: true })).toMatchObject({ sent: 0 });
    expect(await sendPendingMessages(deps, t.orm.em.fork())).toMatchObject({ sent: 1 });
    expect(await statusOf([failing])).toEqual(['SENT']);
  });

  it('is the scheduled task send-messages, which reports what it sent', async () => {
    const task = findScheduledTask('send-messages')!;
    expect(task.schedule).toBe('* * * * *');
    const ids = [await queue(null), await queue(null)];
    const run = await runTask(deps, t.orm.em.fork(), task);
    expect(run.error).toBeUndefined();
    expect(run.done).toBe(2);
    expect(await statusOf(ids)).toEqual(['SENT', 'SENT']);
  });
});

describe('claims and leases', () => {
  it('claims transactional messages before older ones', async () => {
    for (let i = 0; i < 60; i++) await queue(null, { recipient: `bulk-${i}@example.com` });
    const reset = await queue(null, { recipient: 'reset@example.com', transactional: true });
    const { adapters, handed } = adaptersDoing();
    expect(await sendPendingMessages(deps, t.orm.em.fork(), { adapters })).toMatchObject({ sent: 61 });
    expect(handed[0].id).toBe(reset);
  });

  it('sends outside any transaction: while a hand-over hangs, its message is leased and another sender goes on', async () => {
    const slow = await queue(null, { recipient: 'slow@example.com' });
    const hanging = hangingAdapters();
    const running = sendPendingMessages(deps, t.orm.em.fork(), { adapters: hanging.adapters });
    await vi.waitFor(() => expect(hanging.handed).toHaveLength(1));

    const [leased] = await t.sql('select status, attempts, next_attempt_at from outbound_message where id = ?', [slow]);
    expect(leased).toMatchObject({ status: 'PENDING', attempts: 0 });
    expect(new Date(leased.next_attempt_at).toISOString()).toBe(new Date(clock.now().getTime() + SEND_LEASE_MS).toISOString());
    const [open] = await t.sql("select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'");
    expect(open.n).toBe(0);

    const fresh = await queue(null, { recipient: 'fresh@example.com' });
    const other = adaptersDoing();
    expect(await sendPendingMessages(deps, t.orm.em.fork(), { adapters: other.adapters })).toEqual({ sent: 1, suppressed: 0, retrying: 0, failed: 0 });
    expect(other.handed.map((m) => m.id)).toEqual([fresh]);
    // A kick leaves it alone too.
    expect(await sendPendingMessages(deps, t.orm.em.fork(), { adapters: other.adapters, newOnly: true })).toMatchObject({ sent: 0 });

    hanging.release();
    expect(await running).toEqual({ sent: 1, suppressed: 0, retrying: 0, failed: 0 });
    const [row] = await t.sql('select status, attempts, next_attempt_at, error from outbound_message where id = ?', [slow]);
    expect(row).toMatchObject({ status: 'SENT', attempts: 1, next_attempt_at: null, error: null });
  });

  it('records nothing for a sender that overran its lease: the message was claimed again meanwhile', async () => {
    const id = await queue(null, { recipient: 'overrun@example.com' });
    const hanging = hangingAdapters();
    const running = sendPendingMessages(deps, t.orm.em.fork(), { adapters: hanging.adapters });
    await vi.waitFor(() => expect(hanging.handed).toHaveLength(1));

    clock.advance(SEND_LEASE_MS);
    const other = adaptersDoing();
    expect((await sendPendingMessages(deps, t.orm.em.fork(), { adapters: other.adapters })).sent).toBe(1);

    hanging.release(new Error('connection lost'));
    expect(await running).toEqual({ sent: 0, suppressed: 0, retrying: 0, failed: 0 });
    const [row] = await t.sql('select status, attempts, error from outbound_message where id = ?', [id]);
    expect(row).toMatchObject({ status: 'SENT', attempts: 1, error: null });
  });

  it('counts messages another sender is sending towards the hourly cap', async () => {
    const capped = { config: configWith({ NOTIFY_MAX_PER_HOUR: '3' }), clock };
    const user = await createUser(t);
    const first = [await queue(user.id, { recipient: user.email }), await queue(user.id, { recipient: user.email })];
    const hanging = hangingAdapters();
    const running = sendPendingMessages(capped, t.orm.em.fork(), { adapters: hanging.adapters });
    await vi.waitFor(() => expect(hanging.handed).toHaveLength(1));

    const more = [await queue(user.id, { recipient: user.email }), await queue(user.id, { recipient: user.email })];
    const other = adaptersDoing();
    expect(await sendPendingMessages(capped, t.orm.em.fork(), { adapters: other.adapters })).toMatchObject({ sent: 1, suppressed: 1 });
    hanging.release();
    expect(await running).toMatchObject({ sent: 2, suppressed: 0 });
    expect(await statusOf([...first, ...more])).toEqual(['SENT', 'SENT', 'SENT', 'SUPPRESSED']);
  });

  it('keeps to the hourly cap when several senders claim one user’s messages at once', async () => {
    const user = await createUser(t);
    await t.sql(
      `insert into outbound_message (user_id, channel, recipient, body, kind, transactional, status, attempts, created_at)
       select ?, 'EMAIL', ?, 'A sale is on.', 'ORDER_SHIPPED', false, 'PENDING', 0, ? from generate_series(1, 120)`,
      [user.id, user.email, clock.now()],
    );
    // Hold the user's cap lock so that three senders claim a batch each (SKIP LOCKED) before any counts.
    const holder = new Client({ connectionString: process.env.TEST_DB_URL });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock(hashtextextended('outbound_message_cap:' || $1, 0))", [user.id]);
      const running = Promise.all(Array.from({ length: 3 }, () => sendPendingMessages(deps, t.orm.em.fork(), { adapters: adaptersDoing().adapters })));
      await vi.waitFor(async () => {
        const [waiting] = await t.sql("select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'");
        expect(waiting.n).toBe(3);
      });
      await holder.query('select pg_advisory_unlock_all()');
      const reports = await running;
      // Each sender claimed a batch of at most 50 (how the 120 split among them depends on which
      // claim saw which rows locked), and all 120 were handled once.
      const handled = reports.map((r) => r.sent + r.suppressed);
      expect(handled.every((n) => n > 0 && n <= 50)).toBe(true);
      expect(handled.reduce((a, b) => a + b, 0)).toBe(120);
      expect(reports.reduce((n, r) => n + r.sent, 0)).toBe(config.notifyMaxPerHour);
    } finally {
      await holder.end();
    }
    const counts = await t.sql('select status, count(*)::int as n from outbound_message where user_id = ? group by status order by status', [user.id]);
    expect(counts).toEqual([
      { status: 'SENT', n: config.notifyMaxPerHour },
      { status: 'SUPPRESSED', n: 120 - config.notifyMaxPerHour },
    ]);
  });
});
