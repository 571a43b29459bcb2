import { pooledRandomIds } from '../../lib/context-ids';

test('ids are 32 hex characters, distinct across many batches of the pool', () => {
  const next = pooledRandomIds(3);
  const ids = Array.from({ length: 3_000 }, next);
  for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  expect(new Set(ids).size).toBe(ids.length);
});

test('two generators draw their own bytes', () => {
  const a = pooledRandomIds();
  const b = pooledRandomIds();
  expect(a()).not.toBe(b());
});
