import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import cluster from 'node:cluster';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';

/**
 * What a run started, stopped in reverse order whatever way the run ends: normally, on an error,
 * on Ctrl-C/SIGTERM or when the run's time limit passes.
 */
export class Cleanup {
  private readonly steps: { name: string; fn: () => Promise<void> }[] = [];
  private running: Promise<void> | undefined;

  add(name: string, fn: () => Promise<void>): void {
    this.steps.push({ name, fn });
  }

  /** Runs every step once, newest first; a failing step is reported and the rest still run. */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.splice(0).reverse()) {
        try {
          await withTimeout(step.fn(), 40_000, `stopping ${step.name}`);
        } catch (err) {
          console.error(`cleanup: ${step.name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.running;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
    timer.unref();
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Child {
  process: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<string>;
  /** The last lines it wrote, for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL to its whole process group after `graceMs` or once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a process in its own process group (so Ctrl-C reaches only the harness, which then stops
 * it in order, and a stop reaches its workers too), its output appended to `logFile`.
 */
export function startChild(name: string, command: string, args: string[], options: SpawnOptions & { logFile: string }): Child {
  const log: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  const pid = child.pid;
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let done = false;
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      log.end();
      resolve(signal ? `signal ${signal}` : `code ${code}`);
    });
  });
  const kill = (target: number, signal: NodeJS.Signals) => {
    try {
      process.kill(target, signal);
    } catch {
      // Already gone.
    }
  };
  return {
    process: child,
    pid,
    exited,
    tail: () => lines.join('\n'),
    async stop(graceMs = 30_000) {
      if (!done) {
        // The process itself: a cluster primary drains its workers (a second SIGTERM would hurry them).
        kill(pid, 'SIGTERM');
        const timer = setTimeout(() => kill(-pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Anything of its group that outlived it.
      kill(-pid, 'SIGKILL');
    },
  };
}

/**
 * Runs `start` in `workers` processes under node:cluster like the server (in this process when 1):
 * the primary only forks, and stops them all on SIGTERM or SIGINT. A ceiling is stateless: a worker
 * exits at once on either signal, whatever keep-alive sockets the load generator holds.
 */
export function clustered(workers: number, start: () => void): void {
  if (cluster.isPrimary && workers > 1) {
    for (let i = 0; i < workers; i++) cluster.fork();
    const stop = () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }
  start();
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}
