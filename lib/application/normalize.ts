/**
 * Look-alike letters: customers type Russian document codes on Latin keyboards (and VINs on
 * Cyrillic ones), and the two look identical on paper, so we map instead of refusing.
 */
const LATIN_TO_CYRILLIC: Readonly<Record<string, string>> = {
  A: 'А', B: 'В', E: 'Е', K: 'К', M: 'М', H: 'Н', O: 'О', P: 'Р', C: 'С', T: 'Т', Y: 'У', X: 'Х',
};
const CYRILLIC_TO_LATIN: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(LATIN_TO_CYRILLIC).map(([latin, cyrillic]) => [cyrillic, latin]),
);

/** Expects upper-case input. */
export function toCyrillic(text: string): string {
  return text.replace(/[ABEKMHOPCTYX]/g, (ch) => LATIN_TO_CYRILLIC[ch]);
}

/** Expects upper-case input. */
export function toLatin(text: string): string {
  return text.replace(/[АВЕКМНОРСТУХ]/g, (ch) => CYRILLIC_TO_LATIN[ch]);
}

/** Document codes are printed in groups ("45 10"), but stored without the gaps. */
export function compactUpper(text: string): string {
  return text.replace(/\s+/g, '').toUpperCase();
}

/** The twelve Cyrillic letters a plate may carry: those with a Latin twin. */
export const PLATE_LETTERS = 'АВЕКМНОРСТУХ';
/** The series digits of a plate; `000` is never issued. */
export const PLATE_DIGITS = 3;
const PLATE = new RegExp(`^[${PLATE_LETTERS}](\\d{${PLATE_DIGITS}})[${PLATE_LETTERS}]{2}\\d{2,3}$`);
// Even a generously spaced plate is far shorter; don't scan megabytes to refuse them.
export const PLATE_INPUT_MAX = 32;

/** A Russian passenger-car plate in canonical form (`А123ВС777`), or undefined if it isn't one. */
export function normalizePlate(raw: string): string | undefined {
  if (typeof raw !== 'string' || raw.length > PLATE_INPUT_MAX) return undefined;
  const plate = toCyrillic(compactUpper(raw));
  const match = PLATE.exec(plate);
  return match && match[1] !== '000' ? plate : undefined;
}
