import { ExpiryTimers } from '../../services/applications/expiry-timers';

async function advance(ms: number): Promise<void> {
  jest.advanceTimersByTime(ms); // like one timers phase of the event loop: every timer due fires before any immediate
  await new Promise((resolve) => setImmediate(resolve));
  await Promise.resolve();
}

describe('ExpiryTimers', () => {
  let batches: string[][];
  let timers: ExpiryTimers;
  let failNext: boolean;
  let failures: string[][];

  beforeEach(() => {
    // the batch is handed over in a real setImmediate after the (fake) timers of one turn have fired
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['setImmediate'] });
    batches = [];
    failNext = false;
    failures = [];
    timers = new ExpiryTimers(
      async (ids) => {
        batches.push(ids);
        if (failNext) throw new Error('store down');
      },
      (ids) => failures.push(ids),
    );
  });
  afterEach(() => {
    timers.clear();
    jest.useRealTimers();
  });

  test('applications due at the same moment are handed over as one batch, at their deadline and not before', async () => {
    for (const id of ['a', 'b', 'c']) timers.at(id, 1_000_500);
    timers.at('later', 1_000_800);
    await advance(499);
    expect(batches).toEqual([]);
    await advance(1);
    expect(batches).toEqual([['a', 'b', 'c']]);
    await advance(300);
    expect(batches).toEqual([['a', 'b', 'c'], ['later']]);
  });

  test('a timer that fires while the clock still reads a millisecond before the deadline waits out the rest', async () => {
    timers.at('early', 1_000_500);
    jest.setSystemTime(Date.now() - 1); // the wall clock one ms behind the timer's: it fires at 1_000_499
    await advance(500);
    expect([Date.now(), batches]).toEqual([1_000_499, []]);
    await advance(1);
    expect([Date.now(), batches]).toEqual([1_000_500, [['early']]]);
  });

  test('an id already waiting is not timed twice; once its batch is done it can be timed again', async () => {
    timers.at('a', 1_000_100);
    timers.at('a', 1_000_050);
    await advance(200);
    expect(batches).toEqual([['a']]);
    timers.at('a', 1_000_300);
    await advance(200);
    expect(batches).toEqual([['a'], ['a']]);
  });

  test('a deadline already past fires at once; a failed batch does not stop the next', async () => {
    failNext = true;
    timers.at('overdue', 999_000);
    await advance(0);
    expect(batches).toEqual([['overdue']]);
    expect(failures).toEqual([['overdue']]);
    failNext = false;
    timers.at('next', 1_000_010);
    await advance(20);
    expect(batches).toEqual([['overdue'], ['next']]);
  });

  test('clear stops every timer', async () => {
    timers.at('a', 1_000_100);
    timers.clear();
    await advance(1_000);
    expect(batches).toEqual([]);
  });
});
