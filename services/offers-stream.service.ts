/**
 * Turns stored quote changes into Socket.IO pushes for the application's room, at most once per
 * state, and keeps the snapshots that `subscribe` returns (a bounded cache in front of applications).
 */
import type { Context, Service, ServiceSchema } from 'moleculer';
import { APPLICATION_COMPLETED_EVENT, APPLICATION_QUOTE_EVENT, SOCKET_PUSH_EVENT, applicationRoom, type SocketPush } from '../lib/channels';
import type { Quote, QuoteStatus } from '../lib/quotes/types';

interface Snapshot {
  status: 'quoting' | 'completed';
  quotes: Quote[];
}

interface Entry {
  token: string;
  snapshot: Snapshot;
  seen: Map<string, QuoteStatus>; // insurer code -> last state pushed
}

interface CompletedEvent {
  applicationId: string;
  status: 'completed';
  quotes: Quote[];
  bestOffer?: Quote;
}

type OffersStream = Service & { entries: Map<string, Entry>; maxEntries: number } & {
  entryFor(this: OffersStream, ctx: Context, id: string, token: string): Promise<Entry>;
  push(this: OffersStream, id: string, event: SocketPush['event'], data: unknown): void;
  remember(this: OffersStream, id: string, entry: Entry): void;
};

export function createOffersStreamService(options: { maxEntries?: number } = {}): ServiceSchema {
  const schema: ServiceSchema<Record<string, never>, Record<string, never>, Record<string, never>, OffersStream> = {
    name: 'offers-stream',

    actions: {
      /** Checks the token and returns the current state; throws NOT_FOUND for a wrong token. */
      snapshot: {
        params: { id: 'string', token: 'string' },
        async handler(this: OffersStream, ctx: Context<{ id: string; token: string }>): Promise<Snapshot> {
          const entry = await this.entryFor(ctx, ctx.params.id, ctx.params.token);
          return entry.snapshot;
        },
      },
    },

    events: {
      [APPLICATION_QUOTE_EVENT](this: OffersStream, ctx: Context<Quote>) {
        const quote = ctx.params;
        const entry = this.entries.get(quote.applicationId);
        if (entry) {
          if (entry.seen.get(quote.insurer.code) === quote.status) return;
          entry.seen.set(quote.insurer.code, quote.status);
          entry.snapshot.quotes = entry.snapshot.quotes.map((q) => (q.insurer.code === quote.insurer.code ? quote : q));
        }
        this.push(quote.applicationId, 'quote', quote);
      },
      [APPLICATION_COMPLETED_EVENT](this: OffersStream, ctx: Context<CompletedEvent>) {
        const done = ctx.params;
        const entry = this.entries.get(done.applicationId);
        if (entry) {
          if (entry.snapshot.status === 'completed') return;
          entry.snapshot = { status: 'completed', quotes: done.quotes };
        }
        this.push(done.applicationId, 'completed', done);
      },
    },

    methods: {
      async entryFor(ctx: Context, id: string, token: string): Promise<Entry> {
        const cached = this.entries.get(id);
        if (cached && cached.token === token) return cached;
        // also the path for a wrong token: applications decides, so a cache never widens access
        const view = await ctx.call<{ status: Snapshot['status']; quotes: Quote[] }, { id: string; token: string }>('applications.snapshot', { id, token });
        const entry: Entry = {
          token,
          snapshot: { status: view.status, quotes: view.quotes },
          seen: new Map(view.quotes.map((q) => [q.insurer.code, q.status])),
        };
        this.remember(id, entry);
        return entry;
      },

      remember(id: string, entry: Entry) {
        this.entries.delete(id);
        this.entries.set(id, entry);
        // Map keeps insertion order: the first key is the least recently stored
        while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      },

      push(id: string, event: SocketPush['event'], data: unknown) {
        const message: SocketPush = { room: applicationRoom(id), event, data };
        this.broker.broadcast(SOCKET_PUSH_EVENT, message, { groups: ['gateway'] });
      },
    },

    created(this: OffersStream) {
      this.entries = new Map();
      this.maxEntries = options.maxEntries ?? 50_000;
    },
  };
  return schema as unknown as ServiceSchema;
}
