/** Latencies of one measured phase, in milliseconds, kept whole so percentiles are exact. */
export class Latencies {
  private values = new Float64Array(1024);
  private n = 0;

  record(ms: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  /** The phase's figures over `seconds` of measuring: requests, req/s and the latency summary. */
  result(seconds: number): { requests: number; seconds: number; rps: number; latency: LatencySummary } {
    return { requests: this.n, seconds: Math.round(seconds * 100) / 100, rps: Math.round((this.n / seconds) * 10) / 10, latency: this.summary() };
  }

  summary(): LatencySummary {
    const sorted = this.values.slice(0, this.n).sort();
    // Nearest-rank percentiles, as HdrHistogram (autocannon) reports them.
    const at = (p: number) => (this.n ? sorted[Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1))] : NaN);
    const round = (v: number) => Math.round(v * 100) / 100;
    const sum = sorted.reduce((a, b) => a + b, 0);
    return { p50: round(at(50)), p90: round(at(90)), p99: round(at(99)), max: round(at(100)), mean: round(this.n ? sum / this.n : NaN) };
  }
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}
