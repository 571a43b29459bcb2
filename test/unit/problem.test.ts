import { Errors } from 'moleculer';
import { toProblem } from '../../lib/problem';
import { ApplicationValidationError, NotFoundError, RateLimitedError, UnauthorizedError, ConflictError, InsurerCallTimeoutError, InsurerThrottledError, InsurerRejectedError, InsurerTransientError, BusUnavailableError } from '../../lib/errors';
import { markAttempt, isInsurerFailure, isRetryableInsurerFault } from '../../lib/insurers/call-policy';
import { parseRetryAfter } from '../../lib/insurers/retry-after';
import { stableStringify } from '../../lib/stable-json';

describe('toProblem', () => {
  test('validation errors keep every field', () => {
    const p = toProblem(new ApplicationValidationError([{ field: 'vehicle.vin', message: 'bad' }, { field: 'policy.startDate', message: 'bad' }]));
    expect(p).toMatchObject({ status: 400, type: '/problems/validation-error', title: 'Bad Request' });
    expect(p.errors?.map((e) => e.field)).toEqual(['vehicle.vin', 'policy.startDate']);
  });

  test.each([
    [new UnauthorizedError(), 401],
    [new NotFoundError(), 404],
    [new ConflictError('x'), 409],
    [new RateLimitedError(7), 429],
    [{ type: 'entity.parse.failed', status: 400, message: 'Unexpected token' }, 400],
    [{ type: 'entity.too.large', status: 413, message: 'too large' }, 413],
    [{ code: 422, type: 'VALIDATION_ERROR', message: 'Parameters validation error!', data: [{ field: 'id', message: 'required' }] }, 400],
    // a part that is not up is an outage to try again, not "not found"
    [new Errors.ServiceNotFoundError({ action: 'applications.snapshot' }), 503],
    [new Errors.ServiceNotAvailableError({ action: 'applications.create', nodeID: 'n1' }), 503],
    [new BusUnavailableError('osago.quote.requested', 'TIMEOUT'), 503],
  ])('%o → %i', (err, status) => {
    const p = toProblem(err);
    expect(p.status).toBe(status);
    expect(typeof p.type).toBe('string');
    expect(p.detail.length).toBeGreaterThan(0);
  });

  test('a bus outage says so in plain words, a missing service says nothing of our internals', () => {
    expect(toProblem(new BusUnavailableError('osago.quote.requested', 'TIMEOUT')).detail).toMatch(/try again/);
    expect(toProblem(new Errors.ServiceNotFoundError({ action: 'applications.snapshot' })).detail).not.toMatch(/applications/);
  });

  test('a 429 carries its retry delay', () => {
    expect(toProblem(new RateLimitedError(7)).retryAfterSeconds).toBe(7);
  });

  test('unknown failures do not leak internals', () => {
    const p = toProblem(new Error('ECONNREFUSED 10.0.0.5:27017 secret'));
    expect(p.status).toBe(500);
    expect(p.detail).not.toMatch(/secret|ECONN/);
    expect(toProblem('a string').status).toBe(500);
    expect(toProblem(null).status).toBe(500);
  });
});

describe('insurer error classes', () => {
  test('the breaker counts transient faults, call timeouts and throttling, not refusals', () => {
    expect(isInsurerFailure(new InsurerTransientError('x', { insurer: 'a' }))).toBe(true);
    expect(isInsurerFailure(new InsurerCallTimeoutError('a', 100))).toBe(true);
    expect(isInsurerFailure(new InsurerThrottledError('a', 503, 1000))).toBe(true);
    // an insurer limiting our rate is up: its 429s must not open the circuit
    expect(isInsurerFailure(new InsurerThrottledError('a', 429, 1000))).toBe(false);
    expect(isInsurerFailure(new InsurerRejectedError('a', 400))).toBe(false);
    expect(isInsurerFailure(new NotFoundError())).toBe(false);
  });

  test('an attempt that Moleculer will retry is not yet a failure; the last attempt is', () => {
    expect(isInsurerFailure(markAttempt(new InsurerCallTimeoutError('a', 100), 0, 2))).toBe(false);
    expect(isInsurerFailure(markAttempt(new InsurerCallTimeoutError('a', 100), 1, 2))).toBe(false);
    expect(isInsurerFailure(markAttempt(new InsurerCallTimeoutError('a', 100), 2, 2))).toBe(true);
    // not retried at all, so counted on the first attempt
    expect(isInsurerFailure(markAttempt(new InsurerThrottledError('a', 503, 1000), 0, 2))).toBe(true);
  });

  test('Moleculer retries only transient faults and call timeouts', () => {
    expect(isRetryableInsurerFault(new InsurerTransientError('x', { insurer: 'a' }))).toBe(true);
    expect(isRetryableInsurerFault(new InsurerCallTimeoutError('a', 100))).toBe(true);
    expect(isRetryableInsurerFault(new InsurerThrottledError('a', 429, 1000))).toBe(false);
    expect(isRetryableInsurerFault(new InsurerRejectedError('a', 404))).toBe(false);
  });

  test('errors keep a stable type and structured data, and survive as plain objects', () => {
    const err = new InsurerThrottledError('tri-kita', 503, 2000);
    const plain = JSON.parse(JSON.stringify({ type: err.type, data: err.data }));
    expect(plain).toEqual({ type: 'INSURER_THROTTLED', data: { insurer: 'tri-kita', status: 503, retryAfterMs: 2000 } });
    expect(isInsurerFailure(plain)).toBe(true);
  });
});

describe('parseRetryAfter', () => {
  test.each([
    ['1', 1000],
    ['0', 0],
    [' 12 ', 12000],
    ['', undefined],
    ['soon', undefined],
    [undefined, undefined],
  ])('%p → %p', (value, ms) => {
    expect(parseRetryAfter(value as string | undefined)).toBe(ms);
  });

  test('an HTTP date counts from now', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });
});

test('stableStringify ignores key order and undefined', () => {
  expect(stableStringify({ b: 1, a: [{ d: 1, c: undefined }] })).toBe(stableStringify({ a: [{ d: 1 }], b: 1 }));
  expect(stableStringify({ a: 1 })).not.toBe(stableStringify({ a: '1' }));
});
