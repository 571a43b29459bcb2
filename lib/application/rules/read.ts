/**
 * Type-strict readers over untrusted JSON. Each reader reports its own error and returns
 * undefined, so a rule module can keep going and every wrong field is listed at once.
 */
import { compareIsoDates, parseIsoDate } from '../../dates';
import { compactUpper } from '../normalize';
import type { FieldError, IsoDate } from '../types';

type Json = Record<string, unknown>;

/** The application as it is being assembled; it becomes an Application only when no error was found. */
export type Draft<T> = T extends (infer U)[] ? Draft<U>[] : T extends object ? { [K in keyof T]?: Draft<T[K]> } : T;

export const MSG = {
  required: 'обязательное поле',
  string: 'должно быть строкой',
  number: 'должно быть числом (без кавычек)',
  boolean: 'должно быть true или false',
  object: 'должно быть объектом',
  array: 'должно быть списком',
  dateFormat: 'дата в формате ГГГГ-ММ-ДД, например 2019-05-01',
  dateUnreal: 'такой даты нет в календаре',
  future: 'не может быть в будущем',
  tooLong: (max: number) => `не длиннее ${max} символов`,
};

// Generous for every code and name we accept; it only stops absurd payloads early.
export const DEFAULT_MAX = 200;
// Longer raw strings are refused before trimming: megabytes of padding cost no scanning.
export const RAW_MAX = 1000;
const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own data properties only: inherited keys and getters are never consulted, so no hostile code runs. */
function own(obj: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(obj, key);
  return descriptor && 'value' in descriptor ? descriptor.value : undefined;
}

export class Checker {
  readonly errors: FieldError[] = [];
  constructor(readonly today: IsoDate) {}
}

interface StringOptions {
  optional?: boolean;
  max?: number;
  upper?: boolean;
  compact?: boolean; // drop inner whitespace too (implies upper)
}

/** One JSON object at a dotted path of CONTRACT §1. */
export class Scope {
  constructor(
    private readonly checker: Checker,
    private readonly obj: Json,
    readonly prefix: string,
  ) {}

  get today(): IsoDate {
    return this.checker.today;
  }

  path(key: string): string {
    return this.prefix ? `${this.prefix}.${key}` : key;
  }

  fail(key: string, message: string): undefined {
    this.checker.errors.push({ field: this.path(key), message });
    return undefined;
  }

  raw(key: string): unknown {
    return own(this.obj, key);
  }

  /** Web forms post untouched inputs as "" and some clients send null: both mean "not given". */
  isBlank(key: string): boolean {
    const value = this.raw(key);
    if (typeof value === 'string') return value.length <= RAW_MAX && value.trim() === '';
    return value === undefined || value === null;
  }

  object(key: string): Scope | undefined {
    return this.child(key, this.raw(key));
  }

  /** `key` may be dotted (`drivers.0`) for elements of a list read with `raw`. */
  child(key: string, value: unknown): Scope | undefined {
    if (value === undefined || value === null) return this.fail(key, MSG.required);
    if (!isRecord(value)) return this.fail(key, MSG.object);
    return new Scope(this.checker, value, this.path(key));
  }

  string(key: string, options: StringOptions = {}): string | undefined {
    const value = this.raw(key);
    if (this.isBlank(key)) return options.optional ? undefined : this.fail(key, MSG.required);
    if (typeof value !== 'string') return this.fail(key, MSG.string);
    const max = options.max ?? DEFAULT_MAX;
    if (value.length > RAW_MAX) return this.fail(key, MSG.tooLong(max));
    const text = value.trim();
    if (text.length > max) return this.fail(key, MSG.tooLong(max));
    if (options.compact) return compactUpper(text);
    return options.upper ? text.toUpperCase() : text;
  }

  /** A string that must match `pattern` after normalisation by `transform`. */
  code(key: string, pattern: RegExp, message: string, options: StringOptions & { transform?: (s: string) => string } = {}): string | undefined {
    const text = this.string(key, options);
    if (text === undefined) return undefined;
    const value = options.transform ? options.transform(text) : text;
    return pattern.test(value) ? value : this.fail(key, message);
  }

  /** No coercion: "2019" is not a number. `accept` gets finite numbers only. */
  number(key: string, accept: (n: number) => boolean, message: string): number | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return this.fail(key, MSG.required);
    if (typeof value !== 'number') return this.fail(key, MSG.number);
    return Number.isFinite(value) && accept(value) ? value : this.fail(key, message);
  }

  /** A real calendar date in YYYY-MM-DD. */
  date(key: string): IsoDate | undefined {
    const text = this.string(key);
    if (text === undefined) return undefined;
    if (!DATE_SHAPE.test(text)) return this.fail(key, MSG.dateFormat);
    return parseIsoDate(text) ? text : this.fail(key, MSG.dateUnreal);
  }

  /**
   * Applies a rule to an already valid date. A date that breaks it is dropped (undefined), so
   * the cross-checks that depend on it stay quiet instead of adding noise.
   */
  keep(key: string, date: IsoDate | undefined, ok: (d: IsoDate) => boolean, message: string): IsoDate | undefined {
    if (date === undefined) return undefined;
    return ok(date) ? date : this.fail(key, message);
  }

  /** A real date, today at the latest. */
  notFutureDate(key: string): IsoDate | undefined {
    return this.keep(key, this.date(key), (d) => compareIsoDates(d, this.today) <= 0, MSG.future);
  }
}
