/**
 * The one gate between untrusted input (REST, Socket.IO) and the rest of the system: lists every
 * wrong field of CONTRACT §1 at once, and returns a normalised copy holding only known fields.
 */
import { parseIsoDate } from '../dates';
import { checkDrivers } from './rules/drivers';
import { checkOwner } from './rules/person';
import { checkPolicy } from './rules/policy';
import { Checker, Scope, isRecord, type Draft } from './rules/read';
import { checkVehicle } from './rules/vehicle';
import type { Application, FieldError, IsoDate, ValidationResult } from './types';

// Errors are collected policy-first (others depend on its start date) but read best in form order.
const FORM_ORDER = ['vehicle', 'owner', 'unlimitedDrivers', 'drivers', 'policy'];

/**
 * `today` is the caller's current date where policies are sold (`todayInMoscow()`); it is not
 * user input, so a malformed one is a programming error and throws.
 */
export function validateApplication(input: unknown, today: IsoDate): ValidationResult {
  if (!parseIsoDate(today)) throw new RangeError(`validateApplication: today is not an ISO date: ${String(today)}`);
  try {
    return validate(input, today);
  } catch {
    // Only exotic objects (proxies with throwing traps) get here; JSON can't build them. The
    // contract promises that no input crashes the service, so refuse instead of throwing.
    return refuse([{ field: '', message: 'заявку не удалось прочитать' }]);
  }
}

function validate(input: unknown, today: IsoDate): ValidationResult {
  if (!isRecord(input)) return refuse([{ field: '', message: 'заявка должна быть JSON-объектом' }]);
  const checker = new Checker(today);
  const root = new Scope(checker, input, '');
  const policy = checkPolicy(root);
  const vehicle = checkVehicle(root);
  const owner = checkOwner(root);
  const { unlimitedDrivers, drivers } = checkDrivers(root, policy?.startDate);
  if (checker.errors.length > 0) return refuse(checker.errors);
  const draft: Draft<Application> = { vehicle, owner, drivers, unlimitedDrivers, policy };
  // Every required field was read without an error, so the draft is complete.
  return { ok: true, value: draft as Application };
}

function refuse(errors: FieldError[]): ValidationResult {
  const rank = (e: FieldError) => FORM_ORDER.indexOf(e.field.split('.')[0]);
  return { ok: false, errors: [...errors].sort((a, b) => rank(a) - rank(b)) };
}
