import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, get, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const root = path.resolve(__dirname, '..', '..');

/** A port nobody listens on right now (the kernel's pick for port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A temporary directory, removed by `remove()`; `mode` 0o755 lets PostgreSQL (the postgres OS user when root) reach it. */
export function tempDir(prefix: string, mode = 0o755): { path: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  chmodSync(dir, mode);
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ServerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once `text` has been printed; rejects when the process exits first or after `ms`. */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to the process (and to its group when detached); safe to call when it has exited. */
  kill(): void;
}

/**
 * Runs `src/server.ts` (or another entry) from source, with exactly `env` as its environment: no
 * LANG, no NODE_ENV unless given. `detached` makes it lead its own process group, as under a
 * terminal or a systemd unit, so a test can signal the whole group.
 */
export function spawnServer(env: Record<string, string>, options: { detached?: boolean; args?: string[] } = {}): ServerProcess {
  let output = '';
  const child = spawn(process.execPath, ['-r', '@swc-node/register', ...(options.args ?? ['src/server.ts'])], {
    cwd: root,
    env,
    detached: options.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let exited = false;
  void exit.then(() => (exited = true));
  return {
    child,
    output: () => output,
    exit,
    async waitFor(text, ms = 60_000) {
      const found = () => (typeof text === 'string' ? output.includes(text) : text.test(output));
      const end = Date.now() + ms;
      while (!found()) {
        if (exited) throw new Error(`the process exited before printing ${String(text)}:\n${output}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${String(text)}:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill() {
      if (exited || child.pid === undefined) return;
      try {
        if (options.detached) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/**
 * The environment of a server under test: a PATH and HOME, listening on 127.0.0.1:`port`, logging at
 * info, with a JWT secret. `env` adds to it (a DATABASE_URL, say) and overrides it.
 */
export function serverEnv(port: number, env: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH!,
    HOME: process.env.HOME!,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    JWT_SECRET: 'a-test-secret-that-is-at-least-32-bytes',
    ...env,
  };
}

/** Matches output in which `text` was printed `n` times (once by each of `n` workers, say). */
export const times = (text: string, n: number): RegExp => new RegExp(Array.from({ length: n }, () => text).join('[\\s\\S]*'));

/**
 * The server as systemd or a terminal runs it: leading its own process group (so `kill()` is
 * SIGKILL to all of it), with `workers` worker processes. Resolves once every worker is ready;
 * a server that is not is killed.
 */
export async function startServerGroup(env: Record<string, string>, workers: number): Promise<ServerProcess> {
  const server = spawnServer({ ...env, WEB_CONCURRENCY: String(workers) }, { detached: true });
  try {
    await server.waitFor(times('marketplace server ready', workers), 60_000);
  } catch (err) {
    server.kill();
    throw err;
  }
  return server;
}

export async function gql(port: number, query: string, variables?: object): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: await res.json() };
}

/**
 * A GraphQL request whose client sends the body slowly: the headers and half of the body now, the
 * rest on `finish()`. Until then the request is in flight on the server, as an upload from a slow
 * mobile connection is. It goes over a keep-alive connection that has already been answered once,
 * so a worker process owns the connection before the request starts.
 */
export async function slowRequest(port: number, query: string, variables?: object): Promise<{ finish(): Promise<{ status: number; body: any }> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  await new Promise<void>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
  const body = Buffer.from(JSON.stringify({ query, variables }));
  const half = Math.floor(body.length / 2);
  let release!: () => void;
  const finished = new Promise<void>((resolve) => (release = resolve));
  const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, half));
    void finished.then(() => req.end(body.subarray(half)));
  });
  // Whoever calls finish() sees a failure; until then it is not an unhandled rejection.
  response.catch(() => undefined);
  // Give the server time to read the headers, so the request counts as in flight there.
  await new Promise((r) => setTimeout(r, 300));
  return {
    finish() {
      release();
      return response.finally(() => agent.destroy());
    },
  };
}

/** A registration storing Chinese text; answers the stored display name. */
export const REGISTER = `mutation($i: RegisterInput!) { register(input: $i) { user { displayName } errors { code } } }`;
export const registration = (displayName: string) => ({
  i: { email: `p-${randomBytes(6).toString('hex')}@example.com`, password: 'correct horse battery', displayName },
});
