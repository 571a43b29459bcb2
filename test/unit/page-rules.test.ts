/**
 * The page's rules (public/build/rules.js, window.OsagoRules) are the server's: the script built
 * by bin/build-page-rules.ts, run as a browser would run it, answers every validation case exactly
 * as lib/application/validate.ts does, field for field and message for message.
 */
import vm from 'node:vm';
import { pageRulesScript } from '../../bin/build-page-rules';
import { todayInMoscow } from '../../lib/dates';
import { validateApplication } from '../../lib/application/validate';
import { ACCEPTED, FIVE_WRONG, NO_CASCADE, REFUSED, TODAY, mutated, sample } from './fixtures/validation-cases';

interface PageRules {
  validateApplication: typeof validateApplication;
  todayInMoscow: typeof todayInMoscow;
  addDays(date: string, days: number): string;
  regionOf(code: string): string | undefined;
}

let rules: PageRules;

beforeAll(() => {
  // A bare context like a page's: no require, no process, no Buffer.
  const context: Record<string, unknown> = {};
  context.window = context;
  vm.createContext(context);
  vm.runInContext(pageRulesScript(), context);
  rules = context.OsagoRules as PageRules;
});

/** Through JSON, as the page's application reaches the server and as results leave a vm context. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('the page rules bundle', () => {
  test('sets window.OsagoRules with the rules, the Moscow date and the region names', () => {
    expect(Object.keys(rules).sort()).toEqual(['addDays', 'regionOf', 'todayInMoscow', 'validateApplication']);
    const now = new Date('2026-12-02T22:30:00Z'); // already the 3rd in Moscow
    expect(rules.todayInMoscow(now)).toBe(todayInMoscow(now));
    expect(rules.todayInMoscow(now)).toBe('2026-12-03');
    expect(rules.addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(rules.regionOf('54')).toBe('Новосибирская область');
  });

  test('accepts the sample as the server does', () => {
    expect(plain(rules.validateApplication(sample(), TODAY))).toEqual(plain(validateApplication(sample(), TODAY)));
    expect(rules.validateApplication(sample(), TODAY).ok).toBe(true);
  });

  test.each(REFUSED)('refuses as the server does: %s', (_name, mutation) => {
    const app = mutated(mutation);
    const page = rules.validateApplication(plain(app), TODAY);
    expect(page.ok).toBe(false);
    expect(plain(page)).toEqual(plain(validateApplication(plain(app), TODAY)));
  });

  test.each([FIVE_WRONG, ...NO_CASCADE])('lists the same errors as the server: %s', (_name, mutation) => {
    const app = mutated(mutation);
    expect(plain(rules.validateApplication(plain(app), TODAY))).toEqual(plain(validateApplication(plain(app), TODAY)));
  });

  test.each(ACCEPTED)('accepts what the server accepts: %s', (_name, mutation) => {
    const app = mutated(mutation);
    const page = rules.validateApplication(plain(app), TODAY);
    expect(page.ok).toBe(true);
    expect(plain(page)).toEqual(plain(validateApplication(plain(app), TODAY)));
  });
});
