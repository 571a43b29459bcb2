/** paths: every route of CONTRACT §2 under the server /api/v1. */
import { applicationStateExample, completedExample, createdExample, offerExample } from './examples';
import { RATE_LIMIT_HEADERS, RATE_LIMIT_HEADERS_FOR_A_KNOWN_KEY, use, withHeaders } from './responses';

type Schema = Record<string, unknown>;
const schema = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schemaOf: Schema, example?: unknown): Schema => ({
  'application/json': { schema: schemaOf, ...(example === undefined ? {} : { example }) },
});
const idParameter = { name: 'id', in: 'path', required: true, description: 'The application id of the 202 answer', schema: { type: 'string' } };

const SSE_EXAMPLE = [
  'id: 1', 'event: quote', `data: ${JSON.stringify(offerExample)}`, '',
  'id: 2', 'event: completed', `data: ${JSON.stringify(completedExample)}`, '', '',
].join('\n');

export const tags = [
  { name: 'applications', description: 'Submit an application and follow its quotes' },
  { name: 'insurers', description: 'The insurers asked, and their state' },
  { name: 'system', description: 'Liveness and readiness' },
];

/** `application` is the example of the request body (dated, see applicationExample). */
export const paths = (application: unknown): Record<string, Schema> => ({
  '/applications': {
    post: {
      operationId: 'createApplication',
      tags: ['applications'],
      summary: 'Submit an application; every insurer is asked at once',
      description:
        'Bad input never reaches an insurer: 400 lists every wrong field. Every answer to a known X-Api-Key carries the ' +
        'X-RateLimit-* headers; each POST with a known key that reaches validation counts against the limit, accepted or not.',
      parameters: [
        {
          name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 255 },
          description: 'The same key with the same body within 24 h returns the first answer; with a different body: 409',
        },
        {
          name: 'X-Callback-Url', in: 'header', required: false, schema: { type: 'string', format: 'uri' },
          description:
            'Each event of this application is POSTed there (see the webhook `applicationEvent`). Not http(s), or with ' +
            'NODE_ENV=production not https or a loopback, private or link-local address: 400 naming X-Callback-Url.',
        },
      ],
      requestBody: { required: true, content: json(schema('Application'), application) },
      responses: {
        202: {
          description: 'Accepted: quoting has started; follow it with GET /applications/{id}, its events or the webhook',
          headers: RATE_LIMIT_HEADERS,
          content: json(schema('Created'), createdExample),
        },
        400: withHeaders('BadRequest', RATE_LIMIT_HEADERS_FOR_A_KNOWN_KEY),
        401: use('Unauthorized'),
        409: withHeaders('Conflict', RATE_LIMIT_HEADERS),
        413: withHeaders('PayloadTooLarge', RATE_LIMIT_HEADERS_FOR_A_KNOWN_KEY),
        429: withHeaders('TooManyRequests', RATE_LIMIT_HEADERS),
        '5XX': use('ServerError'),
      },
    },
    get: {
      operationId: 'listApplications',
      tags: ['applications'],
      summary: 'This partner’s applications, newest first, paginated',
      parameters: [
        { name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 1, default: 1 } },
        { name: 'pageSize', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
      ],
      responses: {
        200: {
          description: 'One page',
          content: json(schema('ApplicationPage'), { items: [applicationStateExample], page: 1, pageSize: 20, total: 1, totalPages: 1 }),
        },
        400: use('BadRequest'),
        401: use('Unauthorized'),
        '5XX': use('ServerError'),
      },
    },
  },
  '/applications/{id}': {
    parameters: [idParameter],
    get: {
      operationId: 'getApplication',
      tags: ['applications'],
      summary: 'The application with its quotes so far',
      responses: {
        200: { description: 'The application', content: json(schema('ApplicationState'), applicationStateExample) },
        401: use('Unauthorized'),
        404: use('NotFound'),
        '5XX': use('ServerError'),
      },
    },
  },
  '/applications/{id}/events': {
    parameters: [idParameter],
    get: {
      operationId: 'streamApplicationEvents',
      tags: ['applications'],
      summary: 'The application’s events as they happen (server-sent events)',
      description:
        'Each event is `event: quote` (data: a Quote) or `event: completed` (data: the Completed event), with `id:` a sequence ' +
        'number. The stream ends after `completed`. Reconnect with Last-Event-ID to get every later event first: nothing ' +
        'missed, nothing repeated.',
      parameters: [
        {
          name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string', pattern: '^\\d+$' },
          description: 'The `id:` of the last event received; the stream starts after it. Anything but a whole number is a 400 naming Last-Event-ID',
        },
      ],
      responses: {
        200: {
          description: 'A text/event-stream; the data lines are the JSON of the Quote and Completed schemas',
          content: { 'text/event-stream': { schema: { type: 'string' }, example: SSE_EXAMPLE } },
        },
        400: use('BadRequest'),
        401: use('Unauthorized'),
        404: use('NotFound'),
        '5XX': use('ServerError'),
      },
    },
  },
  '/applications/{id}/deliveries': {
    parameters: [idParameter],
    get: {
      operationId: 'listApplicationDeliveries',
      tags: ['applications'],
      summary: 'The webhook deliveries of this application',
      responses: {
        200: {
          description: 'Every delivery attempted so far, in event order, whether or not it has succeeded yet (`[]` without X-Callback-Url). An id is `<applicationId>.<event id>`, the same on every retry',
          content: json({ type: 'array', items: schema('Delivery') }, [
            { id: '3f1c2a9e-8d4b-4c7e-9a51-2b6f0e7d4c10.1', type: 'quote', attempts: 1, lastStatus: 200, deliveredAt: '2026-11-21T12:00:03.300Z' },
            { id: '3f1c2a9e-8d4b-4c7e-9a51-2b6f0e7d4c10.2', type: 'quote', attempts: 3, lastStatus: 'timeout' },
          ]),
        },
        401: use('Unauthorized'),
        404: use('NotFound'),
        '5XX': use('ServerError'),
      },
    },
  },
  '/insurers': {
    get: {
      operationId: 'listInsurers',
      tags: ['insurers'],
      summary: 'Each insurer’s circuit state and recent figures',
      responses: {
        200: {
          description: 'One entry per insurer',
          content: json({ type: 'array', items: schema('InsurerStatus') }, [
            {
              code: 'tri-kita', name: 'Три Кита Страхование', state: 'closed', available: true, dialect: 'standard', nodes: ['worker-1', 'worker-2'],
              calls: 1200, failures: 3, recent: { calls: 100, failureRate: 0.01, p50LatencyMs: 420, p95LatencyMs: 1300 },
            },
          ]),
        },
        401: use('Unauthorized'),
        '5XX': use('ServerError'),
      },
    },
  },
  '/health': {
    get: {
      operationId: 'getHealth',
      tags: ['system'],
      summary: 'Liveness and readiness; no key needed',
      security: [],
      responses: {
        200: { description: 'Ready: this node takes new work', content: json(schema('Health'), { status: 'ok', nodeID: 'node-1', uptimeSec: 3600 }) },
        503: {
          description: 'Not ready (starting, stopping, or a part it needs is missing): send work elsewhere',
          content: json(schema('Health'), { status: 'not-ready', nodeID: 'node-1', uptimeSec: 2 }),
        },
      },
    },
  },
});
