/** One HTTP request to the gateway as a partner, shared by the in-process and the cluster tests. */
import { expectDocumentedAnswer } from './openapi';

export const DEMO_KEY = 'demo-key';

/** What a request answers: `json` is undefined when the body is empty or not JSON. */
export interface ApiAnswer {
  status: number;
  headers: Headers;
  json: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export interface ApiOptions {
  /** The X-Api-Key to send: DEMO_KEY unless given; null sends no X-Api-Key header at all. */
  key?: string | null;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /**
   * Check the answer against the served OpenAPI document (test/support/openapi.ts); on by default.
   * Off only where the answer cannot be the document's: a request cut short on purpose.
   */
  checkDocumented?: boolean;
}

/** A string body is sent as it is (to test malformed JSON), anything else as JSON. */
export async function request(baseUrl: string, method: string, route: string, body?: unknown, options: ApiOptions = {}): Promise<ApiAnswer> {
  const key = options.key === undefined ? DEMO_KEY : options.key;
  const res = await fetch(`${baseUrl}${route}`, {
    method,
    headers: {
      ...(key === null ? {} : { 'x-api-key': key }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const answer: ApiAnswer = { status: res.status, headers: res.headers, json: json as ApiAnswer['json'], text };
  if (options.checkDocumented !== false) await expectDocumentedAnswer(baseUrl, method, route, answer);
  return answer;
}
