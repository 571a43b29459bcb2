/** policy.* of CONTRACT §1. */
import { addDays, compareIsoDates } from '../../dates';
import type { PolicyTerms } from '../types';
import type { Draft, Scope } from './read';

// How far ahead a policy may be bought (OSAGO.md, input rules).
const MAX_DAYS_AHEAD = 60;

export function checkPolicy(root: Scope): Draft<PolicyTerms> | undefined {
  const s = root.object('policy');
  if (!s) return undefined;
  const latest = addDays(s.today, MAX_DAYS_AHEAD);
  let start = s.keep('startDate', s.date('startDate'), (d) => compareIsoDates(d, s.today) >= 0, 'полис не может начинаться в прошлом');
  start = s.keep('startDate', start, (d) => compareIsoDates(d, latest) <= 0,
    `полис можно купить не раньше чем за ${MAX_DAYS_AHEAD} дней: дата начала не позже ${latest}`);
  const periodMonths = s.number('periodMonths', (m) => Number.isInteger(m) && m >= 3 && m <= 12,
    'срок: целое число месяцев от 3 до 12');
  return { startDate: start, periodMonths };
}
