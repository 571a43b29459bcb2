/**
 * Each run leaves a row in docs/benchmarks.md, under its section's table, so the history shows
 * what each change did. The row names the commit and says when the code measured was not all in it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../lib/project-root';

const ROOT = projectRoot();
const MEASURED_PATHS = ['bin', 'lib', 'services', 'mixins', 'sandbox', 'bench', 'moleculer.config.ts'];

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
}

export function measuredCommit(): string {
  const head = git('rev-parse', '--short', 'HEAD');
  return git('status', '--porcelain', '--', ...MEASURED_PATHS) === '' ? head : `${head} + uncommitted changes`;
}

/** user..steal of every core together, from /proc/stat (Linux), in clock ticks. */
function cpuTicks(): { busy: number; total: number } {
  const ticks = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  return { busy: total - ticks[3] - ticks[4], total }; // less idle and iowait
}

/**
 * How to repeat the run: its BENCH_* settings, BENCH_NOTE's remark, and a word when others kept the
 * machine busy. Call it first: it samples the CPU for a second, before anything of this run has started.
 */
export async function commandLine(script: string): Promise<string> {
  const settings = Object.entries(process.env)
    .filter(([key]) => key.startsWith('BENCH_') && key !== 'BENCH_NOTE')
    .map(([key, value]) => `${key}=${value} `)
    .join('');
  const before = cpuTicks();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const after = cpuTicks();
  const busy = (after.busy - before.busy) / Math.max(1, after.total - before.total);
  const remarks = [process.env.BENCH_NOTE ?? ''];
  // the 1-minute load average would count this run's own build
  if (busy >= 0.25) remarks.push(`shared machine busy: ${Math.round(busy * 100)} % of its CPU in use by others just before the run`);
  const said = remarks.filter(Boolean).join('; ');
  return `\`${settings}${script}\`${said ? ` (${said})` : ''}`;
}

/** Puts the row after the last row of the first table under `heading`. */
export function appendRow(heading: string, cells: (string | number)[]): void {
  const file = path.join(ROOT, 'docs', 'benchmarks.md');
  const row = `| ${cells.join(' | ')} |`;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const section = lines.indexOf(heading);
  let last = lines.findIndex((line, i) => i > section && line.startsWith('|'));
  if (section < 0 || last < 0) {
    console.warn(`docs/benchmarks.md has no table under "${heading}"; the row was not kept:\n${row}`);
    return;
  }
  while (lines[last + 1]?.startsWith('|')) last += 1;
  lines.splice(last + 1, 0, row);
  fs.writeFileSync(file, lines.join('\n'));
  console.log(`row added to docs/benchmarks.md under "${heading}"`);
}
