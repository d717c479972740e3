import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTimestampTable } from '../../src/storage';
import { killAll, timeswarm } from '../helpers/cliProcess';
import { rawServer, within } from '../helpers/rawServer';
import { tempDir } from '../helpers/simulation';

/**
 * The command line at its edges, with real processes: bad output folders, bad flags, and a
 * SIGTERM in every phase of a client. Each process must end by itself: `within` only turns
 * a hang into a failure (it is a bound, not a timing assertion).
 */

let dir: { path: string; remove: () => Promise<void> };
const servers: Array<{ close: () => Promise<void> }> = [];
beforeEach(async () => {
  dir = await tempDir('timeswarm-cli-edges-');
});
afterEach(async () => {
  killAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await dir.remove();
});

async function listener(onMessage?: Parameters<typeof rawServer>[0]) {
  const server = await rawServer(onMessage);
  servers.push(server);
  return server;
}

const HANG_LIMIT_MS = 45_000;
const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

describe('an output folder that cannot be made', () => {
  test('server --out /proc/nope: exit 1 at once, one line naming the folder and its code, nothing listens', async () => {
    const server = timeswarm([
      'server',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--out',
      '/proc/nope',
    ]);
    expect(await within(server.exited, HANG_LIMIT_MS, 'server exit')).toBe(1);
    const { stderr } = server.output();
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toContain('/proc/nope');
    expect(stderr).toMatch(/\(ENOENT\)$/m);
  });

  test('client --out /proc/nope: exit 1 before connecting, one line naming the folder and its code', async () => {
    const server = await listener();
    const client = timeswarm([
      'client',
      '--server',
      `127.0.0.1:${server.port}`,
      '--out',
      '/proc/nope/client',
    ]);
    expect(await within(client.exited, HANG_LIMIT_MS, 'client exit')).toBe(1);
    const { stderr } = client.output();
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toContain('/proc/nope/client');
    expect(stderr).toMatch(/\(ENOENT\)$/m);
    expect(server.peers).toHaveLength(0); // it never connected
  });

  test('share --dir /proc/nope: exit 1, one line naming the folder and its code', async () => {
    const share = timeswarm(['share', '--dir', '/proc/nope', '--listen', '127.0.0.1:0']);
    expect(await within(share.exited, HANG_LIMIT_MS, 'share exit')).toBe(1);
    const { stderr } = share.output();
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toContain('/proc/nope');
    expect(stderr).toMatch(/\(ENOENT\)$/m);
  });
});

describe('bad flags: one line on stderr, exit 1, nothing started', () => {
  // A sample across commands and kinds of check (range, NaN, empty, unknown, a check made in
  // the action); test/cli/options.test.ts checks every parser's ranges in-process.
  const cases: Array<[string, string[]]> = [
    ['a client ID above the protocol’s 1,000,000', ['client', '--id', '2000000']],
    ['an empty client --out', ['client', '--out', '']],
    ['NaN retries', ['client', '--retries', 'NaN']],
    [
      'more ticks than 32-bit sequence numbers',
      ['client', '--interval', '0.001ms', '--duration', '2h'],
    ],
    ['an idle timeout beyond what a timer can wait', ['server', '--idle-timeout', '25d']],
    ['no connection allowed before the hello', ['server', '--max-pending-per-ip', '0']],
    [
      'a minimum interval above the maximum',
      ['server', '--min-interval', '2s', '--max-interval', '1s'],
    ],
    ['a chunk size above 1 MiB', ['share', '--dir', 'x', '--chunk-size', '2MiB']],
    ['an unknown option', ['client', '--bogus']],
    ['an empty --html path', ['analyze', '--html', '', 'x']],
  ];

  test('every case', async () => {
    const server = await listener();
    const failures: string[] = [];
    // A few processes at a time: each is a full Node start-up on a shared machine.
    for (let i = 0; i < cases.length; i += 4) {
      await Promise.all(
        cases.slice(i, i + 4).map(async ([name, args]) => {
          const extra = args[0] === 'client' ? ['--server', `127.0.0.1:${server.port}`] : [];
          const run = timeswarm([...args, ...extra], { TIMESWARM_SECRET: '' });
          const code = await within(run.exited, HANG_LIMIT_MS, name);
          const { stderr, stdout } = run.output();
          if (code !== 1 || lines(stderr).length !== 1 || stdout !== '') {
            failures.push(`${name}: exit ${code}, stderr ${JSON.stringify(stderr)}`);
          }
        }),
      );
    }
    expect(failures).toEqual([]);
    expect(server.peers).toHaveLength(0); // no bad flag got as far as connecting
  }, 240_000);
});

describe('one SIGTERM ends a client, whatever it is doing', () => {
  const clientArgs = (port: number, extra: string[] = []) => [
    'client',
    '--server',
    `127.0.0.1:${port}`,
    '--duration',
    '1m',
    '--out',
    join(dir.path, 'c'),
    ...extra,
  ];

  test('while retrying a server that is not there', async () => {
    const gone = await listener();
    const port = gone.port;
    await gone.close(); // nothing listens on the port any more
    const client = timeswarm(clientArgs(port, ['--retries', '1000']));
    await client.waitFor(/connection attempt 1 failed/);
    client.child.kill('SIGTERM');
    // 1: the session did not happen. Not 130: it ended by itself, not by the grace bound.
    expect(await within(client.exited, HANG_LIMIT_MS, 'client exit')).toBe(1);
  });

  test('while waiting for a welcome that never comes', async () => {
    const silent = await listener();
    const client = timeswarm(clientArgs(silent.port));
    await within(
      (async () => {
        while (silent.peers[0]?.messages.length !== 1) await new Promise((r) => setTimeout(r, 20));
      })(),
      HANG_LIMIT_MS,
      'hello',
    );
    client.child.kill('SIGTERM');
    expect(await within(client.exited, HANG_LIMIT_MS, 'client exit')).toBe(1);
  });

  test('while reconnecting after the server dropped it: files finished, stopped by SIGTERM', async () => {
    // The first connection is welcomed and dropped after its first tick; later ones hang.
    const flaky = await listener((message, peer) => {
      if (peer.index > 0) return;
      if (message.type === 'hello') {
        peer.send({ type: 'welcome', version: 1, clientId: 7, serverTime: 0 });
      } else if (message.type === 'tick') peer.socket.destroy();
    });
    const client = timeswarm(clientArgs(flaky.port, ['--id', '7']));
    await within(
      (async () => {
        while (flaky.peers.length < 2) await new Promise((r) => setTimeout(r, 20));
      })(),
      HANG_LIMIT_MS,
      'reconnect',
    );
    client.child.kill('SIGTERM');
    expect(await within(client.exited, HANG_LIMIT_MS, 'client exit')).toBe(0);
    const table = parseTimestampTable(
      await readFile(join(dir.path, 'c', 'client_7_TimeData.txt'), 'utf8'),
    );
    expect(table.endedAbruptly).toBe(false);
    expect(table.end?.endedEarly).toBe('stopped by SIGTERM');
  });
});

test('a client run twice with the same ID keeps the first pair as client_N_TimeData.1.*', async () => {
  const server = await listener((message, peer) => {
    if (message.type === 'hello') {
      peer.send({ type: 'welcome', version: 1, clientId: 6, serverTime: 0 });
    } else if (message.type === 'tick') {
      peer.send({
        type: 'reply',
        seq: message.seq,
        t1: message.t1,
        t2: message.t1,
        t3: message.t1,
      });
    }
  });
  const out = join(dir.path, 'c');
  const run = async () => {
    const client = timeswarm([
      'client',
      '--server',
      `127.0.0.1:${server.port}`,
      '--id',
      '6',
      '--duration',
      '300ms',
      '--out',
      out,
    ]);
    expect(await within(client.exited, HANG_LIMIT_MS, 'client exit')).toBe(0);
  };
  await run();
  const first = await readFile(join(out, 'client_6_TimeData.txt'), 'utf8');
  const firstSidecar = await readFile(join(out, 'client_6_TimeData.exchanges.csv'), 'utf8');
  await run();
  expect((await readdir(out)).sort()).toEqual([
    'client_6_TimeData.1.exchanges.csv',
    'client_6_TimeData.1.txt',
    'client_6_TimeData.exchanges.csv',
    'client_6_TimeData.txt',
  ]);
  expect(await readFile(join(out, 'client_6_TimeData.1.txt'), 'utf8')).toBe(first);
  expect(await readFile(join(out, 'client_6_TimeData.1.exchanges.csv'), 'utf8')).toBe(firstSidecar);
  expect(
    parseTimestampTable(await readFile(join(out, 'client_6_TimeData.txt'), 'utf8')).end,
  ).not.toBeNull();
});
