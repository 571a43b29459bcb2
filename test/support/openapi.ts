/**
 * Checks an answer of the partner API against the OpenAPI document the gateway serves: the
 * operation (by method and path template), the status, the headers the document requires, the
 * content type and the body's schema (ajv 2020, $refs resolved inside the document). A wrong
 * method on a known path must be the document's MethodNotAllowed (or Options) answer, a path that
 * is no route its NoRoute answer. Paths outside /api/v1 are not the partner API and are not checked.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const API_BASE = '/api/v1';
const DOCUMENT_ID = 'openapi';

export interface CheckedAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export class OpenApiMismatchError extends Error {
  constructor(method: string, path: string, status: number, problems: string[]) {
    super(`${method} ${path} → ${status} does not match the OpenAPI document:\n  - ${problems.join('\n  - ')}`);
    this.name = 'OpenApiMismatchError';
  }
}

const escapePointer = (segment: string) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));

class ServedDocument {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly doc: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(doc, DOCUMENT_ID);
  }

  /** Problems with this answer; none when it matches. */
  check(method: string, path: string, answer: CheckedAnswer): string[] {
    const template = this.templateOf(path);
    if (!template) return this.checkShared(method, ['components', 'responses', 'NoRoute'], 404, answer);
    const operation = this.doc.paths[template][method.toLowerCase()] as Json | undefined;
    if (!operation) {
      if (method === 'OPTIONS') return this.checkShared(method, ['components', 'responses', 'Options'], 204, answer);
      return this.checkShared(method, ['components', 'responses', 'MethodNotAllowed'], 405, answer);
    }
    const base = ['paths', template, method.toLowerCase(), 'responses'];
    const key = [String(answer.status), `${String(answer.status)[0]}XX`, 'default'].find((k) => k in operation.responses);
    if (!key) return [`status ${answer.status} is not documented for ${method} ${template} (documented: ${Object.keys(operation.responses).join(', ')})`];
    return this.checkResponse(method, [...base, key], answer);
  }

  private templateOf(path: string): string | undefined {
    const segments = path.split('/').filter(Boolean);
    const matches = (template: string) => {
      const parts = template.split('/').filter(Boolean);
      return parts.length === segments.length && parts.every((p, i) => /^\{.+\}$/.test(p) || p === segments[i]);
    };
    const parameters = (template: string) => template.split('{').length - 1;
    // a literal segment beats a parameter where both would match
    return Object.keys(this.doc.paths).filter(matches).sort((a, b) => parameters(a) - parameters(b))[0];
  }

  private checkShared(method: string, pointer: string[], status: number, answer: CheckedAnswer): string[] {
    if (answer.status !== status) return [`expected ${status} here (${pointer.at(-1)}), got ${answer.status}`];
    return this.checkResponse(method, pointer, answer);
  }

  private resolve(pointer: string[]): { pointer: string[]; value: Json } {
    let value: Json = this.doc;
    for (const segment of pointer) value = value?.[segment];
    if (value && typeof value.$ref === 'string') return this.resolve(value.$ref.replace(/^#\//, '').split('/').map((s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~')));
    if (!value) throw new Error(`the document has nothing at #/${pointer.join('/')}`);
    return { pointer, value };
  }

  private validator(pointer: string[]): ValidateFunction {
    const ref = `${DOCUMENT_ID}#/${pointer.map(escapePointer).join('/')}`;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    return validate;
  }

  private checkResponse(method: string, responsePointer: string[], answer: CheckedAnswer): string[] {
    const { pointer, value: response } = this.resolve(responsePointer);
    const problems: string[] = [];
    for (const name of Object.keys(response.headers ?? {})) {
      const header = this.resolve([...pointer, 'headers', name]);
      const raw = answer.headers.get(name);
      if (raw === null) {
        if (header.value.required) problems.push(`header ${name} is required and missing`);
        continue;
      }
      const type = header.value.schema?.type;
      const headerValue = type === 'integer' || type === 'number' ? (raw.trim() === '' ? NaN : Number(raw)) : raw;
      const validate = this.validator([...header.pointer, 'schema']);
      if (!validate(headerValue)) problems.push(`header ${name}: ${JSON.stringify(raw)} ${this.ajv.errorsText(validate.errors)}`);
    }
    if (method === 'HEAD') return problems; // HTTP sends a HEAD answer without its body
    const contentType = answer.headers.get('content-type')?.split(';')[0].trim().toLowerCase();
    const content = response.content as Json | undefined;
    if (!content) {
      if (answer.text.length > 0) problems.push(`the document describes no body, the answer has one (${contentType ?? 'no content type'})`);
      return problems;
    }
    if (!contentType || !(contentType in content)) {
      problems.push(`content type ${contentType ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`);
      return problems;
    }
    if (contentType === 'application/json' || contentType.endsWith('+json')) {
      let body: unknown;
      try {
        body = JSON.parse(answer.text);
      } catch {
        return [...problems, `the body is not JSON: ${answer.text.slice(0, 200)}`];
      }
      const validate = this.validator([...pointer, 'content', contentType, 'schema']);
      if (!validate(body)) {
        problems.push(...(validate.errors ?? []).map((e) => `body${e.instancePath || ''} ${e.message ?? ''} (${e.schemaPath})`));
      }
    }
    return problems;
  }
}

const documents = new Map<string, Promise<ServedDocument>>();

function servedDocument(baseUrl: string): Promise<ServedDocument> {
  let doc = documents.get(baseUrl);
  if (!doc) {
    doc = fetch(`${baseUrl}/api/openapi.json`, { signal: AbortSignal.timeout(10_000) })
      .then(async (res) => {
        if (res.status !== 200) throw new Error(`GET ${baseUrl}/api/openapi.json answered ${res.status}`);
        return new ServedDocument((await res.json()) as Json);
      });
    // a gateway that was not up yet is asked again next time
    doc.catch(() => documents.delete(baseUrl));
    documents.set(baseUrl, doc);
  }
  return doc;
}

/** Throws OpenApiMismatchError when an answer under /api/v1 is not what the served document says. */
export async function expectDocumentedAnswer(baseUrl: string, method: string, route: string, answer: CheckedAnswer): Promise<void> {
  const path = route.split('?')[0];
  if (path !== API_BASE && !path.startsWith(`${API_BASE}/`)) return;
  const doc = await servedDocument(baseUrl);
  const problems = doc.check(method.toUpperCase(), path.slice(API_BASE.length) || '/', answer);
  if (problems.length > 0) throw new OpenApiMismatchError(method.toUpperCase(), route, answer.status, problems);
}
