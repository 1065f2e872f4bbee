import { describe, expect, it } from 'vitest';
import { listenSessions, terminateBackends } from '../helpers/databaseFaults';
import { eventually, sleep } from '../helpers/wait';
import { freePort } from '../platform/serverProcess';
import { expectInvariants, hasExited, repairPaymentsLater, retryUnanswered, stormSuite, tally, WORKERS } from './storm';

const CLIENTS = 8;
const SEED = Number(process.env.STORM_SEED ?? Date.now() % 100_000);

const suite = stormSuite({ clients: CLIENTS, seed: SEED, proxy: true });

describe('the database going away mid-storm', () => {
  it('keeps the server serving through terminated backends and refused connections, with one LISTEN session per process, and every unanswered request settles once', async () => {
    const { admin, database, proxy } = suite;
    const port = await freePort();
    const server = await suite.startServer(port);
    await eventually(() => listenSessions(admin, database), (n) => n === WORKERS);
    const storm = suite.startStorm(port);

    await sleep(3000);
    const firstCut = storm.now();
    expect(await terminateBackends(admin, database)).toBeGreaterThan(WORKERS);
    await sleep(2500);
    const secondCut = storm.now();
    expect(await terminateBackends(admin, database)).toBeGreaterThan(0);
    await sleep(1000);
    // The invariants hold in any committed state, so also in a snapshot taken while the storm goes on.
    await expectInvariants(admin, 'mid-storm, after the terminations');
    await sleep(1500);
    // An outage: every connection cut and new ones refused for two seconds.
    const outage = storm.now();
    await proxy.down();
    await sleep(2000);
    await proxy.up();
    const back = storm.now();
    await sleep(4000);
    await storm.halt();

    expect(await hasExited(server)).toBe(false);
    expect(server.output()).not.toContain('worker died');
    // Serving between the cuts, and again once the database is back.
    expect(storm.answeredAfter(firstCut + 500) - storm.answeredAfter(secondCut)).toBeGreaterThan(0);
    expect(storm.answeredAfter(secondCut + 500) - storm.answeredAfter(outage)).toBeGreaterThan(0);
    expect(storm.answeredAfter(back + 1000)).toBeGreaterThan(0);
    // One LISTEN session per worker, and no retry opens another.
    await eventually(() => listenSessions(admin, database), (n) => n === WORKERS, 20_000);
    await sleep(1500);
    expect(await listenSessions(admin, database)).toBe(WORKERS);

    await expectInvariants(admin, 'after the outage');
    const { retried, tookEffect } = await retryUnanswered(port, admin, storm.attempts);
    const repair = await repairPaymentsLater();
    await expectInvariants(admin, 'after the retries');
    const left = await tally(admin);
    process.stdout.write(`\n[faults] terminated backends + outage (seed ${SEED}): ${storm.summary()}; ${retried} retried, ${tookEffect} had taken effect; repair-payments: ${repair}; ${JSON.stringify(left)}\n`);

    expect(storm.problems).toEqual([]);
    expect(retried).toBeGreaterThan(0);
    expect(left.unopened_payments).toBe(0);
    expect(left.checkouts).toBeGreaterThan(20);
    for (const what of ['paid_orders', 'cancelled_unpaid', 'events', 'refunds', 'payment_postings', 'refund_postings'] as const) expect(left[what], what).toBeGreaterThan(0);
  }, 150_000);
});
