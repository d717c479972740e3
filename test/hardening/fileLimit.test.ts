import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { encodeFrame } from '../../src/transport';
import { killAll, timeswarm } from '../helpers/cliProcess';
import { rawClient } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { until } from '../helpers/until';

/**
 * Issue 10: the server at its open-file limit. It runs as a real process under `prlimit
 * --nofile=128`; silent connections take every descriptor it has. It closes the ones beyond
 * its limit at accept, logs that with the code EMFILE, keeps serving the client it has, and
 * accepts again once descriptors are free.
 */

const world = tcpWorld('timeswarm-fds-');
const BIN = join(__dirname, '..', '..', 'bin', 'timeswarm.cjs');
const FILE_LIMIT = 128;
const SILENT = 200;

afterEach(() => killAll());

test('at its open-file limit the server closes new connections at accept (logged EMFILE), keeps serving its client, and accepts again once fds free up', async () => {
  const server = spawn('prlimit', [
    `--nofile=${FILE_LIMIT}:${FILE_LIMIT}`,
    process.execPath,
    BIN,
    '--log-level',
    'info',
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--out',
    world.path('server'),
    '--handshake-timeout',
    '60s',
    '--max-pending-per-ip',
    '1000',
    '--json',
  ]);
  world.onTeardown(() => server.kill('SIGKILL'));
  let stderr = '';
  let stdout = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  server.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await until(() => /listening on 127\.0\.0\.1:(\d+)/.test(stderr), { what: () => stderr });
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stderr)![1]);

  const honest = timeswarm([
    'client',
    '--server',
    `127.0.0.1:${port}`,
    '--bind',
    '127.0.0.61',
    '--interval',
    '10ms',
    '--duration',
    '5s',
    '--out',
    world.path('honest'),
    '--json',
  ]);
  await until(() => /client 1 joined/.test(stderr), { what: () => stderr });

  // Silent connections, more than the server has descriptors for.
  const silent: net.Socket[] = [];
  world.onTeardown(() => {
    for (const s of silent) s.destroy();
  });
  for (let i = 0; i < SILENT; i++) {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.60' });
    socket.on('error', () => undefined);
    silent.push(socket);
  }
  await until(() => /EMFILE/.test(stderr), { limitMs: 20_000, what: () => stderr });
  // Some of them were closed at accept; the rest hold every descriptor the server may use.
  await until(() => silent.some((s) => s.destroyed), { limitMs: 10_000 });

  // The client it had keeps being served.
  expect(await honest.exited).toBe(0);
  expect(JSON.parse(honest.output().stdout)).toMatchObject({
    outcome: 'done',
    lost: 0,
    reconnections: 0,
  });

  // Descriptors free up: a new client is welcomed.
  for (const s of silent) s.destroy();
  const late = await rawClient(port, '127.0.0.62');
  world.onTeardown(() => late.destroy());
  late.send({ type: 'hello', version: 1, intervalMs: 10 });
  await until(() => late.messages.some((m) => m.type === 'welcome'), {
    limitMs: 20_000,
    what: 'a welcome after the fds were freed',
  });
  late.write(encodeFrame({ type: 'bye', reason: 'done' }));

  server.kill('SIGINT');
  const [code] = await once(server, 'exit');
  expect(code).toBe(0);
  const summary = JSON.parse(stdout);
  expect(summary.refused.EMFILE).toBeGreaterThan(0);
  expect(summary.clients[0]).toMatchObject({ address: '127.0.0.61', code: 'OK' });
}, 90_000);
