/**
 * One insurer's readiness, learned online: how long after the accepted create an answer (an offer
 * or a decline) is ready. Only a recent window is kept, so an insurer that drifts is followed.
 *
 * A quote rarely tells its readiness exactly: the answer lies somewhere between the last poll that
 * found it processing and the poll that found it ready. Each such interval is spread evenly over
 * its span rather than pinned to an end, so a quote found ready at the first poll after a long
 * jump pulls the lower edge down over that whole span: once more than the edge's share of quotes
 * land before the edge, the edge moves earlier by itself.
 */

export interface ReadinessObservation {
  /** Elapsed ms since the create at which the quote was last known not ready (0: the create). */
  afterMs: number;
  /** Elapsed ms at which it was seen ready. */
  atMs: number;
  /** When the insurer said exactly when (a hint shorter than its usual one). */
  exactMs?: number;
}

/** Shorter intervals than this are as good as exact. */
const EXACT_WITHIN_MS = 1;
/** A conditional edge needs this many observations beyond the elapsed time, or it is a guess. */
const TAIL_OBSERVATIONS = 5;

export const DEFAULT_READINESS_WINDOW = 200;
export const DEFAULT_HINT_WINDOW = 64;

/**
 * The window sits in typed arrays: a quote's end costs one insert and one eviction in a sorted list
 * of breakpoints and one linear sweep, and each poll's question a few binary searches. Pollers ask
 * at every poll of every quote, so this stays in microseconds.
 */
export class ReadinessModel {
  // the ring of observations: [from, to], from === to when exact
  private readonly ringFrom: Float64Array;
  private readonly ringTo: Float64Array;
  private readonly ringExact: Uint8Array; // 1: the insurer's own hint said when
  private exactCount = 0;
  private count = 0;
  private next = 0;
  // every observation's breakpoints sorted by x: a step of `jump` observations, or a change of density by `slope`
  private readonly bx: Float64Array;
  private readonly bJump: Float64Array;
  private readonly bSlope: Float64Array;
  private breakpoints = 0;
  // the distribution function as a polyline: linear between knots, a jump is two knots at one x
  private readonly knotX: Float64Array;
  private readonly knotC: Float64Array;
  private knots = 0;
  private stale = false;

  private version = 0; // observations so far: what a cached figure was computed at
  private seenSpread: { version: number; p: number; min: number; value: { low: number; high: number } | undefined } | undefined;

  private readonly hints: number[] = [];
  private nextHint = 0;
  private usualHint: number | undefined;

  constructor(
    readonly windowSize = DEFAULT_READINESS_WINDOW,
    readonly hintWindow = DEFAULT_HINT_WINDOW,
  ) {
    if (!(windowSize >= 1 && hintWindow >= 1)) throw new RangeError('readiness windows must hold at least one observation');
    this.ringFrom = new Float64Array(windowSize);
    this.ringTo = new Float64Array(windowSize);
    this.ringExact = new Uint8Array(windowSize);
    this.bx = new Float64Array(2 * windowSize);
    this.bJump = new Float64Array(2 * windowSize);
    this.bSlope = new Float64Array(2 * windowSize);
    this.knotX = new Float64Array(4 * windowSize);
    this.knotC = new Float64Array(4 * windowSize);
  }

  get samples(): number {
    return this.count;
  }

  /** Of the window's answers, the share the insurer announced with a hint shorter than its usual one. */
  get exactShare(): number {
    return this.count === 0 ? 0 : this.exactCount / this.count;
  }

  /** The insurer's usual "poll again in": the largest recent hint. A shorter one says exactly when. */
  get usualHintMs(): number | undefined {
    return this.usualHint;
  }

  noteHint(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const evicted = this.hints.length < this.hintWindow ? undefined : this.hints[this.nextHint];
    this.hints[this.nextHint] = ms;
    this.nextHint = (this.nextHint + 1) % this.hintWindow;
    if (this.usualHint === undefined || ms >= this.usualHint) this.usualHint = ms;
    else if (evicted === this.usualHint) this.usualHint = Math.max(...this.hints);
  }

  observe(o: ReadinessObservation): void {
    const after = Math.max(0, o.afterMs);
    const at = Math.max(after, o.atMs);
    if (!Number.isFinite(at)) return;
    const exact = o.exactMs !== undefined ? Math.min(at, Math.max(after, o.exactMs)) : at - after < EXACT_WITHIN_MS ? at : undefined;
    if (this.count === this.windowSize) {
      this.breakpointsOf(this.ringFrom[this.next], this.ringTo[this.next], (x, jump, slope) => this.remove(x, jump, slope));
      this.exactCount -= this.ringExact[this.next];
    } else this.count++;
    this.ringExact[this.next] = o.exactMs !== undefined ? 1 : 0;
    this.exactCount += this.ringExact[this.next];
    this.ringFrom[this.next] = exact ?? after;
    this.ringTo[this.next] = exact ?? at;
    this.next = (this.next + 1) % this.windowSize;
    this.breakpointsOf(exact ?? after, exact ?? at, (x, jump, slope) => this.insert(x, jump, slope));
    this.stale = true;
    this.version++;
  }

  /** P(ready by `ms` after the create), over the window. */
  cdf(ms: number): number {
    this.rebuild();
    const xs = this.knotX;
    const last = this.knots - 1;
    if (last < 0 || ms < xs[0]) return 0;
    const j = lastAtOrBelow(xs, last, ms);
    if (j === last) return this.knotC[j];
    const cs = this.knotC;
    return cs[j] + ((cs[j + 1] - cs[j]) * (ms - xs[j])) / (xs[j + 1] - xs[j]);
  }

  /** The earliest elapsed ms by which a share `p` of answers are ready; undefined before any observation. */
  quantile(p: number): number | undefined {
    this.rebuild();
    const xs = this.knotX;
    const cs = this.knotC;
    if (this.knots === 0) return undefined;
    let lo = 0;
    let hi = this.knots - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cs[mid] >= p) hi = mid;
      else lo = mid + 1;
    }
    if (lo === 0 || xs[lo] === xs[lo - 1] || cs[lo] < p) return xs[lo];
    return xs[lo - 1] + ((p - cs[lo - 1]) / (cs[lo] - cs[lo - 1])) * (xs[lo] - xs[lo - 1]);
  }

  /**
   * Given the answer was not ready at `elapsedMs`: the elapsed time before which it is ready with
   * probability only `p`. Undefined when too few observations reach past `elapsedMs` to say.
   */
  lowerEdge(elapsedMs: number, p: number): number | undefined {
    return this.quantileAfter(elapsedMs, p);
  }

  /**
   * The span from the `p` to the `1 − p` quantile of the answers seen becoming ready (exact
   * observations alone), or undefined with fewer than `min` of them. Intervals spread an answer over
   * the wait that found it, and a planner's own strides make those waits wide: where the window is
   * narrower than a stride, only exact observations can tell.
   */
  exactSpan(p: number, min: number): { low: number; high: number } | undefined {
    const cached = this.seenSpread;
    if (cached && cached.version === this.version && cached.p === p && cached.min === min) return cached.value;
    const seen: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.ringFrom[i] === this.ringTo[i]) seen.push(this.ringFrom[i]);
    seen.sort((a, b) => a - b);
    const value = seen.length === 0 || seen.length < min ? undefined : Object.freeze({ low: seen[Math.floor(p * (seen.length - 1))], high: seen[Math.ceil((1 - p) * (seen.length - 1))] });
    this.seenSpread = { version: this.version, p, min, value };
    return value;
  }

  /** Given the answer was not ready at `elapsedMs`: the elapsed time after which it is still not ready with probability only `p`. */
  upperEdge(elapsedMs: number, p: number): number | undefined {
    return this.quantileAfter(elapsedMs, 1 - p);
  }

  /** The `q` quantile given not ready at `elapsedMs`; undefined when too few observations reach past it. */
  private quantileAfter(elapsedMs: number, q: number): number | undefined {
    const before = this.cdf(elapsedMs);
    const beyond = 1 - before;
    if (beyond * this.count < TAIL_OBSERVATIONS) return undefined;
    const edge = this.quantile(before + q * beyond);
    return edge === undefined ? undefined : Math.max(edge, elapsedMs);
  }

  private breakpointsOf(from: number, to: number, each: (x: number, jump: number, slope: number) => void): void {
    if (from === to) {
      each(from, 1, 0);
      return;
    }
    each(from, 0, 1 / (to - from));
    each(to, 0, -1 / (to - from));
  }

  private insert(x: number, jump: number, slope: number): void {
    const n = this.breakpoints;
    const at = firstIndex(this.bx, n, (v) => v > x); // after its equals: insertion order kept
    this.bx.copyWithin(at + 1, at, n);
    this.bJump.copyWithin(at + 1, at, n);
    this.bSlope.copyWithin(at + 1, at, n);
    this.bx[at] = x;
    this.bJump[at] = jump;
    this.bSlope[at] = slope;
    this.breakpoints = n + 1;
  }

  /** Equal breakpoints are interchangeable: any one that matches will do. */
  private remove(x: number, jump: number, slope: number): void {
    const n = this.breakpoints;
    for (let i = firstIndex(this.bx, n, (v) => v >= x); i < n && this.bx[i] === x; i++) {
      if (this.bJump[i] !== jump || this.bSlope[i] !== slope) continue;
      this.bx.copyWithin(i, i + 1, n);
      this.bJump.copyWithin(i, i + 1, n);
      this.bSlope.copyWithin(i, i + 1, n);
      this.breakpoints = n - 1;
      return;
    }
  }

  /** Lazily, once per batch of observations: queries come at every poll, observations once per quote. */
  private rebuild(): void {
    if (!this.stale) return;
    this.stale = false;
    const n = this.count;
    const xs = this.knotX;
    const cs = this.knotC;
    let k = 0;
    let c = 0;
    let slope = 0;
    let prev = this.breakpoints > 0 ? this.bx[0] : 0;
    for (let i = 0; i < this.breakpoints; i++) {
      const x = this.bx[i];
      // rounding can leave a slope a hair below zero after its interval closes: the function must not fall
      c += Math.max(0, slope) * (x - prev);
      prev = x;
      xs[k] = x;
      cs[k++] = Math.min(1, c / n);
      c += this.bJump[i];
      slope += this.bSlope[i];
      xs[k] = x;
      cs[k++] = Math.min(1, c / n);
    }
    if (k > 0) cs[k - 1] = 1; // all mass ends at the last breakpoint, rounding aside
    this.knots = k;
  }
}

/** The first index below `n` whose value passes `test` (`n` if none); `test` must hold from some index on. */
function firstIndex(xs: Float64Array, n: number, test: (value: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (test(xs[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Index of the last of xs[0..last] not above `x`; xs ascending, xs[0] not above `x`. */
function lastAtOrBelow(xs: Float64Array, last: number, x: number): number {
  return Math.max(0, firstIndex(xs, last + 1, (v) => v > x) - 1);
}
