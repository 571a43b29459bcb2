/**
 * /api/docs: Swagger UI over /api/openapi.json, served from the swagger-ui-dist package (no CDN:
 * the page works where the gateway is reachable and nothing else is). Only the files the page
 * needs are served, read once.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const API_DOCS_PATH = '/api/docs';
export const OPENAPI_PATH = '/api/openapi.json';

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

// No inline script: the page keeps working under a Content-Security-Policy without 'unsafe-inline'.
const INIT_SCRIPT = `window.addEventListener('load', function () {
  // validatorUrl: null, or the page would send the document to validator.swagger.io for a badge
  window.ui = SwaggerUIBundle({ url: ${JSON.stringify(OPENAPI_PATH)}, dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>OSAGO quote aggregator: partner API</title>
  <link rel="stylesheet" href="${API_DOCS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${API_DOCS_PATH}/favicon-32x32.png">
</head>
<body>
  <noscript>This page needs JavaScript; the document itself is at <a href="${OPENAPI_PATH}">${OPENAPI_PATH}</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="${API_DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${API_DOCS_PATH}/init.js"></script>
</body>
</html>
`;

interface Asset {
  type: string;
  body: () => Buffer;
}

function packageFile(name: string): () => Buffer {
  let body: Buffer | undefined;
  return () => (body ??= fs.readFileSync(path.join(SWAGGER_UI_DIR, name)));
}

const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['swagger-ui.css', { type: 'text/css; charset=utf-8', body: packageFile('swagger-ui.css') }],
  ['swagger-ui-bundle.js', { type: 'text/javascript; charset=utf-8', body: packageFile('swagger-ui-bundle.js') }],
  ['favicon-32x32.png', { type: 'image/png', body: packageFile('favicon-32x32.png') }],
  ['init.js', { type: 'text/javascript; charset=utf-8', body: () => Buffer.from(INIT_SCRIPT) }],
]);

function send(res: ServerResponse, status: number, type: string, body: Buffer | string, cache: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': cache, 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

type RouteRequest = IncomingMessage & { originalUrl?: string };

/** moleculer-web aliases of the /api route. */
export function apiDocsAliases(): Record<string, (req: RouteRequest, res: ServerResponse) => void> {
  return {
    [`GET ${API_DOCS_PATH.slice('/api'.length)}`]: (_req, res) => send(res, 200, 'text/html; charset=utf-8', PAGE, 'no-cache'),
    [`GET ${API_DOCS_PATH.slice('/api'.length)}/:asset`]: (req, res) => {
      const name = (req.originalUrl ?? req.url ?? '').split('?')[0].split('/').pop() ?? '';
      const asset = ASSETS.get(name);
      if (!asset) return send(res, 404, 'text/plain; charset=utf-8', 'Not Found', 'no-cache');
      // the package version is in the lock file, so a day of caching is safe across restarts
      send(res, 200, asset.type, asset.body(), 'public, max-age=86400');
    },
  };
}
