/** METRICS_PORT (CONTRACT §8): Prometheus text with Moleculer's metrics and ours, from a real system. */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../lib/project-root';
import { todayInMoscow } from '../../lib/dates';
import { api, startSystem, waitCompleted, type RunningSystem } from '../support/system';
import { sampleApplication } from '../unit/fixtures/application';

jest.setTimeout(60_000);

let system: RunningSystem;
let metricsUrl: string;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  system = await startSystem({ env: { METRICS_PORT: String(port) } });
});
afterAll(() => system?.stop());

/** Every sample line of the exposition: name, labels, value. */
function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
      if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

test('after one application: it is counted, each final quote by insurer and status, offers timed, circuits shown', async () => {
  const created = await api(system, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()));
  expect(created.status).toBe(202);
  const done = await waitCompleted(system, created.json.id as string);
  const answer = await fetch(metricsUrl);
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
  const all = samples(await answer.text());
  const value = (name: string, labels: Record<string, string> = {}) =>
    all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);

  expect(value('osago_applications_total')).toBe(1);
  const quotes = done.quotes as Array<{ insurer: { code: string }; status: string }>;
  for (const quote of quotes) expect({ quote: quote.insurer.code, counted: value('osago_quotes_total', { insurer: quote.insurer.code, status: quote.status }) }).toEqual({ quote: quote.insurer.code, counted: 1 });
  const offers = quotes.filter((q) => q.status === 'offer');
  expect(offers.length).toBeGreaterThan(0);
  for (const offer of offers) {
    expect(value('osago_offer_seconds_bucket', { insurer: offer.insurer.code, le: '+Inf' })).toBe(1);
  }
  for (const quote of quotes) expect(all.some((s) => s.name === 'osago_circuit_open' && s.labels.insurer === quote.insurer.code && s.value === 0)).toBe(true);
  expect(all.some((s) => s.name.startsWith('moleculer_request_total'))).toBe(true); // Moleculer's own
});

test('the Grafana dashboard in docs/ parses and names only metrics this system serves', async () => {
  const dashboard = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'docs/grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  const served = new Set(samples(await (await fetch(metricsUrl)).text()).map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
  const named = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b(?:osago|moleculer)_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))));
  expect(named.length).toBeGreaterThanOrEqual(dashboard.panels.length);
  expect(named.filter((name) => !served.has(name))).toEqual([]);
});
