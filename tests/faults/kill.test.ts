import { describe, expect, it } from 'vitest';
import { eventually, sleep } from '../helpers/wait';
import { freePort } from '../platform/serverProcess';
import { expectInvariants, repairPaymentsLater, retryUnanswered, stormSuite, tally } from './storm';

const CLIENTS = 8;
const SEED = Number(process.env.STORM_SEED ?? Date.now() % 100_000);

const suite = stormSuite({ clients: CLIENTS, seed: SEED });

/** Sessions of the test database other than this file's own. */
const otherSessions = async () =>
  (await suite.admin.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [suite.database])).rows[0].n;

describe('kill -9 of the whole server mid-storm', () => {
  it('leaves stock and money consistent, and every request left unanswered settles exactly once when retried with its key', async () => {
    const { admin } = suite;
    const port = await freePort();
    const server = await suite.startServer(port);
    const storm = suite.startStorm(port);
    // Mid-storm, at a moment the seed varies.
    await sleep(5000 + (SEED % 2000));

    const group = server.child.pid!;
    server.kill();
    expect(await server.exit).toMatchObject({ signal: 'SIGKILL' });
    await storm.halt();
    const lostAtKill = storm.unanswered().length;
    // Every process of the group is gone, and with them their database sessions.
    await eventually(async () => {
      try {
        process.kill(-group, 0);
        return false;
      } catch {
        return true;
      }
    }, Boolean);
    await eventually(otherSessions, (n) => n === 0);
    await expectInvariants(admin, 'after kill -9');
    const { unopened_payments: unopenedAtKill } = await tally(admin);

    await suite.startServer(port);
    await expectInvariants(admin, 'after the restart');
    // What committed before the kill but was not yet dispatched goes out once the server is back.
    await eventually(async () => (await admin.query<{ n: number }>('select count(*)::int as n from outbox_event where dispatched_at is null')).rows[0].n, (n) => n === 0);
    storm.start(port, CLIENTS);
    await sleep(4000);
    await storm.halt();

    // A few minutes on, repair-payments opens what the kill left unopened, before any buyer retries.
    const repair = await repairPaymentsLater();
    expect((await tally(admin)).unopened_payments).toBe(0);
    const { retried, tookEffect } = await retryUnanswered(port, admin, storm.attempts);
    await expectInvariants(admin, 'after the retries');
    const left = await tally(admin);
    process.stdout.write(
      `\n[faults] kill -9 (seed ${SEED}): ${storm.summary()}; ${lostAtKill} lost at the kill, ${unopenedAtKill} payments left without a provider reference; repair-payments: ${repair}; ${retried} retried, ${tookEffect} had taken effect; ${JSON.stringify(left)}\n`,
    );

    expect(storm.problems).toEqual([]);
    expect(lostAtKill).toBeGreaterThan(0);
    expect(left.unopened_payments).toBe(0);
    expect(left.checkouts).toBeGreaterThan(20);
    for (const what of ['paid_orders', 'cancelled_unpaid', 'events', 'refunds', 'payment_postings', 'refund_postings', 'after_sale_cases', 'after_sale_refunds', 'coupons_used', 'promotion_discounts'] as const) expect(left[what], what).toBeGreaterThan(0);
  }, 150_000);
});
