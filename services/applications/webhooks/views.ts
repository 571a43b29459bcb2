/** What partners see of webhook deliveries, and who may ask for them. */
import type { AppConfig } from '../../../lib/config';
import { BadRequestError } from '../../../lib/errors';
import type { WebhookRecord } from './types';

/** `GET /applications/{id}/deliveries`: one entry per event attempted, in order. */
export function deliveriesView(record: WebhookRecord | undefined) {
  return (record?.deliveries ?? [])
    .slice()
    .sort((a, b) => a.seq - b.seq)
    .map((d) => ({ id: d.id, type: d.type, attempts: d.attempts, lastStatus: d.lastStatus ?? null, ...(d.deliveredAt ? { deliveredAt: d.deliveredAt } : {}) }));
}

/** Deliveries are signed with the partner's secret: without a partner or a secret there is nothing to sign with. */
export function checkWebhookPartner(config: Pick<AppConfig, 'webhooks'>, partner: string | null): void {
  const refuse = (message: string) => {
    throw new BadRequestError(`X-Callback-Url cannot be used: ${message}`, [{ field: 'X-Callback-Url', message }]);
  };
  if (!partner) refuse('only partners (X-Api-Key) receive webhooks');
  else if (!config.webhooks.secrets.has(partner)) refuse('no webhook secret is configured for this partner (PARTNER_WEBHOOK_SECRETS)');
}
