/**
 * How few polls any planner could make, for the sandbox's insurers at a latency scale, if every
 * offer must reach us within the lag budget (but for `lateShare` of them). A bound, not a plan: it
 * knows each insurer's readiness window exactly, never explores and meets no fault.
 *
 * The insurers announce: a poll within the usual hint of readiness is told exactly when, one
 * further off only "not yet, poll again in <usual hint>", and a hint may not be undercut. So every
 * quote sees the same polls until one lands within a usual hint of its readiness, and two
 * neighbouring polls may stand at most a usual hint plus the lag budget apart, or a readiness
 * between them is found late. The fewest polls come from the latest first poll the late share
 * allows and then polls exactly that far apart; a quote is found at the first poll past its
 * readiness, or told exactly when by the one before it and polled once more.
 *
 * It also gives the lag's floor that the sandbox's transient 503s set: the poll that would find an
 * answer fails with the insurer's transient error rate, and its Retry-After (1 s) must be waited.
 *
 *   npm run build && node dist/bench/poll-bound.js [scale] [lagBudgetMs]
 */
import { INSURERS } from '../lib/insurers/catalog';
import { profileFor } from '../sandbox/profiles';

export interface ReadinessWindow {
  readyMs: readonly [number, number]; // uniform, as the sandbox draws it
  usualHintMs: number;
}

/** The mean polls per quote of the best grid, readiness drawn evenly from the window. */
export function fewestPollsPerQuote(w: ReadinessWindow, lagBudgetMs: number, lateShare = 0.01, samples = 10_000): number {
  const [min, max] = w.readyMs;
  const stride = w.usualHintMs + lagBudgetMs;
  const first = min + lateShare * (max - min) + lagBudgetMs;
  let polls = 0;
  for (let i = 0; i < samples; i++) {
    const ready = min + ((i + 0.5) / samples) * (max - min);
    if (ready <= first) {
      polls += 1; // found by the first poll (late, for the late share)
      continue;
    }
    // the first grid poll within a usual hint of readiness, or past it
    const k = Math.max(0, Math.ceil((ready - w.usualHintMs - first) / stride));
    const at = first + k * stride;
    polls += k + 1 + (at < ready ? 1 : 0);
  }
  return polls / samples;
}

function main(): void {
  const scale = Number(process.argv[2] ?? 1);
  const lagBudgetMs = Number(process.argv[3] ?? 250);
  const rows = INSURERS.map((insurer) => {
    const p = profileFor(insurer.code);
    const window: ReadinessWindow = { readyMs: [p.readyMs[0] * scale, p.readyMs[1] * scale], usualHintMs: p.pollHintMs * scale };
    return { insurer: insurer.code, fewestPolls: +fewestPollsPerQuote(window, lagBudgetMs).toFixed(2), transientErrorRate: p.transientErrorRate };
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.table(rows);
  console.log(JSON.stringify({
    scale,
    lagBudgetMs,
    fewestPollsPerQuote: +mean(rows.map((r) => r.fewestPolls)).toFixed(2),
    // each quote's finding poll fails this often, and then waits the 1 s Retry-After
    offersDelayedAtLeast1s: `${(100 * mean(rows.map((r) => r.transientErrorRate))).toFixed(1)} %`,
  }));
}

if (require.main === module) main();
