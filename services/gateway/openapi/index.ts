/** The partner API's OpenAPI 3.1 document, served at /api/openapi.json (and shown at /api/docs). */
import { description } from './description';
import { headers, responses } from './responses';
import { paths, tags } from './paths';
import { schemas } from './schemas';
import { webhooks } from './webhooks';

export function openApiDocument(insurerCodes: readonly string[]) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'OSAGO quote aggregator: partner API',
      version: '1.0.0',
      description,
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/api/v1', description: 'This gateway' }],
    security: [{ apiKey: [] }],
    tags,
    paths,
    webhooks,
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'The partner key (`demo-key` outside production)' } },
      schemas: schemas(insurerCodes),
      headers,
      responses,
    },
  };
}
