import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../helpers/wait';
import { REGISTER, type ServerProcess, freePort, registration, serverEnv, slowRequest, startServerGroup, tempDir, times } from './serverProcess';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** The server as systemd or a terminal runs it: leading its own process group. */
async function start(env: Record<string, string>, workers: number): Promise<{ server: ServerProcess; port: number }> {
  const port = await freePort();
  const server = await startServerGroup(serverEnv(port, env), workers);
  cleanups.push(() => server.kill());
  return { server, port };
}

/**
 * Sends `signal` while a registration is in flight, and checks the registration is answered in
 * full, every process drains (once) and the server exits 0.
 */
async function drainsInFlight(server: ServerProcess, port: number, workers: number, send: () => void): Promise<void> {
  const name = '慢慢來的顧客';
  const inFlight = await slowRequest(port, REGISTER, registration(name));
  send();
  await server.waitFor(times('shutting down: draining in-flight requests', workers), 10_000);
  // Before the fix a worker took the primary's request for a second signal and exited at once.
  await sleep(500);
  const res = await inFlight.finish();
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ data: { register: { user: { displayName: name }, errors: [] } } });
  expect(await server.exit).toEqual({ code: 0, signal: null });
  expect(server.output()).toContain('shutdown complete');
  expect(server.output()).not.toContain('second signal');
}

describe('stopping the server', () => {
  it('drains a request in flight in every worker when SIGTERM reaches only the primary', async () => {
    const { server, port } = await start({ DATABASE_URL: process.env.TEST_DB_URL! }, 2);
    await drainsInFlight(server, port, 2, () => server.child.kill('SIGTERM'));
  }, 120_000);

  it('drains a request in flight when SIGTERM reaches the whole process group, as systemd sends it', async () => {
    const { server, port } = await start({ DATABASE_URL: process.env.TEST_DB_URL! }, 2);
    await drainsInFlight(server, port, 2, () => process.kill(-server.child.pid!, 'SIGTERM'));
  }, 120_000);

  it('drains a request in flight on Ctrl-C delivered twice, with the embedded PostgreSQL serving it to the end', async () => {
    const data = tempDir('marketplace-shutdown');
    cleanups.push(data.remove);
    const { server, port } = await start({ DATA_DIR: data.path, EMBEDDED_PG_PORT: String(await freePort()) }, 1);
    await drainsInFlight(server, port, 1, () => {
      // The terminal sends SIGINT to the process group; a forwarding parent (npm) sends it once more.
      process.kill(-server.child.pid!, 'SIGINT');
      server.child.kill('SIGINT');
    });
    // The server stopped its PostgreSQL before exiting (a clean stop removes postmaster.pid).
    expect(existsSync(path.join(data.path, 'pg', 'postmaster.pid'))).toBe(false);
  }, 120_000);

  it('exits at once on a second signal sent well after the first', async () => {
    const { server, port } = await start({ DATABASE_URL: process.env.TEST_DB_URL! }, 1);
    const inFlight = await slowRequest(port, REGISTER, registration('等不及'));
    server.child.kill('SIGTERM');
    await server.waitFor('shutting down: draining in-flight requests', 10_000);
    await sleep(1500);
    server.child.kill('SIGTERM');
    expect(await server.exit).toEqual({ code: 130, signal: null });
    expect(server.output()).toContain('second signal: exiting now');
    await expect(inFlight.finish()).rejects.toThrow();
  }, 120_000);
});
