/**
 * Turns stored quote changes into Socket.IO pushes for the application's room on every gateway,
 * and answers the snapshots `subscribe` returns. It keeps no state: any number of these nodes may
 * run, any may die, and none can serve a snapshot older than the store. Each gateway sends a
 * socket every state at most once (services/gateway/socket-deliveries.ts), so a push that the
 * cluster repeats is harmless.
 */
import type { Context, Service, ServiceSchema } from 'moleculer';
import { APPLICATION_COMPLETED_EVENT, APPLICATION_QUOTE_EVENT, SOCKET_PUSH_EVENT, type SocketPush } from '../lib/channels';
import type { Quote } from '../lib/quotes/types';
import { publicQuote } from '../lib/quotes/view';
import type { CompletedEvent } from './applications/views';

export interface Snapshot {
  status: 'quoting' | 'completed';
  deadline: string;
  quotes: Quote[];
}

function push(svc: Service, message: SocketPush): void {
  svc.broker.broadcast(SOCKET_PUSH_EVENT, message, { groups: ['gateway'] });
}

export function createOffersStreamService(): ServiceSchema {
  return {
    name: 'offers-stream',

    actions: {
      /** Checks the token (applications decides) and returns the current state; NOT_FOUND for a wrong token. */
      snapshot: {
        params: { id: 'string', token: 'string' },
        async handler(ctx: Context<{ id: string; token: string }>): Promise<Snapshot> {
          const view = await ctx.call<Snapshot, { id: string; token: string }>('applications.snapshot', { id: ctx.params.id, token: ctx.params.token });
          return { status: view.status, deadline: view.deadline, quotes: view.quotes };
        },
      },
    },

    events: {
      [APPLICATION_QUOTE_EVENT](this: Service, ctx: Context<Quote>) {
        const quote = ctx.params;
        push(this, { event: 'quote', data: publicQuote(quote), applicationId: quote.applicationId, seq: quote.seq ?? 0 });
      },
      [APPLICATION_COMPLETED_EVENT](this: Service, ctx: Context<CompletedEvent>) {
        const { seq, ...data } = ctx.params;
        push(this, { event: 'completed', data, applicationId: data.applicationId, seq });
      },
    },
  };
}
