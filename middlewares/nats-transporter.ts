/**
 * Moleculer's NATS transporter, but a disconnect that cannot flush (the connection lived through a
 * broker restart, or is reconnecting) still closes the connection. Moleculer's own rejects there,
 * which ends the broker's stop half-way: the channel adapter, the breaker's timers and every other
 * `stopped` hook are then skipped, and the process keeps open connections.
 */
import { Transporters } from 'moleculer';

interface ClosableClient {
  flush(): Promise<void>;
  close(): Promise<void>;
  isClosed(): boolean;
}

export class NatsTransporter extends Transporters.NATS {
  override async disconnect(): Promise<void> {
    const client = this.client as ClosableClient | null;
    if (!client) return;
    await client.flush().catch(() => undefined);
    if (!client.isClosed()) await client.close().catch(() => undefined);
    this.client = null;
  }
}
