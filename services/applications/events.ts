/**
 * An application's events as the store numbers them (lib/quotes/types.ts, `seq`): each final quote,
 * then `completed`. Server-sent events and webhooks both read them from here, so a stream resumed
 * on another gateway, or a delivery retried from another node, names every event the same way.
 */
import { publicQuote } from '../../lib/quotes/view';
import type { Quote } from '../../lib/quotes/types';
import type { ApplicationDoc } from './stores';
import { completedEvent } from './views';

export interface ApplicationEvent {
  seq: number;
  type: 'quote' | 'completed';
  data: unknown; // CONTRACT §3/§4, as clients see it
}

export interface EventsAfter {
  events: ApplicationEvent[];
  /** The application is completed: `completed` is the last of its events. */
  completed: boolean;
  /** The number `completed` has (or will have). */
  lastSeq: number;
}

/**
 * Quotes made final before sequence numbers were stored (an application in flight across the
 * upgrade) take the lowest numbers no quote has, in catalog order: the stores counted them when
 * they numbered the later ones, so that is the room left for them, and `completed` stays last.
 */
function numberedQuotes(doc: ApplicationDoc): Array<Quote & { seq: number }> {
  const final = doc.insurers.map((i) => doc.quotes[i.code]).filter((q): q is Quote => q !== undefined && q.status !== 'pending');
  const taken = new Set(final.map((q) => q.seq).filter((seq): seq is number => seq !== undefined));
  let next = 0;
  const unused = () => {
    do next++;
    while (taken.has(next));
    return next;
  };
  return final.map((q) => ({ ...q, seq: q.seq ?? unused() })).sort((a, b) => a.seq - b.seq);
}

/** Every event with a number above `after`, in order. */
export function eventsAfter(doc: ApplicationDoc, after: number): EventsAfter {
  const events: ApplicationEvent[] = numberedQuotes(doc)
    .filter((q) => q.seq > after)
    .map((q) => ({ seq: q.seq, type: 'quote', data: publicQuote(q) }));
  const { seq: lastSeq, ...completed } = completedEvent(doc);
  if (doc.status === 'completed' && lastSeq > after) events.push({ seq: lastSeq, type: 'completed', data: completed });
  return { events, completed: doc.status === 'completed', lastSeq };
}
