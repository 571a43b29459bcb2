/** The sandbox's public surface (CONTRACT §6). */
import type { IsoDate } from '../lib/application/types';
import type { InsurerDefinition } from '../lib/insurers/catalog';

export type InsurerMode = 'normal' | 'down' | 'slow' | 'flaky' | 'ratelimited';

export const INSURER_MODES: readonly InsurerMode[] = ['normal', 'down', 'slow', 'flaky', 'ratelimited'];

export function isInsurerMode(value: unknown): value is InsurerMode {
  return typeof value === 'string' && (INSURER_MODES as readonly string[]).includes(value);
}

export interface SandboxOptions {
  /** Multiplies every delay: 1 is realistic, 0.01 makes tests and benchmarks fast. */
  latencyScale?: number;
  /**
   * Seeds every random choice (delays, flaky failures, transient errors): each insurer gets its
   * own stream from it (sandbox/random.ts). Without it, Math.random.
   */
  seed?: number;
  /** One source shared by every insurer instead, for a caller that brings its own; wins over `seed`. */
  random?: () => number;
  /** The ~2 % of 503s a healthy insurer gives; off for tests that count answers. Default true. */
  transientErrors?: boolean;
  /** The day the insurers price by (the tariff tables in force on it); default today in Moscow. */
  today?: () => IsoDate;
  /** Which insurers to simulate; default the catalog's. */
  insurers?: readonly InsurerDefinition[];
}

export interface SandboxInsurerState {
  code: string;
  name: string;
  mode: InsurerMode;
  /** Requests received, faults included. */
  calls: number;
  /** Creates that opened a quote (accepted or refused at once), with or without a reference. */
  creates: number;
  /** Creates that repeated a reference already seen, answered as the first one was. */
  duplicateCreates: number;
}

/**
 * One insurer's record of one quote for one of our applications: `readyAt` is when its answer is
 * due (already past once it can be had; the create itself for a refusal at create), `polls` how
 * many polls reached this quote (a poll refused by a fault before being read is not one).
 */
export interface SandboxQuoteRecord {
  insurer: string;
  reference: string;
  createdAt: string;
  readyAt: string;
  polls: number;
  outcome: 'offer' | 'declined';
}

export interface Sandbox {
  /** Resolves with the port actually bound (0 asks for any free one). Host defaults to 127.0.0.1. */
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
  setMode(code: string, mode: InsurerMode): void;
  list(): SandboxInsurerState[];
  /** Each insurer's quotes for one application (the part of the reference before its last ':'). */
  quotes(applicationId: string): SandboxQuoteRecord[];
  /** Every insurer back to normal with its counters at zero; the quotes they hold stay. */
  reset(): void;
}
