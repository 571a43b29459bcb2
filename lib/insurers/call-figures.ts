/**
 * What one node has seen of its calls to one insurer, for the operators (/ops, the REPL): the last
 * N calls (outcome and latency), calls in flight, calls in the last minute and the last errors with
 * their times. Bounded memory whatever the traffic; the clock is injected so tests run on a virtual one.
 */
export interface CallError {
  /** ISO time the call ended. */
  at: string;
  message: string;
}

export interface CallFiguresSummary {
  calls: number;
  failures: number;
  inFlight: number;
  /** Calls that ended in the last 60 s. */
  perMinute: number;
  recent: { calls: number; failureRate: number; p50LatencyMs: number | null; p95LatencyMs: number | null };
  /** Newest first. */
  lastErrors: CallError[];
}

export interface CallFiguresDetail extends CallFiguresSummary {
  /** The latencies behind `recent`, so that several nodes' figures can be merged exactly. */
  recentLatenciesMs: number[];
  recentFailures: number;
}

const MINUTE_SECONDS = 60;
const LAST_ERRORS = 5;
const MESSAGE_CHARS = 200;

export function percentile(sorted: readonly number[], share: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))];
}

export class CallFigures {
  private readonly ok: boolean[] = [];
  private readonly latencies: number[] = [];
  private next = 0;
  private total = 0;
  private failuresTotal = 0;
  private running = 0;
  // calls ended per second of the last minute: slot = second % 60, stamped with its second
  private readonly perSecond = new Array<number>(MINUTE_SECONDS).fill(0);
  private readonly secondOf = new Array<number>(MINUTE_SECONDS).fill(-1);
  private readonly errors: CallError[] = [];

  constructor(
    private readonly size: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A call has started; the returned function ends it (at most once). */
  begin(): () => void {
    this.running += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.running -= 1;
    };
  }

  record(ok: boolean, latencyMs: number, error?: string): void {
    this.ok[this.next] = ok;
    this.latencies[this.next] = latencyMs;
    this.next = (this.next + 1) % this.size;
    this.total += 1;
    const second = Math.floor(this.now() / 1000);
    const slot = second % MINUTE_SECONDS;
    if (this.secondOf[slot] !== second) {
      this.secondOf[slot] = second;
      this.perSecond[slot] = 0;
    }
    this.perSecond[slot] += 1;
    if (ok) return;
    this.failuresTotal += 1;
    this.errors.unshift({ at: new Date(this.now()).toISOString(), message: (error ?? 'failed').slice(0, MESSAGE_CHARS) });
    if (this.errors.length > LAST_ERRORS) this.errors.length = LAST_ERRORS;
  }

  summary(): CallFiguresSummary {
    const { recentLatenciesMs: _latencies, recentFailures: _failures, ...summary } = this.detail();
    return summary;
  }

  detail(): CallFiguresDetail {
    const n = this.ok.length;
    const failures = this.ok.filter((x) => !x).length;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const second = Math.floor(this.now() / 1000);
    let perMinute = 0;
    for (let slot = 0; slot < MINUTE_SECONDS; slot += 1) if (second - this.secondOf[slot] < MINUTE_SECONDS) perMinute += this.perSecond[slot];
    return {
      calls: this.total,
      failures: this.failuresTotal,
      inFlight: this.running,
      perMinute,
      recent: {
        calls: n,
        failureRate: n ? Math.round((failures / n) * 1000) / 1000 : 0,
        p50LatencyMs: percentile(sorted, 0.5),
        p95LatencyMs: percentile(sorted, 0.95),
      },
      lastErrors: this.errors.map((e) => ({ ...e })),
      recentLatenciesMs: sorted,
      recentFailures: failures,
    };
  }
}
