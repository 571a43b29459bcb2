/** The last N calls to one insurer: enough for "recent figures" without unbounded memory. */
export class CallFigures {
  private readonly ok: boolean[] = [];
  private readonly latencies: number[] = [];
  private next = 0;
  private total = 0;
  private failuresTotal = 0;

  constructor(private readonly size: number) {}

  record(ok: boolean, latencyMs: number): void {
    this.ok[this.next] = ok;
    this.latencies[this.next] = latencyMs;
    this.next = (this.next + 1) % this.size;
    this.total += 1;
    if (!ok) this.failuresTotal += 1;
  }

  summary() {
    const n = this.ok.length;
    const failures = this.ok.filter((x) => !x).length;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      calls: this.total,
      failures: this.failuresTotal,
      recent: {
        calls: n,
        failureRate: n ? Math.round((failures / n) * 1000) / 1000 : 0,
        p50LatencyMs: n ? sorted[Math.floor(n * 0.5)] : null,
        p95LatencyMs: n ? sorted[Math.min(n - 1, Math.floor(n * 0.95))] : null,
      },
    };
  }
}
