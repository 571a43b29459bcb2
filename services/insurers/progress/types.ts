/**
 * A quote's progress at its insurer, kept where any worker can read it: a worker that picks up a
 * dead or stopping worker's quote resumes polling the insurer's id instead of creating again.
 */
export type QuoteProgress =
  | { stage: 'accepted'; externalId: string; nextPollAtMs?: number; createdAtMs: number; node: string }
  | { stage: 'declined'; reason: string; createdAtMs: number; node: string };

export interface QuoteProgressStore {
  /** undefined when nothing is known (or the store cannot be reached: the caller then creates, idempotently). */
  read(applicationId: string, insurerCode: string): Promise<QuoteProgress | undefined>;
  /** Best effort: a failed write is logged, and a takeover then repeats the create under the same reference. */
  write(applicationId: string, insurerCode: string, progress: QuoteProgress): Promise<void>;
  close(): Promise<void>;
}

/** A key every engine accepts (NATS KV allows `-/_=.` and alphanumerics). */
export function progressKey(applicationId: string, insurerCode: string): string {
  return `${applicationId}.${insurerCode}`.replace(/[^-/_=.a-zA-Z0-9]/g, '_');
}
