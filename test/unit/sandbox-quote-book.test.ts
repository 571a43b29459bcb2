/** The sandbox's memory of quotes stays bounded, and its record knows which application a reference names. */
import { QuoteBook, applicationIdOf, type Quote } from '../../sandbox/quote-book';

const quote = (n: number): Quote => ({
  id: `id-${n}`,
  reference: `app-${n}:tri-kita`,
  createdAt: 1_000 + n,
  readyAt: 2_000 + n,
  polls: 0,
  outcome: { kind: 'declined', reason: 'нет' },
});

describe('QuoteBook', () => {
  it('forgets the oldest quotes beyond its cap, in every index', () => {
    const book = new QuoteBook('tri-kita', { ttlMs: 60_000, maxEntries: 3 });
    for (let n = 0; n < 5; n++) book.open(quote(n));
    for (const n of [0, 1]) {
      expect(book.withId(`id-${n}`)).toBeUndefined();
      expect(book.withReference(`app-${n}:tri-kita`)).toBeUndefined();
      expect(book.recordFor(`app-${n}`)).toEqual([]);
    }
    for (const n of [2, 3, 4]) {
      expect(book.withId(`id-${n}`)).toBe(book.withReference(`app-${n}:tri-kita`));
      expect(book.recordFor(`app-${n}`)).toHaveLength(1);
    }
  });

  it('one quote object behind every index: a poll counted by id shows in the record', () => {
    const book = new QuoteBook('tri-kita', { ttlMs: 60_000, maxEntries: 10 });
    book.open(quote(7));
    const polled = book.withId('id-7');
    if (polled) polled.polls += 2;
    expect(book.recordFor('app-7')).toEqual([
      { insurer: 'tri-kita', reference: 'app-7:tri-kita', createdAt: new Date(1_007).toISOString(), readyAt: new Date(2_007).toISOString(), polls: 2, outcome: 'declined' },
    ]);
  });

  it('a quote without a reference can be polled but is in no record', () => {
    const book = new QuoteBook('tri-kita', { ttlMs: 60_000, maxEntries: 10 });
    book.open({ ...quote(1), reference: undefined });
    expect(book.withId('id-1')).toBeDefined();
    expect(book.recordFor('app-1')).toEqual([]);
  });
});

describe('applicationIdOf', () => {
  it.each([
    ['0c8e1d6e-1b7e-4b45-9b43-8f3f0f0d2a11:tri-kita', '0c8e1d6e-1b7e-4b45-9b43-8f3f0f0d2a11'],
    ['order:42:tri-kita', 'order:42'],
    ['app:', 'app'],
    [':tri-kita', undefined],
    ['no-colon', undefined],
  ])('%s → %s', (reference, applicationId) => {
    expect(applicationIdOf(reference)).toBe(applicationId);
  });
});
