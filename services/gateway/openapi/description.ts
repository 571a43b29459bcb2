/** info.description: what a partner reads first, with how to check a webhook's signature. */
export const description = `
The partner API of the OSAGO quote aggregator: submit one application, and about ten insurers are
asked at once; follow their quotes by polling \`GET /applications/{id}\`, by the event stream
\`GET /applications/{id}/events\`, or by a webhook (\`X-Callback-Url\`). This document is served at
\`/api/openapi.json\`, and as an interactive page at \`/api/docs\`.

## Keys and limits

Every route but \`/health\` needs the header \`X-Api-Key\`; a missing or unknown key is \`401\`.
\`POST /applications\` answers carry \`X-RateLimit-Limit\` (new applications per minute for this
key), \`X-RateLimit-Remaining\` and \`X-RateLimit-Reset\` (**seconds** until the window resets);
above the limit: \`429\` with \`Retry-After\` (seconds).

## Errors

Every error is \`application/problem+json\` (RFC 9457): \`{ type, title, status, detail }\`, and for
bad input \`errors: [{ field, message }]\` with every wrong field's dotted path. An unknown path
under \`/api/v1\` is \`404\`; a known path with a method it does not answer is \`405\` with
\`Allow\` (\`HEAD\` included: no route answers it); \`OPTIONS\` on a known path answers \`204\` with
\`Allow\`, no key needed.

## Webhooks and their signature

With \`X-Callback-Url\`, each event is POSTed as \`{ id, type, applicationId, createdAt, data }\`
(the webhook \`applicationEvent\`), signed in \`X-Osago-Signature: t=<unix seconds>,v1=<hex>\`, where
\`v1\` is the HMAC-SHA256 of \`"<t>.<raw body>"\` under your webhook secret. To verify: take the raw
body as received (before any JSON parsing), recompute the HMAC, compare in constant time, and refuse
a \`t\` too far from your clock (a replayed old delivery):

\`\`\`js
const crypto = require('node:crypto');

const TOLERANCE_SECONDS = 300;

/** rawBody: the request body as received (a Buffer or string), before JSON.parse. */
function verifyOsagoSignature(rawBody, header, secret, nowSeconds = Math.floor(Date.now() / 1000)) {
  const parts = Object.fromEntries(String(header).split(',').map((kv) => kv.split('=', 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return false;
  if (Math.abs(nowSeconds - t) > TOLERANCE_SECONDS) return false;
  const expected = crypto.createHmac('sha256', secret).update(\`\${t}.\`).update(rawBody).digest();
  return crypto.timingSafeEqual(expected, Buffer.from(parts.v1, 'hex'));
}
\`\`\`

Answer \`2xx\` quickly (within 10 s) and do the work afterwards; a delivery is retried with the same
\`id\` until it gets a \`2xx\`, so process each \`id\` once.
`.trimStart();
