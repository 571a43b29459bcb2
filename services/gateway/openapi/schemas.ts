/** components.schemas of the partner API: the answers' shapes, as services/applications/views.ts builds them. */
import { applicationSchema } from '../../../lib/application/schema';

type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const instant: Schema = { type: 'string', format: 'date-time', description: 'ISO 8601 UTC', examples: ['2026-11-21T12:00:03.120Z'] };
// not multipleOf 0.01: binary floating point makes 8421.37 fail it in most validators
const roubles = (description: string): Schema => ({ type: 'number', exclusiveMinimum: 0, description });

export const QUOTE_STATUSES = ['pending', 'offer', 'declined', 'failed', 'unavailable', 'timeout'] as const;
export const PROBLEM_TYPES = [
  'validation-error', 'bad-request', 'unauthorized', 'not-found', 'method-not-allowed', 'conflict', 'payload-too-large',
  'rate-limited', 'service-unavailable',
];

export function schemas(insurerCodes: readonly string[], application: unknown): Record<string, Schema> {
  return {
    Application: { ...applicationSchema, examples: [application] },
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details, sent as application/problem+json with every 4xx and 5xx answer',
      required: ['type', 'title', 'status', 'detail'],
      properties: {
        type: {
          type: 'string',
          description: `A stable identifier of the kind of problem: \`/problems/{slug}\`, the slug one of ${PROBLEM_TYPES.map((t) => `\`${t}\``).join(', ')} or \`http-{status}\``,
          pattern: '^/problems/[a-z0-9-]+$',
          examples: ['/problems/validation-error'],
        },
        title: { type: 'string', minLength: 1, description: 'The HTTP status text' },
        status: { type: 'integer', minimum: 400, maximum: 599 },
        detail: { type: 'string', minLength: 1, description: 'What went wrong, for a person' },
        errors: {
          type: 'array',
          description: 'With 400: every wrong field, by its dotted path in the application (`vehicle.vin`, `drivers.0.license.number`; `""` for the body as a whole)',
          items: {
            type: 'object',
            required: ['field', 'message'],
            properties: { field: { type: 'string' }, message: { type: 'string', description: 'In Russian, for the customer' } },
          },
        },
        retryAfterSeconds: { type: 'integer', minimum: 1, description: 'With 429: the same as the Retry-After header' },
      },
    },
    Insurer: {
      type: 'object',
      required: ['code', 'name'],
      properties: { code: { type: 'string', enum: [...insurerCodes] }, name: { type: 'string' } },
    },
    Coefficients: {
      type: 'object',
      description: 'The tariff factors; the premium is their product (kn, kpr count as 1 when absent), rounded to kopecks',
      required: ['tb', 'kt', 'kbm', 'kvs', 'ko', 'km', 'ks'],
      properties: Object.fromEntries(
        [
          ['tb', 'ТБ, the base rate in roubles'], ['kt', 'КТ, territory: the effective value, base × multiplier'], ['kbm', 'КБМ, bonus-malus'],
          ['kvs', 'КВС, age and experience'], ['ko', 'КО, unlimited drivers'], ['km', 'КМ, engine power'], ['ks', 'КС, period of use'],
          ['kn', 'КН, violations'], ['kpr', 'КПр, trailer'],
        ].map(([key, description]) => [key, { type: 'number', exclusiveMinimum: 0, description }]),
      ),
    },
    DriverRating: {
      type: 'object',
      required: ['index', 'kbmClass', 'kbm', 'kvs', 'applied'],
      properties: {
        index: { type: 'integer', minimum: 0, description: 'Position in the application’s drivers' },
        kbmClass: { type: 'string', enum: ['M', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13'] },
        kbm: { type: 'number' },
        kvs: { type: 'number' },
        applied: { type: 'boolean', description: 'The driver whose КБМ × КВС the policy takes' },
      },
    },
    Offer: {
      type: 'object',
      required: ['id', 'validUntil', 'coefficients', 'drivers'],
      properties: {
        id: { type: 'string', description: 'The insurer’s offer id' },
        validUntil: { type: 'string', description: 'Until when the insurer holds the price (ISO 8601)' },
        coefficients: ref('Coefficients'),
        drivers: { type: 'array', description: 'One per named driver; empty for an unlimited policy', items: ref('DriverRating') },
        territory: {
          type: 'object',
          description: 'КТ explained: kt = base × multiplier (the correction multiplier, e.g. 2 for Novosibirsk from 2025-12-09)',
          required: ['base', 'multiplier'],
          properties: { base: { type: 'number' }, multiplier: { type: 'number' } },
        },
      },
    },
    Quote: {
      type: 'object',
      description: 'One insurer’s answer for one application (CONTRACT §4). pending → offer | declined | failed | unavailable | timeout (final).',
      required: ['applicationId', 'insurer', 'status', 'at'],
      properties: {
        applicationId: { type: 'string' },
        insurer: ref('Insurer'),
        status: { type: 'string', enum: [...QUOTE_STATUSES] },
        premium: roubles('Only with status "offer": roubles, at most two decimals'),
        offer: ref('Offer'),
        reason: { type: 'string', minLength: 1, description: 'With declined, failed, unavailable, timeout: a human-readable cause' },
        at: instant,
      },
      // `properties: {}` entries name what `required` asks for (redocly: no-required-schema-properties-undefined)
      allOf: [
        {
          if: { properties: { status: { const: 'offer' } } },
          then: { properties: { premium: {}, offer: {} }, required: ['premium', 'offer'], not: { properties: { reason: {} }, required: ['reason'] } },
        },
        {
          if: { properties: { status: { enum: ['pending', 'declined', 'failed', 'unavailable', 'timeout'] } } },
          then: { not: { anyOf: [{ properties: { premium: {} }, required: ['premium'] }, { properties: { offer: {} }, required: ['offer'] }] } },
        },
        {
          if: { properties: { status: { enum: ['declined', 'failed', 'unavailable', 'timeout'] } } },
          then: { properties: { reason: {} }, required: ['reason'] },
        },
      ],
    },
    Created: {
      type: 'object',
      description: 'The application is stored and every insurer is being asked',
      required: ['id', 'token', 'status', 'createdAt', 'deadline', 'insurers'],
      additionalProperties: false,
      properties: {
        id: { type: 'string' },
        token: { type: 'string', minLength: 16, description: 'Opens the application to a Socket.IO `subscribe`; keep it secret' },
        status: { const: 'quoting' },
        createdAt: instant,
        deadline: { ...instant, description: 'When quoting ends: every insurer not answered by then is `timeout`' },
        insurers: { type: 'array', items: ref('Insurer'), description: 'The insurers asked' },
      },
    },
    ApplicationState: {
      type: 'object',
      required: ['id', 'status', 'createdAt', 'deadline', 'insurers', 'quotes'],
      properties: {
        id: { type: 'string' },
        status: { type: 'string', enum: ['quoting', 'completed'] },
        createdAt: instant,
        deadline: instant,
        completedAt: { ...instant, description: 'Once completed: every insurer is in a final state' },
        insurers: { type: 'array', items: ref('Insurer'), description: 'The insurers asked, in the order of `quotes`' },
        quotes: { type: 'array', items: ref('Quote'), description: 'One per insurer asked' },
        bestOffer: { ...ref('Quote'), description: 'The offer with the lowest premium; absent while there is none' },
      },
    },
    ApplicationPage: {
      type: 'object',
      description: 'One page of this partner’s applications, newest first',
      required: ['items', 'page', 'pageSize', 'total', 'totalPages'],
      properties: {
        items: { type: 'array', items: ref('ApplicationState') },
        page: { type: 'integer', minimum: 1 },
        pageSize: { type: 'integer', minimum: 1, maximum: 100 },
        total: { type: 'integer', minimum: 0, description: 'Applications of this partner' },
        totalPages: { type: 'integer', minimum: 0 },
      },
    },
    InsurerStatus: {
      type: 'object',
      required: ['code', 'name', 'state', 'available'],
      properties: {
        code: { type: 'string', enum: [...insurerCodes] },
        name: { type: 'string' },
        state: { type: 'string', enum: ['closed', 'open', 'half-open'], description: 'The circuit over every node: open if open on any (a node whose circuit is open does not ask the insurer: its quotes are `unavailable`)' },
        available: { type: 'boolean', description: 'false: no node serving this insurer answered; state is then "open" and no figures are given' },
        dialect: { type: 'string', description: 'The wire protocol we speak with it' },
        nodes: { type: 'array', items: { type: 'string' }, description: 'The nodes that run it and answered; the state is open if open on any of them, and the figures add theirs up' },
        calls: { type: 'integer', minimum: 0, description: 'Calls to the insurer since each node started, summed' },
        failures: { type: 'integer', minimum: 0 },
        recent: {
          type: 'object',
          description: 'Over the last 200 calls of each node, merged',
          required: ['calls', 'failureRate', 'p50LatencyMs', 'p95LatencyMs'],
          properties: {
            calls: { type: 'integer', minimum: 0 },
            failureRate: { type: 'number', minimum: 0, maximum: 1 },
            p50LatencyMs: { type: ['number', 'null'] },
            p95LatencyMs: { type: ['number', 'null'] },
          },
        },
      },
    },
    Health: {
      type: 'object',
      required: ['status', 'nodeID', 'uptimeSec'],
      properties: {
        status: { type: 'string', enum: ['ok', 'not-ready'] },
        nodeID: { type: 'string' },
        uptimeSec: { type: 'integer', minimum: 0 },
      },
    },
    Delivery: {
      type: 'object',
      description: 'One webhook delivery: one event, retried until the partner answers 2xx',
      required: ['id', 'type', 'attempts', 'lastStatus'],
      properties: {
        id: { type: 'string', description: 'The delivery id, sent as X-Osago-Delivery and as `id` in the body' },
        type: { type: 'string', enum: ['quote', 'completed'] },
        attempts: { type: 'integer', minimum: 0 },
        lastStatus: {
          type: ['integer', 'string', 'null'],
          description:
            'The outcome of the last attempt: the HTTP status the callback URL answered, or why there was none (`timeout`, ' +
            '`network-error`, `address-refused`, `abandoned after N attempts (last: …)` once retries end after 24 h)',
        },
        deliveredAt: { ...instant, description: 'When a 2xx answer ended the delivery' },
      },
    },
    Completed: {
      type: 'object',
      description: 'Every insurer is in a final state (CONTRACT §3 `completed`)',
      required: ['applicationId', 'status', 'quotes'],
      properties: {
        applicationId: { type: 'string' },
        status: { const: 'completed' },
        quotes: { type: 'array', items: ref('Quote') },
        bestOffer: ref('Quote'),
      },
    },
    WebhookEvent: {
      type: 'object',
      required: ['id', 'type', 'applicationId', 'createdAt', 'data'],
      properties: {
        id: { type: 'string', description: 'The delivery id: the same on every retry, so a partner can drop repeats' },
        type: { type: 'string', enum: ['quote', 'completed'] },
        applicationId: { type: 'string' },
        createdAt: instant,
        data: { description: 'type "quote": a Quote; type "completed": the Completed event', oneOf: [ref('Quote'), ref('Completed')] },
      },
    },
  };
}
