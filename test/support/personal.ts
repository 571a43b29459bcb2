/** An application whose personal values occur nowhere else in it, and a scan for them in clear. */
import fs from 'node:fs';
import path from 'node:path';
import type { Application } from '../../lib/application/types';
import { todayInMoscow } from '../../lib/dates';
import { sampleApplication } from '../unit/fixtures/application';

export function distinctivePersonalApplication(n: number): Application {
  const sample = sampleApplication(todayInMoscow());
  const digits = (base: number) => String(base + n).padStart(6, '0');
  return {
    ...sample,
    owner: { ...sample.owner, lastName: `Шереметьева${'а'.repeat(n)}`, firstName: 'Аглая', middleName: 'Всеволодовна', passport: { ...sample.owner.passport, series: '4611', number: digits(739100) } },
    drivers: [{ ...sample.drivers[0], lastName: 'Голенищев', firstName: 'Ростислав', license: { ...sample.drivers[0].license, series: '9917', number: digits(582000) } }],
  };
}

/** The values that must never be stored or logged in clear (the birth date is the sample's own, shared by owner and driver). */
export function personalValues(application: Application): string[] {
  return [
    application.owner.lastName,
    application.owner.firstName,
    application.owner.middleName ?? '',
    application.owner.birthDate,
    application.owner.passport.number,
    ...application.drivers.flatMap((d) => [d.lastName, d.firstName, d.license.number]),
  ].filter(Boolean);
}

/** Also as JSON would escape it (\\uXXXX), so an escaped copy is not missed. */
function forms(value: string): string[] {
  const escaped = [...value].map((c) => (c.charCodeAt(0) > 127 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('');
  return escaped === value ? [value] : [value, escaped];
}

/**
 * A number counts only as a number of its own: a licence number 582000 inside a logged epoch
 * 1764691582000 is no leak (CI once failed on such a chance match). Quoted or bare, a leaked
 * number stands between non-digits.
 */
function occursIn(text: string, form: string): boolean {
  if (!/^\d+$/.test(form)) return text.includes(form);
  return new RegExp(`(?<!\\d)${form}(?!\\d)`).test(text);
}

export function findIn(text: string, values: readonly string[]): string[] {
  return values.filter((value) => forms(value).some((form) => occursIn(text, form)));
}

/** Every file under `dir`, recursively, with the values found in it in clear. */
export function scanFiles(dir: string, values: readonly string[]): Array<{ file: string; found: string[] }> {
  const hits: Array<{ file: string; found: string[] }> = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const found = findIn(fs.readFileSync(file).toString('utf8'), values);
    if (found.length > 0) hits.push({ file, found });
  }
  return hits;
}
