/**
 * Retention (152-FZ): `retentionDays` after an application completes, its personal part is erased;
 * the quotes, premiums and the anonymised application stay. Runs at start and every
 * `retentionIntervalMs`; the store's conditional erasure makes runs on several nodes at once safe.
 * The clock is injected so that a test can move days in a moment.
 */
import type { PersonalDataSettings } from '../../lib/config';
import type { ApplicationStore } from './stores';

const DAY_MS = 24 * 3600_000;

export type Clock = () => number;

export interface RetentionRun {
  erased: number;
  completedBefore: string;
}

export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionRun> | undefined;

  constructor(
    private readonly store: Pick<ApplicationStore, 'erasePersonal'>,
    private readonly settings: Pick<PersonalDataSettings, 'retentionDays' | 'retentionIntervalMs' | 'retentionBatch'>,
    private readonly onError: (err: unknown) => void,
    private readonly clock: Clock = Date.now,
  ) {}

  /** Erases everything due now, batch after batch; a run already under way is joined, not doubled. */
  run(): Promise<RetentionRun> {
    this.running ??= this.eraseDue().finally(() => (this.running = undefined));
    return this.running;
  }

  start(): void {
    this.timer = setInterval(() => void this.run().catch(this.onError), this.settings.retentionIntervalMs);
    this.timer.unref();
    void this.run().catch(this.onError);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async eraseDue(): Promise<RetentionRun> {
    const now = this.clock();
    const completedBefore = new Date(now - this.settings.retentionDays * DAY_MS).toISOString();
    const at = new Date(now).toISOString();
    let erased = 0;
    for (;;) {
      const batch = await this.store.erasePersonal(completedBefore, at, this.settings.retentionBatch);
      erased += batch;
      if (batch < this.settings.retentionBatch) return { erased, completedBefore };
    }
  }
}
