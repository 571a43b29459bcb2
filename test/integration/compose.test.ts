/**
 * docker-compose.yml against CONTRACT §5. Debian's docker-compose validates and normalises the file
 * (`docker-compose config` needs no engine); each node's environment, its parts and their counts are
 * then checked against the contract's table in ../shared/CONTRACT.md. A missing docker-compose fails
 * the suite: .ci/run installs it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../lib/project-root';

const ROOT = projectRoot();
const CONTRACT = path.resolve(ROOT, '..', 'shared', 'CONTRACT.md');

/** Settings beyond CONTRACT §5 that the compose file may set; each is in the README's configuration table. */
const OWN_SETTINGS: ReadonlySet<string> = new Set(['TRUSTED_PROXIES']);

/** What the issue asks the compose cluster to run, per part of CONTRACT §5. */
const NODES_PER_PART: Record<string, number> = { gateway: 2, applications: 2, insurers: 2, 'offers-stream': 1, sandbox: 1 };
const WORKER_STOP_SECONDS = 15; // a worker hands back its quotes on SIGTERM and exits within this

interface ComposeService {
  image?: string;
  build?: { context: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
  stop_grace_period?: string;
}

interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

function run(command: string, args: string[], input?: string): string {
  try {
    return execFileSync(command, args, { cwd: ROOT, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${command} is not installed; on Debian: apt-get install -y docker-compose (.ci/run does)`, { cause: err });
    }
    throw err; // its message carries the command's stderr, e.g. docker-compose's validation errors
  }
}

/** The file as docker-compose understands it: anchors merged, variables interpolated, forms normalised. */
function loadCompose(): Compose {
  const normalised = run('docker-compose', ['--file', path.join(ROOT, 'docker-compose.yml'), 'config']);
  // `config` prints YAML only; python3-yaml is a dependency of Debian's docker-compose itself
  const json = run('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], normalised);
  return JSON.parse(json) as Compose;
}

/** The variable table of CONTRACT §5: name → meaning. */
function contractVariables(): Map<string, string> {
  const text = fs.readFileSync(CONTRACT, 'utf8');
  const start = text.indexOf('\n## 5.');
  if (start < 0) throw new Error(`${CONTRACT} has no section 5`);
  const section = text.slice(start, text.indexOf('\n## ', start + 1));
  const rows = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|([^|]*)\|/gm)];
  return new Map(rows.map(([, name, meaning]) => [name, meaning]));
}

function partsOf(service: ComposeService): string[] {
  return (service.environment?.SERVICES ?? '').split(',').map((part) => part.trim()).filter(Boolean);
}

function hostAndPort(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port}`;
}

function seconds(duration: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(duration);
  if (!match || duration === '') throw new Error(`unexpected duration "${duration}"`);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}

describe('docker-compose.yml', () => {
  let compose: Compose;
  let nodes: [string, ComposeService][]; // the containers of our image
  let variables: Map<string, string>;
  let knownParts: string[];

  beforeAll(() => {
    compose = loadCompose();
    nodes = Object.entries(compose.services).filter(([, service]) => service.build?.context === ROOT);
    variables = contractVariables();
    knownParts = [...(variables.get('SERVICES') ?? '').matchAll(/`([a-z-]+)`/g)].map(([, part]) => part);
  });

  const service = (name: string): ComposeService => {
    const found = compose.services[name];
    if (!found) throw new Error(`no service "${name}" in docker-compose.yml`);
    return found;
  };

  test('is valid for docker-compose and runs nodes of the project image', () => {
    expect(variables.size).toBeGreaterThan(10);
    expect(knownParts.sort()).toEqual(Object.keys(NODES_PER_PART).sort());
    expect(nodes.length).toBeGreaterThanOrEqual(Object.keys(NODES_PER_PART).length);
  });

  test('each node sets only variables the table of CONTRACT §5 names, or our own documented ones', () => {
    const unknown = nodes.flatMap(([name, node]) =>
      Object.keys(node.environment ?? {}).filter((variable) => !variables.has(variable) && !OWN_SETTINGS.has(variable)).map((variable) => `${name}: ${variable}`),
    );
    expect(unknown).toEqual([]);
  });

  test('each node names known parts in SERVICES and has its own NODE_ID', () => {
    for (const [name, node] of nodes) {
      // no SERVICES would mean every part in one container
      expect({ name, named: partsOf(node).length > 0 }).toEqual({ name, named: true });
      expect({ name, unknown: partsOf(node).filter((part) => !knownParts.includes(part)) }).toEqual({ name, unknown: [] });
    }
    const nodeIds = nodes.map(([, node]) => node.environment?.NODE_ID);
    expect(nodeIds.every(Boolean)).toBe(true);
    expect(new Set(nodeIds).size).toBe(nodes.length);
  });

  test('every part of CONTRACT §5 runs, as many times as the cluster needs', () => {
    const count = Object.fromEntries(knownParts.map((part) => [part, nodes.filter(([, node]) => partsOf(node).includes(part)).length]));
    expect(count).toEqual(NODES_PER_PART);
  });

  test('the nodes form one cluster on NATS with JetStream kept on a volume', () => {
    const transporters = new Set(nodes.map(([, node]) => node.environment?.TRANSPORTER));
    expect(transporters.size).toBe(1);
    const [transporter] = [...transporters] as string[];
    expect(transporter).toMatch(/^nats:\/\//);
    const nats = service(new URL(transporter).hostname);
    expect(nats.command).toEqual(expect.arrayContaining(['-js', '-sd']));
    const storeDir = nats.command![nats.command!.indexOf('-sd') + 1];
    expect(nats.volumes?.some((volume) => volume.split(':')[1] === storeDir && compose.volumes?.[volume.split(':')[0]] !== undefined)).toBe(true);
  });

  test('applications share PostgreSQL on a volume; every node has Redis; insurers reach the sandbox', () => {
    const sandboxes = nodes.filter(([, node]) => partsOf(node).includes('sandbox'));
    const sandboxAddress = sandboxes.map(([name, node]) => `${name}:${node.environment?.SANDBOX_PORT ?? '4000'}`);
    for (const [name, node] of nodes) {
      const env = node.environment ?? {};
      expect({ name, redis: Boolean(env.REDIS_URL && service(new URL(env.REDIS_URL).hostname).image?.startsWith('redis')) }).toEqual({ name, redis: true });
      if (partsOf(node).includes('applications')) {
        expect({ name, DATABASE_URL: env.DATABASE_URL }).toEqual({ name, DATABASE_URL: expect.stringMatching(/^postgres(ql)?:\/\//) });
        const postgres = service(new URL(env.DATABASE_URL).hostname);
        expect(postgres.image).toMatch(/^postgres/);
        expect(postgres.volumes?.some((volume) => volume.endsWith(':/var/lib/postgresql/data:rw'))).toBe(true);
      }
      if (partsOf(node).includes('insurers')) {
        expect({ name, insurersAt: sandboxAddress.includes(hostAndPort(env.INSURERS_URL)) }).toEqual({ name, insurersAt: true });
      }
    }
  });

  test('nodes start once what they need is healthy, and get time to stop gracefully', () => {
    const imageHasHealthcheck = /^HEALTHCHECK /m.test(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
    const isNode = (name: string) => nodes.some(([nodeName]) => nodeName === name);
    for (const [name, node] of nodes) {
      const healthy = Object.entries(node.depends_on ?? {}).filter(([, dep]) => dep.condition === 'service_healthy').map(([dep]) => dep);
      const needs = [new URL(node.environment!.TRANSPORTER).hostname, new URL(node.environment!.REDIS_URL).hostname];
      if (partsOf(node).includes('applications')) needs.push(new URL(node.environment!.DATABASE_URL).hostname);
      expect({ name, waitsFor: healthy }).toEqual({ name, waitsFor: expect.arrayContaining(needs) });
      for (const dependency of healthy) {
        expect({ dependency, healthcheck: isNode(dependency) ? imageHasHealthcheck : Boolean(service(dependency).healthcheck) }).toEqual({ dependency, healthcheck: true });
      }
      // Docker's default grace is 10 s, then SIGKILL
      expect({ name, gracefulStop: seconds(node.stop_grace_period ?? '10s') > WORKER_STOP_SECONDS }).toEqual({ name, gracefulStop: true });
    }
  });

  test('one port is published, by a load balancer in front of every gateway', () => {
    const published = Object.entries(compose.services).flatMap(([name, s]) => (s.ports ?? []).map((port) => ({ name, port })));
    expect(published).toHaveLength(1);
    const balancer = service(published[0].name);
    expect(nodes.map(([name]) => name)).not.toContain(published[0].name);
    const configFile = (balancer.volumes ?? []).map((volume) => volume.split(':')[0]).find((source) => source.startsWith(path.join(ROOT, 'deploy') + path.sep));
    expect(configFile).toBeDefined();
    const servers = [...fs.readFileSync(configFile!, 'utf8').matchAll(/^\s*server\s+\S+\s+(\S+)/gm)].map(([, address]) => address);
    const gateways = nodes.filter(([, node]) => partsOf(node).includes('gateway')).map(([name, node]) => `${name}:${node.environment?.PORT ?? '3000'}`);
    expect(new Set(servers)).toEqual(new Set(gateways));
  });
});
