/** RFC 9457 problem+json, as every error answer of the gateway is sent. */
import type { ApiAnswer } from './system';

export const PROBLEM_JSON = /^application\/problem\+json\b/;

/** `res` is a problem+json answer of `status`, with a type, a non-empty title and a non-empty detail. */
export function expectProblem(res: ApiAnswer, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
  expect(res.json).toEqual(expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) }));
  expect(res.json.title.length).toBeGreaterThan(0);
  expect(res.json.detail.length).toBeGreaterThan(0);
}
