/** The partner API's OpenAPI 3.1 document, served at /api/openapi.json. */
const problem = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: problem } } });

export function openApiDocument(insurerCodes: string[]) {
  return {
    openapi: '3.1.0',
    info: { title: 'OSAGO quote aggregator: partner API', version: '1.0.0' },
    servers: [{ url: '/api/v1' }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
        Application: { type: 'object', description: 'See CONTRACT §1: vehicle, owner, drivers, unlimitedDrivers, policy', required: ['vehicle', 'owner', 'policy'] },
        Insurer: { type: 'object', properties: { code: { type: 'string', enum: insurerCodes }, name: { type: 'string' } } },
        Quote: {
          type: 'object',
          required: ['applicationId', 'insurer', 'status', 'at'],
          properties: {
            applicationId: { type: 'string' },
            insurer: { $ref: '#/components/schemas/Insurer' },
            status: { type: 'string', enum: ['pending', 'offer', 'declined', 'failed', 'unavailable', 'timeout'] },
            premium: { type: 'number' },
            offer: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                validUntil: { type: 'string' },
                coefficients: { type: 'object', description: 'tb, kt (effective: base × multiplier), kbm, kvs, ko, km, ks, kn, kpr; the premium is their product' },
                drivers: {
                  type: 'array',
                  description: 'one per named driver; empty for an unlimited policy',
                  items: {
                    type: 'object',
                    properties: {
                      index: { type: 'integer' },
                      kbmClass: { type: 'string', enum: ['M', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13'] },
                      kbm: { type: 'number' },
                      kvs: { type: 'number' },
                      applied: { type: 'boolean', description: 'the driver whose КБМ × КВС the policy takes' },
                    },
                  },
                },
                territory: {
                  type: 'object',
                  description: 'КТ explained: kt = base × multiplier (the correction multiplier, e.g. 2 for Novosibirsk from 2025-12-09)',
                  properties: { base: { type: 'number' }, multiplier: { type: 'number' } },
                },
              },
            },
            reason: { type: 'string' },
            at: { type: 'string', format: 'date-time' },
          },
        },
        ApplicationState: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            status: { type: 'string', enum: ['quoting', 'completed'] },
            createdAt: { type: 'string', format: 'date-time' },
            deadline: { type: 'string', format: 'date-time' },
            completedAt: { type: 'string', format: 'date-time' },
            quotes: { type: 'array', items: { $ref: '#/components/schemas/Quote' } },
            bestOffer: { $ref: '#/components/schemas/Quote' },
          },
        },
      },
    },
    paths: {
      '/applications': {
        post: {
          summary: 'Submit an application; every insurer is asked at once',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Application' } } } },
          responses: {
            202: { description: 'Accepted: quoting has started', content: { 'application/json': { schema: { type: 'object' } } } },
            400: problemResponse('Invalid application: every wrong field is listed'),
            401: problemResponse('Missing or unknown X-Api-Key'),
            409: problemResponse('Idempotency-Key reused with a different body'),
            413: problemResponse('Body larger than 1 MB'),
            429: problemResponse('Too many new applications; see Retry-After'),
          },
        },
        get: {
          summary: "This partner's applications, newest first",
          parameters: [
            { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
            { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
          ],
          responses: { 200: { description: 'A page of applications' }, 401: problemResponse('Missing or unknown X-Api-Key') },
        },
      },
      '/applications/{id}': {
        get: {
          summary: 'The application with its quotes so far',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: { description: 'The application', content: { 'application/json': { schema: { $ref: '#/components/schemas/ApplicationState' } } } },
            404: problemResponse("Unknown, or not this partner's"),
          },
        },
      },
      '/insurers': { get: { summary: "Each insurer's circuit state and recent figures", responses: { 200: { description: 'Insurers' } } } },
      '/health': { get: { summary: 'Liveness and readiness', security: [], responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready' } } } },
    },
  };
}
