/** webhooks: what we POST to a partner's X-Callback-Url. */
import { createdExample, offerExample } from './examples';

export const webhooks = {
  applicationEvent: {
    post: {
      operationId: 'receiveApplicationEvent',
      tags: ['applications'],
      summary: 'One event of an application created with X-Callback-Url',
      description:
        'Answer 2xx within 10 s to end the delivery; anything else, or no answer, is retried with exponential backoff from ' +
        'about 1 s for at least 24 hours, with the same `id` and X-Osago-Delivery (drop repeats by it). Verify ' +
        'X-Osago-Signature before trusting the body (see the description of this API).',
      security: [],
      parameters: [
        { name: 'X-Osago-Delivery', in: 'header', required: true, description: 'The delivery id, the same on every retry', schema: { type: 'string' } },
        {
          name: 'X-Osago-Signature',
          in: 'header',
          required: true,
          description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the partner’s webhook secret>`',
          schema: { type: 'string', pattern: '^t=\\d+,v1=[0-9a-f]{64}$' },
          example: 't=1795262403,v1=5f0c6e1b9a3d4e8f7a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f',
        },
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { $ref: '#/components/schemas/WebhookEvent' },
            example: { id: `${createdExample.id}.1`, type: 'quote', applicationId: createdExample.id, createdAt: offerExample.at, data: offerExample },
          },
        },
      },
      responses: {
        '2XX': { description: 'Received: the delivery ends' },
        default: { description: 'Anything else, or no answer within 10 s: the delivery is retried' },
      },
    },
  },
};
