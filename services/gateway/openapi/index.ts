/** The partner API's OpenAPI 3.1 document, served at /api/openapi.json (and shown at /api/docs). */
import { todayInMoscow } from '../../../lib/dates';
import type { IsoDate } from '../../../lib/application/types';
import { description } from './description';
import { applicationExample } from './examples';
import { headers, responses } from './responses';
import { paths, tags } from './paths';
import { schemas } from './schemas';
import { webhooks } from './webhooks';

/** `today` dates the example application (its policy starts the day after). */
export function openApiDocument(insurerCodes: readonly string[], today: IsoDate = todayInMoscow()) {
  const application = applicationExample(today);
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
    paths: paths(application),
    webhooks,
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'The partner key (`demo-key` outside production)' } },
      schemas: schemas(insurerCodes, application),
      headers,
      responses,
    },
  };
}
