import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { childPids } from './server';

/**
 * CPU time, read from /proc, so each scenario can say what one request cost in CPU on the server
 * and in PostgreSQL, and how busy other processes kept the machine meanwhile: on a shared 2-core
 * box the throughput moves with the neighbours, the CPU per request much less.
 */

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime (+ the reaped children's time with `withReaped`) of one process, in ms. */
function processMs(pid: number, withReaped = false): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    // Fields after the command: state is [0], utime [11], stime [12], cutime [13], cstime [14].
    const own = Number(fields[11]) + Number(fields[12]);
    return (own + (withReaped ? Number(fields[13]) + Number(fields[14]) : 0)) * TICK_MS;
  } catch {
    return 0;
  }
}

/** A process and its live children; the postmaster also carries the time of backends that have exited. */
function treeMs(pid: number, withReaped: boolean): number {
  return processMs(pid, withReaped) + childPids(pid).reduce((sum, child) => sum + processMs(child), 0);
}

function machineMs(): { busy: number; total: number } {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const v = cpu.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = v[3] + v[4];
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}

/** The embedded PostgreSQL's postmaster pid (first line of postmaster.pid), if this run uses it. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) ? pid : undefined;
}

export interface CpuUse {
  /** Server CPU (all its processes) per request, in ms. */
  serverMsPerRequest: number;
  /** PostgreSQL CPU per request, in ms (embedded PostgreSQL only). */
  postgresMsPerRequest?: number;
  /** Share of the machine's CPU that other processes (not the server, PostgreSQL or this harness) used meanwhile. */
  othersShare: number;
  /** Share of the machine's CPU in use meanwhile. */
  busyShare: number;
}

export class CpuMeter {
  private start?: { server: number; pg: number; self: number; machine: { busy: number; total: number } };
  constructor(
    private readonly serverPid: number,
    private readonly pgPid: number | undefined,
  ) {}

  private read() {
    const self = process.cpuUsage();
    return {
      server: treeMs(this.serverPid, false),
      pg: this.pgPid ? treeMs(this.pgPid, true) : 0,
      self: (self.user + self.system) / 1000,
      machine: machineMs(),
    };
  }

  begin(): void {
    this.start = this.read();
  }

  end(requests: number): CpuUse {
    const now = this.read();
    const s = this.start!;
    const n = Math.max(requests, 1);
    const total = Math.max(now.machine.total - s.machine.total, 1);
    const busy = now.machine.busy - s.machine.busy;
    const server = now.server - s.server;
    const pg = now.pg - s.pg;
    const self = now.self - s.self;
    const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
    return {
      serverMsPerRequest: round(server / n),
      ...(this.pgPid ? { postgresMsPerRequest: round(pg / n) } : {}),
      othersShare: round(Math.max(0, busy - server - pg - self) / total, 3),
      busyShare: round(busy / total, 3),
    };
  }
}
