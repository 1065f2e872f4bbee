import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Jobs, startJobs } from '../../src/jobs';
import { createLogger } from '../../src/logger';
import { SCHEDULED_TASKS } from '../../src/services/platform';
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
  it('schedules every registered task once for the cluster, however many processes start the workers', async () => {
    const first = await start();
    await start();
    const schedules = await first.boss.getSchedules();
    expect(schedules.map((s) => [s.name, s.cron]).sort()).toEqual(SCHEDULED_TASKS.map((task) => [task.name, task.schedule]).sort());
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
    // The worker records the run where every process (and staff) can see it.
    let [state] = await t.sql("select last_run_at, last_result from scheduled_task_state where name = 'purge-rate-limits'");
    while (!state?.last_result && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      [state] = await t.sql("select last_run_at, last_result from scheduled_task_state where name = 'purge-rate-limits'");
    }
    expect(state.last_result).toMatch(/^done: \d+$/);
    expect(state.last_run_at).not.toBeNull();
  });
});
