import { join } from 'node:path';
import { killAll, timeswarm, timeswarmServer } from '../helpers/cliProcess';
import { tempDir } from '../helpers/simulation';

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('timeswarm-cli-auth-');
});
afterEach(async () => {
  killAll();
  await dir.remove();
});

const clientArgs = (port: number, out: string) => [
  'client',
  '--server',
  `127.0.0.1:${port}`,
  '--duration',
  '300ms',
  '--out',
  join(dir.path, out),
  '--json',
  '--quiet',
];

test('TIMESWARM_SECRET on both sides: the session runs; a client without it is refused', async () => {
  const server = await timeswarmServer(['--port', '0', '--out', join(dir.path, 'server')], {
    TIMESWARM_SECRET: 'correct horse',
  });

  const good = timeswarm(clientArgs(server.port, 'good'), { TIMESWARM_SECRET: 'correct horse' });
  expect(await good.exited).toBe(0);
  const summary = JSON.parse(good.output().stdout);
  expect(summary).toMatchObject({ outcome: 'done', lost: 0 });
  expect(summary.ticksSent).toBeGreaterThan(0);

  const none = timeswarm(clientArgs(server.port, 'none'));
  expect(await none.exited).toBe(1);
  expect(JSON.parse(none.output().stdout).error.code).toBe('ERR_AUTH_REQUIRED');

  const wrong = timeswarm([...clientArgs(server.port, 'wrong'), '--secret', 'guess']);
  expect(await wrong.exited).toBe(1);
  expect(JSON.parse(wrong.output().stdout).error.code).toBe('ERR_AUTH');

  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  const log = server.output().stderr;
  expect(log).toMatch(/code=ERR_AUTH/);
});
