/** One delivery attempt over HTTP (undici): a signed POST, a 2xx or not, never a redirect followed. */
import { Agent, request } from 'undici';
import type { WebhookSettings } from '../../../lib/config';
import { publicOnlyLookup } from '../../../lib/webhooks/callback-url';
import { signatureOf } from '../../../lib/webhooks/signature';

export interface DeliveryAnswer {
  ok: boolean;
  status: number | string; // the HTTP status, or why there was none
}

export interface WebhookPost {
  url: string;
  deliveryId: string;
  body: string;
  secret: string;
  nowMs: number;
}

export type SendWebhook = (post: WebhookPost) => Promise<DeliveryAnswer>;

function whyNoAnswer(err: unknown): string {
  const { name, code } = (err ?? {}) as { name?: string; code?: string };
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (code === 'ENOTPUBLIC') return 'address-refused';
  return 'network-error';
}

export function createWebhookSender(settings: Pick<WebhookSettings, 'timeoutMs' | 'publicHttpsOnly'>): { send: SendWebhook; close(): Promise<void> } {
  const agent = new Agent({
    connections: 16, // per receiver's origin
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
    connect: { timeout: settings.timeoutMs, ...(settings.publicHttpsOnly ? { lookup: publicOnlyLookup } : {}) },
  });
  return {
    async send(post) {
      try {
        const answer = await request(post.url, {
          method: 'POST',
          dispatcher: agent,
          signal: AbortSignal.timeout(settings.timeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'osago-aggregator-webhooks/1',
            'x-osago-delivery': post.deliveryId,
            'x-osago-signature': signatureOf(post.secret, post.body, Math.floor(post.nowMs / 1000)),
          },
          body: post.body,
        });
        await answer.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        return { ok: answer.statusCode >= 200 && answer.statusCode < 300, status: answer.statusCode };
      } catch (err) {
        return { ok: false, status: whyNoAnswer(err) };
      }
    },
    // a node stopped twice (the REPL's quit, then its exit) closes once
    close: () => (agent.closed || agent.destroyed ? Promise.resolve() : agent.close()),
  };
}
