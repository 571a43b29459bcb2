/**
 * What each socket of this gateway has been sent, per application: every quote state and the
 * `completed` event reach a socket at most once, however often the cluster delivers them (a
 * redelivered settle, a reconciliation after a broker outage, the snapshot it subscribed with).
 * The last hop is the only place that sees exactly what one client got, so the rule lives here.
 */
import type { Quote, QuoteStatus } from '../../lib/quotes/types';

interface Sent {
  states: Map<string, QuoteStatus>; // insurer code -> last state sent
  completed: boolean;
}

export interface CompletedPush {
  applicationId: string;
  status: 'completed';
  quotes: Quote[];
  bestOffer?: Quote;
}

export type Delivery = { event: 'quote'; data: Quote } | { event: 'completed'; data: CompletedPush };

export class SocketDeliveries {
  private readonly byApplication = new Map<string, Sent>();
  private readonly held = new Map<string, Delivery[]>(); // while a subscribe's snapshot is on its way

  /** Holds this application's deliveries back until `release`, so none arrives before the snapshot it is in. */
  hold(applicationId: string): void {
    if (!this.held.has(applicationId)) this.held.set(applicationId, []);
  }

  /** The held deliveries that are still news after the snapshot, in arrival order. */
  release(applicationId: string): Delivery[] {
    const held = this.held.get(applicationId) ?? [];
    this.held.delete(applicationId);
    return held.filter((d) => this.take(d));
  }

  /** true when the delivery should be sent now (and counts as sent); held or repeated ones are not. */
  offer(delivery: Delivery): boolean {
    const held = this.held.get(delivery.data.applicationId);
    if (held) {
      held.push(delivery);
      return false;
    }
    return this.take(delivery);
  }

  private take(delivery: Delivery): boolean {
    return delivery.event === 'quote' ? this.takeQuote(delivery.data) : this.takeCompleted(delivery.data.applicationId);
  }

  private sentFor(applicationId: string): Sent {
    let sent = this.byApplication.get(applicationId);
    if (!sent) {
      sent = { states: new Map(), completed: false };
      this.byApplication.set(applicationId, sent);
    }
    return sent;
  }

  /** What a subscribe's snapshot already showed counts as sent. */
  seed(applicationId: string, snapshot: { status: string; quotes: readonly Quote[] }): void {
    const sent = this.sentFor(applicationId);
    for (const q of snapshot.quotes) sent.states.set(q.insurer.code, q.status);
    if (snapshot.status === 'completed') sent.completed = true;
  }

  /** true the first time this quote state is offered for this socket. */
  private takeQuote(quote: Quote): boolean {
    const sent = this.sentFor(quote.applicationId);
    if (sent.completed || sent.states.get(quote.insurer.code) === quote.status) return false;
    sent.states.set(quote.insurer.code, quote.status);
    return true;
  }

  /** true the first time `completed` is offered for this socket. */
  private takeCompleted(applicationId: string): boolean {
    const sent = this.sentFor(applicationId);
    if (sent.completed) return false;
    sent.completed = true;
    return true;
  }

  hasCompleted(applicationId: string): boolean {
    return this.byApplication.get(applicationId)?.completed ?? false;
  }
}
