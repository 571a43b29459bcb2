/**
 * The shape of a document code as data: alternatives, each a run of character-class segments.
 * The validator's regular expression and the JSON Schema's input pattern (lib/application/
 * schema.ts) are both built from one shape, so the published schema cannot drift from the rule.
 */
export interface Segment {
  /** The body of a regex character class over canonical (normalised) characters, e.g. `0-9А-ЯЁ`. */
  readonly chars: string;
  readonly min: number;
  readonly max: number;
}

export type CodeShape = readonly (readonly Segment[])[];

export function segment(chars: string, min: number, max = min): Segment {
  return { chars, min, max };
}

/** Matches a code already normalised (trimmed, upper-cased, look-alikes mapped). */
export function canonicalRegExp(shape: CodeShape): RegExp {
  const alternatives = shape.map((run) => run.map((s) => `[${s.chars}]{${s.min},${s.max}}`).join(''));
  return new RegExp(`^(?:${alternatives.join('|')})$`);
}
