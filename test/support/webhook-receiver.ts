/** A real HTTP webhook receiver for tests: checks each signature, records every attempt, answers as told. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../lib/webhooks/signature';

export interface ReceivedAttempt {
  deliveryId: string;
  body: { id: string; type: 'quote' | 'completed'; applicationId: string; createdAt: string; data: Record<string, unknown> };
  signed: boolean; // the signature checked out under the secret
  answered: number; // the status we answered
  atMs: number;
}

export interface ReceiverOptions {
  secret: string;
  /** The status to answer an attempt; by default 200. */
  answer?: (attempt: Omit<ReceivedAttempt, 'answered'>, attemptsSoFar: number) => number | 'hang';
}

export interface WebhookReceiver {
  url: string;
  attempts: ReceivedAttempt[];
  /** The attempts answered with a 2xx, per delivery id. */
  succeeded(): Map<string, ReceivedAttempt[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: ReceiverOptions): Promise<WebhookReceiver> {
  const attempts: ReceivedAttempt[] = [];
  const perId = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const deliveryId = String(req.headers['x-osago-delivery'] ?? '');
      const signed = verifySignature(options.secret, String(req.headers['x-osago-signature'] ?? ''), raw, Math.floor(Date.now() / 1000));
      const seen = { deliveryId, body: JSON.parse(raw) as ReceivedAttempt['body'], signed, atMs: Date.now() };
      const count = (perId.get(deliveryId) ?? 0) + 1;
      perId.set(deliveryId, count);
      const status = options.answer ? options.answer(seen, count) : 200;
      if (status === 'hang') {
        hanging.add(res);
        attempts.push({ ...seen, answered: 0 });
        return;
      }
      attempts.push({ ...seen, answered: status });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    attempts,
    succeeded() {
      const ok = new Map<string, ReceivedAttempt[]>();
      for (const a of attempts) if (a.answered >= 200 && a.answered < 300) ok.set(a.deliveryId, [...(ok.get(a.deliveryId) ?? []), a]);
      return ok;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
