/**
 * A quote's progress at its insurer, kept where any worker can read it: a worker that picks up a
 * dead or stopping worker's quote resumes polling the insurer's id instead of creating again.
 */
export type QuoteProgress =
  | { stage: 'accepted'; externalId: string; nextPollAtMs?: number; createdAtMs: number; node: string }
  | { stage: 'declined'; reason: string; createdAtMs: number; node: string };

export interface QuoteProgressStore {
  /**
   * undefined when nothing is recorded. While the store cannot be reached the read is retried until
   * `untilMs` (the deadline): "unknown" must not be taken for "nothing", or the quote is created twice.
   */
  read(applicationId: string, insurerCode: string, untilMs: number): Promise<QuoteProgress | undefined>;
  /** Resolves once the write landed, or failed once: a write the store cannot take now is retried in the background until `untilMs`. */
  write(applicationId: string, insurerCode: string, progress: QuoteProgress, untilMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A key every engine accepts (NATS KV allows `-/_=.` and alphanumerics). */
export function progressKey(applicationId: string, insurerCode: string): string {
  return `${applicationId}.${insurerCode}`.replace(/[^-/_=.a-zA-Z0-9]/g, '_');
}
