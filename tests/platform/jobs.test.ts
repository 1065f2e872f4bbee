import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Jobs, JOBS, startJobs } from '../../src/jobs';
import { createLogger } from '../../src/logger';
import { type TestApp, createTestApp } from '../helpers/app';

let t: TestApp;
const running: Jobs[] = [];
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  for (const jobs of running) await jobs.stop();
  await t.close();
});

async function start(): Promise<Jobs> {
  const jobs = await startJobs({ url: t.config.databaseUrl!, orm: t.orm, deps: t.app.deps, logger: createLogger({ ...t.config, logLevel: 'silent' }), pollingIntervalSeconds: 0.5 });
  running.push(jobs);
  return jobs;
}

describe('background jobs on pg-boss', () => {
  it('schedules every job once for the cluster, however many processes start the workers', async () => {
    const first = await start();
    await start();
    const schedules = await first.boss.getSchedules();
    expect(schedules.map((s) => s.name).sort()).toEqual(Object.keys(JOBS).sort());
    expect(schedules.every((s) => s.cron === '* * * * *')).toBe(true);
  });

  it('runs a job sent to its queue in a worker', async () => {
    const jobs = running[0] ?? (await start());
    await t.sql("insert into rate_limit (key, points, expire) values ('stale', 1, 1000), ('fresh', 1, ?)", [Date.now() + 60_000]);
    await jobs.boss.send('purge-rate-limits', {});
    const deadline = Date.now() + 15_000;
    let keys: string[] = [];
    while (Date.now() < deadline) {
      keys = (await t.sql("select key from rate_limit where key in ('stale', 'fresh') order by key")).map((r) => r.key);
      if (keys.length === 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(keys).toEqual(['fresh']);
  });
});
