import { fewestPollsPerQuote } from '../../bench/poll-bound';

test('a fixed readiness needs one poll, a lag budget after it', () => {
  expect(fewestPollsPerQuote({ readyMs: [20_000, 20_000], usualHintMs: 3_000 }, 250)).toBe(1);
});

test('a window narrower than the lag budget needs one poll; a wide one a poll per hint plus budget, and one more when told exactly', () => {
  expect(fewestPollsPerQuote({ readyMs: [1_000, 1_200], usualHintMs: 1_000 }, 250, 0)).toBe(1);
  // 1–11 s, 1 s hints, 0 late: first poll at 1.25 s, then every 1.25 s; 80 % of each stride is
  // within a hint of the next poll (two polls there), so about 1 + 8.75 / 1.25 / 2 + 0.8 ≈ 5.3
  const wide = fewestPollsPerQuote({ readyMs: [1_000, 11_000], usualHintMs: 1_000 }, 250, 0);
  expect(wide).toBeGreaterThan(5);
  expect(wide).toBeLessThan(5.6);
  // a late share lets the grid start later, and a longer lag budget spaces it wider
  expect(fewestPollsPerQuote({ readyMs: [1_000, 11_000], usualHintMs: 1_000 }, 250, 0.1)).toBeLessThan(wide);
  expect(fewestPollsPerQuote({ readyMs: [1_000, 11_000], usualHintMs: 1_000 }, 1_000, 0)).toBeLessThan(wide);
});
