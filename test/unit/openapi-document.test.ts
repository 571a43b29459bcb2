/**
 * The OpenAPI document against the code it describes: the route table, and the signature
 * snippet of its description, run as a partner would run it.
 */
import crypto from 'node:crypto';
import { INSURERS } from '../../lib/insurers/catalog';
import { addDays } from '../../lib/dates';
import { validateApplication } from '../../lib/application/validate';
import { openApiDocument } from '../../services/gateway/openapi';
import { PARTNER_ROUTES } from '../../services/gateway/routes';

const doc = openApiDocument(INSURERS.map((i) => i.code));
const asTemplate = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

type Verify = (rawBody: string | Buffer, header: string, secret: string, nowSeconds?: number) => boolean;

/** The description's Node.js snippet, loaded as a partner would paste it. */
function snippetVerify(): Verify {
  const code = /```js\n([\s\S]*?)```/.exec(doc.info.description)?.[1];
  if (!code) throw new Error('the description has no js snippet');
  return new Function('require', `${code}\nreturn verifyOsagoSignature;`)(require) as Verify;
}

/** CONTRACT §2: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the partner's webhook secret>. */
function sign(body: string, secret: string, t: number): string {
  return `t=${t},v1=${crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

describe('the OpenAPI document and the route table', () => {
  it('documents exactly the methods of each path of the route table', () => {
    const table = new Map<string, string[]>();
    for (const route of PARTNER_ROUTES) table.set(asTemplate(route.path), [...(table.get(asTemplate(route.path)) ?? []), route.method.toLowerCase()]);
    const documented = Object.fromEntries(Object.entries(doc.paths).map(([path, item]) =>
      [path, Object.keys(item).filter((k) => ['get', 'post', 'put', 'patch', 'delete'].includes(k)).sort()]));
    expect(documented).toEqual(Object.fromEntries([...table].map(([path, methods]) => [path, methods.sort()])));
  });
});

describe('the signature snippet of the description', () => {
  const verify = snippetVerify();
  const secret = 'demo-webhook-secret';
  const body = JSON.stringify({ id: 'dlv_1', type: 'quote', applicationId: 'a1', createdAt: '2026-11-21T12:00:03.120Z', data: {} });
  const now = 1_795_262_403;

  it('accepts a delivery signed as the contract says', () => {
    expect(verify(body, sign(body, secret, now), secret, now)).toBe(true);
    expect(verify(Buffer.from(body), sign(body, secret, now), secret, now + 299)).toBe(true);
  });

  it.each<[string, () => boolean]>([
    ['a changed body', () => verify(body.replace('quote', 'completed'), sign(body, secret, now), secret, now)],
    ['another secret', () => verify(body, sign(body, 'other-secret', now), secret, now)],
    ['a t outside the tolerance (a replay)', () => verify(body, sign(body, secret, now - 301), secret, now)],
    ['a t changed after signing', () => verify(body, sign(body, secret, now).replace(`t=${now}`, `t=${now + 1}`), secret, now)],
    ['a malformed header', () => verify(body, 'v1=abc', secret, now)],
    ['a short v1', () => verify(body, `t=${now},v1=abcd`, secret, now)],
  ])('refuses %s', (_name, attempt) => {
    expect(attempt()).toBe(false);
  });
});

describe("the document's example application", () => {
  // Its policy starts the day after the document is built; its other dates must stay valid too.
  it.each(['2026-12-03', '2027-06-30', '2029-12-31'])('passes the server’s own rules when served on %s', (today) => {
    const dated = openApiDocument(INSURERS.map((i) => i.code), today);
    const post = dated.paths['/applications'] as unknown as { post: { requestBody: { content: Record<string, { example: { policy: { startDate: string } } }> } } };
    const example = post.post.requestBody.content['application/json'].example;
    expect(example.policy.startDate).toBe(addDays(today, 1));
    expect(validateApplication(example, today)).toEqual(expect.objectContaining({ ok: true }));
  });
});
