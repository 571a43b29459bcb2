/** policy.* of CONTRACT §1. */
import { addDays, compareIsoDates } from '../../dates';
import type { PolicyTerms } from '../types';
import type { Draft, Scope } from './read';

// How far ahead a policy may be bought (OSAGO.md, input rules).
const MAX_DAYS_AHEAD = 60;
export const PERIOD_MONTHS_MIN = 3;
export const PERIOD_MONTHS_MAX = 12;

export function checkPolicy(root: Scope): Draft<PolicyTerms> | undefined {
  const s = root.object('policy');
  if (!s) return undefined;
  const latest = addDays(s.today, MAX_DAYS_AHEAD);
  let start = s.keep('startDate', s.date('startDate'), (d) => compareIsoDates(d, s.today) >= 0, 'полис не может начинаться в прошлом');
  start = s.keep('startDate', start, (d) => compareIsoDates(d, latest) <= 0,
    `полис можно купить не раньше чем за ${MAX_DAYS_AHEAD} дней: дата начала не позже ${latest}`);
  const periodMonths = s.number('periodMonths', (m) => Number.isInteger(m) && m >= PERIOD_MONTHS_MIN && m <= PERIOD_MONTHS_MAX,
    `срок: целое число месяцев от ${PERIOD_MONTHS_MIN} до ${PERIOD_MONTHS_MAX}`);
  return { startDate: start, periodMonths };
}
