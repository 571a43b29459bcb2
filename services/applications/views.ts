/** What clients see of a stored application, and the token check that guards it. */
import crypto from 'node:crypto';
import { bestOffer, orderedQuotes } from '../../lib/quotes/view';
import type { ApplicationDoc } from './stores';
import { completedSeq } from './stores/types';
import type { Quote } from '../../lib/quotes/types';

const hash = (text: string) => crypto.createHash('sha256').update(text).digest('base64url');

export function createdAnswer(doc: ApplicationDoc) {
  return { id: doc.id, token: doc.token, status: 'quoting' as const, createdAt: doc.createdAt, deadline: doc.deadline, insurers: doc.insurers };
}

export function applicationView(doc: ApplicationDoc) {
  const quotes = orderedQuotes(doc.insurers, doc.quotes);
  const best = bestOffer(quotes);
  return {
    id: doc.id,
    status: doc.status,
    createdAt: doc.createdAt,
    deadline: doc.deadline,
    ...(doc.completedAt ? { completedAt: doc.completedAt } : {}),
    insurers: doc.insurers,
    quotes,
    ...(best ? { bestOffer: best } : {}),
  };
}

/** The payload of APPLICATION_COMPLETED_EVENT: what clients are sent (CONTRACT §3), and its sequence number. */
export function completedEvent(doc: ApplicationDoc): CompletedEvent {
  const view = applicationView(doc);
  return {
    applicationId: doc.id,
    status: 'completed',
    quotes: view.quotes,
    ...(view.bestOffer ? { bestOffer: view.bestOffer } : {}),
    seq: completedSeq(doc),
  };
}

export interface CompletedEvent {
  applicationId: string;
  status: 'completed';
  quotes: Quote[];
  bestOffer?: Quote;
  seq: number;
}

export function tokenMatches(doc: ApplicationDoc, token: unknown): boolean {
  if (typeof token !== 'string') return false;
  const a = Buffer.from(hash(doc.token));
  const b = Buffer.from(hash(token));
  return crypto.timingSafeEqual(a, b);
}
