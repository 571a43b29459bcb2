/** A new application as it is stored, and the quote request that asks its insurers. */
import crypto from 'node:crypto';
import type { AppConfig } from '../../lib/config';
import type { Application } from '../../lib/application/types';
import { INSURERS } from '../../lib/insurers/catalog';
import type { SealedQuoteRequested } from '../../lib/channels';
import type { Keyring } from '../../lib/personal-data/keyring';
import { sealApplication } from '../../lib/personal-data/application-seal';
import { pendingQuote } from '../../lib/quotes/view';
import type { Quote } from '../../lib/quotes/types';
import type { ApplicationDoc } from './stores';

/** A new application, every insurer pending except those switched off (`unavailable` at once). */
export function newApplication(config: AppConfig, id: string, partner: string | null, application: Application, now: number): ApplicationDoc<Application> {
  const createdAt = new Date(now).toISOString();
  const deadlineMs = now + config.quoteDeadlineMs;
  const insurers = INSURERS.map(({ code, name }) => ({ code, name }));
  const quotes: Record<string, Quote> = {};
  let seq = 0;
  for (const insurer of insurers) {
    quotes[insurer.code] = config.disabledInsurers.has(insurer.code)
      ? { ...pendingQuote(id, insurer, createdAt), status: 'unavailable', reason: 'страховая временно отключена', seq: ++seq }
      : pendingQuote(id, insurer, createdAt);
  }
  return {
    id,
    token: crypto.randomBytes(24).toString('base64url'),
    partner,
    status: 'quoting',
    createdAt,
    createdAtMs: now,
    deadline: new Date(deadlineMs).toISOString(),
    deadlineMs,
    application,
    insurers,
    quotes,
  };
}

export function pendingInsurers(doc: ApplicationDoc): string[] {
  return doc.insurers.filter((i) => doc.quotes[i.code]?.status === 'pending').map((i) => i.code);
}

export function quoteRequest(keyring: Keyring, doc: ApplicationDoc<Application>, insurers: string[]): SealedQuoteRequested {
  return { applicationId: doc.id, application: sealApplication(keyring, doc.id, doc.application), deadlineMs: doc.deadlineMs, insurers };
}
