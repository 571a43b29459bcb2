import path from 'node:path';

/** The repository root, whether code runs from its sources or compiled under dist/. */
export function projectRoot(): string {
  const here = path.resolve(__dirname, '..');
  return path.basename(here) === 'dist' ? path.dirname(here) : here;
}
