import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');

function startServer(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

async function waitFor(check: () => boolean, ms = 20_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function gql(port: number, query: string, variables?: object, token?: string) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('the server process', () => {
  it('serves over real HTTP, then drains and exits cleanly on SIGTERM', async () => {
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const server = startServer({ PORT: String(port), DATABASE_URL: process.env.TEST_DB_URL!, NODE_ENV: 'development', JWT_SECRET: 'a-test-secret-that-is-at-least-32-bytes' });
    try {
      await waitFor(() => server.output().includes('marketplace server ready'));
      const email = `http-${Date.now()}@example.com`;
      const registered = await gql(port, `mutation($i: RegisterInput!) { register(input: $i) { accessToken errors { code } } }`, { i: { email, password: 'correct horse battery', displayName: 'Http' } });
      expect(registered.status).toBe(200);
      const me = await gql(port, `{ me { email } }`, undefined, registered.body.data.register.accessToken);
      expect(me.body).toEqual({ data: { me: { email } } });
      const bad = await gql(port, `{ me { email } }`, undefined, 'garbage');
      expect(bad.status).toBe(401);

      // A login spends tens of milliseconds hashing: SIGTERM lands while it is being served.
      const inFlight = gql(port, `mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code } } }`, { i: { email, password: 'correct horse battery' } });
      await new Promise((r) => setTimeout(r, 30));
      server.child.kill('SIGTERM');
      const login = await inFlight;
      expect(login.status).toBe(200);
      expect(login.body.data.login.accessToken).toEqual(expect.any(String));
      const [code] = await once(server.child, 'exit');
      expect(code).toBe(0);
      expect(server.output()).toContain('shutdown complete');
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('refuses to start in production with missing settings, naming each one', async () => {
    const server = startServer({ NODE_ENV: 'production', PORT: '0' });
    const [code] = await once(server.child, 'exit');
    expect(code).toBe(78);
    for (const name of ['DATABASE_URL', 'JWT_SECRET', 'PAYMENT_WEBHOOK_SECRET']) expect(server.output()).toContain(name);
  });
});
