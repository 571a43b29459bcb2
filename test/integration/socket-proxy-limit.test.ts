/**
 * Behind a load balancer every Socket.IO client arrives from the balancer's address. With the
 * balancer in TRUSTED_PROXIES the per-address limit counts the client X-Forwarded-For names; without
 * it, the header changes nothing (a client cannot buy a fresh budget by writing it).
 */
import { io, type Socket } from 'socket.io-client';
import { todayInMoscow } from '../../lib/dates';
import { sampleApplication } from '../unit/fixtures/application';
import { startSystem, type RunningSystem } from '../support/system';
import { emitAck } from '../support/sockets';

const LIMIT = 2;
const sockets: Socket[] = [];

function connectAs(system: RunningSystem, forwardedFor: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(system.baseUrl, { transports: ['websocket'], reconnection: false, extraHeaders: { 'x-forwarded-for': forwardedFor } });
    sockets.push(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function applies(socket: Socket, count: number): Promise<Array<number | 'ok'>> {
  const answers: Array<number | 'ok'> = [];
  for (let i = 0; i < count; i++) {
    const ack = await emitAck(socket, 'apply', sampleApplication(todayInMoscow()));
    answers.push(ack.ok ? 'ok' : ack.error.status);
  }
  return answers;
}

afterEach(() => sockets.splice(0).forEach((s) => s.disconnect()));

describe.each([
  ['the loopback balancer trusted', '127.0.0.1,::1', ['ok', 'ok', 429]],
  ['nobody trusted', '', [429, 429, 429]],
])('Socket.IO limit behind a proxy: %s', (_what, trusted, secondClient) => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startSystem({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUSTED_PROXIES: trusted } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  test('each forwarded client has its own budget only when the proxy is trusted', async () => {
    expect(await applies(await connectAs(system, '203.0.113.7'), LIMIT + 1)).toEqual(['ok', 'ok', 429]);
    expect(await applies(await connectAs(system, '203.0.113.8'), LIMIT + 1)).toEqual(secondClient);
  });
});
