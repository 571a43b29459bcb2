/**
 * Drives the quotes of one insurer: each is a QuoteMachine and the job it belongs to. A quote that
 * waits sits in one min-heap by due time, under one timer for the earliest, so a node holds tens
 * of thousands of waiting quotes as small records rather than a timer, a promise chain and a row
 * of suspended async frames each. Calls, admission and the create's record are the caller's and
 * return promises; only the quotes in them hold one. Framework-free: clock and timer are injected.
 *
 * At most `concurrency` quotes are in a call or its admission at once (the insurer's bulkhead):
 * the others wait their turn here, first come first served, as records. Queued in Moleculer's
 * bulkhead instead, each held a context, its middleware chain and a timeout, which timed out
 * while it queued and still went out afterwards.
 */
import type { CreateOutcome, PollOutcome } from './adapter';
import type { LoopOutcome, QuoteAction, QuoteMachine } from './quote-loop';

export interface QuoteSchedulerDeps<J> {
  now(): number;
  /** Calls `fire` once, `ms` from now, unless the returned function is called first. */
  timer(ms: number, fire: () => void): () => void;
  admission(job: J): Promise<number> | number;
  submit(job: J): Promise<CreateOutcome>;
  poll(job: J, externalId: string): Promise<PollOutcome>;
  created(job: J, outcome: CreateOutcome, nextPollAtMs: number | undefined, createdAtMs: number): Promise<void> | void;
  finished(job: J, outcome: LoopOutcome): void;
  /** Quotes in a call or its admission at once; the rest wait for a slot. Unbounded when absent. */
  concurrency?: number;
  /** Admission, the create's record or the machine itself threw: the quote is dropped. */
  broke(job: J, err: unknown): void;
}

interface Entry<J> {
  readonly job: J;
  readonly machine: QuoteMachine;
  dueMs: number;
  seq: number; // first come, first served among equal due times
  holdsSlot: boolean;
  /** The admission or call this quote waits a slot for. */
  queued?: QuoteAction;
}

/** What needs a call slot. */
type SlotAction = Extract<QuoteAction, { kind: 'admit' | 'submit' | 'poll' }>;

export class QuoteScheduler<J> {
  private readonly heap: Entry<J>[] = [];
  private seq = 0;
  private cancelTimer: (() => void) | undefined;
  private armedForMs = Infinity;
  private slotsTaken = 0;
  private readonly slotQueue: Entry<J>[] = [];
  private slotQueueHead = 0;
  private draining = false;
  private readonly concurrency: number;

  constructor(
    private readonly deps: QuoteSchedulerDeps<J>,
    /** What a quote waiting for a slot is told when wakeAll ends its wait. */
    private readonly stopError: () => unknown = () => new Error('the node is stopping'),
  ) {
    this.concurrency = deps.concurrency ?? Infinity;
  }

  /** Quotes waiting for their time now (not those in a call). */
  get waiting(): number {
    return this.heap.length;
  }

  /** Quotes waiting for a call slot. */
  get queuedForSlot(): number {
    return this.slotQueue.length - this.slotQueueHead;
  }

  /** Quotes in a call or its admission now. */
  get calling(): number {
    return this.slotsTaken;
  }

  start(job: J, machine: QuoteMachine): void {
    const entry: Entry<J> = { job, machine, dueMs: 0, seq: 0, holdsSlot: false };
    this.advance(entry, () => machine.start());
  }

  /** Ends every wait at once: each machine then sees the stop (or its deadline) and says what it does. */
  wakeAll(): void {
    const woken = this.heap.splice(0, this.heap.length);
    this.rearm();
    const queued = this.slotQueue.splice(this.slotQueueHead);
    this.slotQueue.length = 0;
    this.slotQueueHead = 0;
    for (const entry of woken) this.advance(entry, () => entry.machine.waited());
    // a quote waiting for a slot is told its call could not be made: stopping, it lets go
    for (const entry of queued) this.advance(entry, () => entry.machine.failed(this.stopError()));
  }

  /** No timer is left behind; the quotes still waiting stay where they are. */
  close(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.armedForMs = Infinity;
  }

  private advance(entry: Entry<J>, next: () => QuoteAction): void {
    let action: QuoteAction;
    try {
      action = next();
    } catch (err) {
      this.drop(entry, err);
      return;
    }
    this.perform(entry, action);
  }

  /** A fault in the machine or in our own step: the quote goes, its slot to the next in line. */
  private drop(entry: Entry<J>, err: unknown): void {
    this.releaseSlot(entry);
    this.deps.broke(entry.job, err);
  }

  private perform(entry: Entry<J>, action: QuoteAction): void {
    const { deps } = this;
    const { job, machine } = entry;
    switch (action.kind) {
      case 'admit':
      case 'submit':
      case 'poll':
        if (!this.takeSlot(entry, action)) return;
        break;
      default:
        this.releaseSlot(entry); // a wait, the create's record or the end holds no slot
    }
    switch (action.kind) {
      case 'done':
        deps.finished(job, action.outcome);
        return;
      case 'wait':
        entry.dueMs = deps.now() + action.ms;
        entry.seq = this.seq++;
        this.push(entry);
        this.rearm();
        return;
      case 'admit':
        this.settle(entry, () => deps.admission(job), (wait) => machine.admitted(wait));
        return;
      case 'submit':
        machine.sending();
        this.call(entry, () => deps.submit(job), (outcome) => machine.submitted(outcome));
        return;
      case 'poll':
        machine.sending();
        this.call(entry, () => deps.poll(job, action.externalId), (outcome) => machine.polled(outcome));
        return;
      case 'record-create':
        this.settle(entry, () => deps.created(job, action.outcome, action.nextPollAtMs, action.createdAtMs), () => machine.recorded());
        return;
    }
  }

  /** False when every slot is taken: the quote then waits its turn with the action it asked for. */
  private takeSlot(entry: Entry<J>, action: SlotAction): boolean {
    if (entry.holdsSlot) return true;
    if (this.slotsTaken >= this.concurrency) {
      entry.queued = action;
      this.slotQueue.push(entry);
      return false;
    }
    this.slotsTaken++;
    entry.holdsSlot = true;
    return true;
  }

  private releaseSlot(entry: Entry<J>): void {
    if (!entry.holdsSlot) return;
    entry.holdsSlot = false;
    this.slotsTaken--;
    this.drainSlots();
  }

  /** Not re-entered: a quote given a slot here may give it back at once (a synchronous admission's wait). */
  private drainSlots(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.slotsTaken < this.concurrency && this.slotQueueHead < this.slotQueue.length) {
        const next = this.slotQueue[this.slotQueueHead++];
        if (this.slotQueueHead > 1_024 && this.slotQueueHead * 2 > this.slotQueue.length) {
          this.slotQueue.splice(0, this.slotQueueHead);
          this.slotQueueHead = 0;
        }
        const action = next.queued as SlotAction;
        next.queued = undefined;
        this.perform(next, action);
      }
    } finally {
      this.draining = false;
    }
  }

  /** A call to the insurer: its failure is the machine's to judge. */
  private call<T>(entry: Entry<J>, make: () => Promise<T>, then: (value: T) => QuoteAction): void {
    let pending: Promise<T>;
    try {
      pending = make();
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => this.advance(entry, () => then(value)),
      (err: unknown) => this.advance(entry, () => entry.machine.failed(err)),
    );
  }

  /** Our own step (admission, the create's record): a failure there is a fault, not the insurer's. */
  private settle<T>(entry: Entry<J>, make: () => Promise<T> | T, then: (value: T) => QuoteAction): void {
    let result: Promise<T> | T;
    try {
      result = make();
    } catch (err) {
      this.drop(entry, err);
      return;
    }
    if (!(result instanceof Promise)) {
      this.advance(entry, () => then(result));
      return;
    }
    result.then(
      (value) => this.advance(entry, () => then(value)),
      (err: unknown) => this.drop(entry, err),
    );
  }

  private fire(): void {
    this.cancelTimer = undefined;
    this.armedForMs = Infinity;
    const now = this.deps.now();
    const due: Entry<J>[] = [];
    // a timer may fire a millisecond before the clock says so: what is not due yet waits on
    while (this.heap.length > 0 && this.heap[0].dueMs <= now) due.push(this.pop());
    this.rearm();
    for (const entry of due) this.advance(entry, () => entry.machine.waited());
  }

  private rearm(): void {
    const first = this.heap[0];
    if (!first) {
      this.close();
      return;
    }
    if (this.cancelTimer && this.armedForMs <= first.dueMs) return;
    this.cancelTimer?.();
    this.armedForMs = first.dueMs;
    this.cancelTimer = this.deps.timer(Math.max(0, first.dueMs - this.deps.now()), () => this.fire());
  }

  private push(entry: Entry<J>): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Entry<J> {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as Entry<J>;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right], heap[left]) ? right : left;
        if (!before(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before<J>(a: Entry<J>, b: Entry<J>): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
}
