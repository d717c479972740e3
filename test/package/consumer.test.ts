import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The package as another project sees it: a folder whose node_modules holds `timeswarm` (a
 * link to this repository, as `npm install ../timeswarm` makes) and `xstate`. Plain
 * JavaScript requires and imports the built `dist/` (Jest's global setup builds it when a
 * source changed), and TypeScript finds the declarations through package.json `exports`.
 */
const ROOT = resolve(__dirname, '..', '..');
const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'timeswarm-consumer-'));
  await mkdir(join(dir, 'node_modules'));
  await symlink(ROOT, join(dir, 'node_modules', 'timeswarm'), 'dir');
  await symlink(join(ROOT, 'node_modules', 'xstate'), join(dir, 'node_modules', 'xstate'), 'dir');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A real session from plain CommonJS: a server and a client on an in-memory network, 300 ms. */
const CJS = `
const { createActor, toPromise } = require('xstate');
const { clientSessionMachine, createMemoryNetwork, startServer } = require('timeswarm');
const network = createMemoryNetwork();
const out = process.argv[2];
startServer({ transport: network, host: 'server', port: 0, outDir: out + '/server' }).then((started) => {
const server = started.actor;
const client = createActor(clientSessionMachine, {
  input: {
    transport: network, server: started.address,
    durationMs: 300, outDir: out + '/client',
  },
});
const done = toPromise(client);
client.start();
done.then(async (summary) => {
  server.send({ type: 'server.stop' });
  const served = await toPromise(server);
  process.stdout.write(JSON.stringify({
    resolved: require.resolve('timeswarm'),
    outcome: summary.outcome, ticks: summary.ticksSent, replies: summary.replies,
    rows: served.rows,
  }));
});
});
`;

const ESM = `
import * as timeswarm from 'timeswarm';
import { clientSessionMachine, serverMachine, tcpTransport, storage, transport } from 'timeswarm';
process.stdout.write(JSON.stringify({
  machines: [clientSessionMachine, serverMachine].map((m) => typeof m.transition),
  tcp: typeof tcpTransport.listen,
  namespaces: [typeof storage, typeof transport],
  exports: Object.keys(timeswarm).length,
}));
`;

/** Type-checks against dist/index.d.ts; the expected errors prove the types are not `any`. */
const TS = `
import type { ClientSessionInput, ClientSessionSummary } from 'timeswarm';
import { clientSessionMachine, createMemoryNetwork } from 'timeswarm';

const input: ClientSessionInput = {
  transport: createMemoryNetwork(),
  server: { host: 'server', port: 0 },
  durationMs: 1000,
  outDir: 'out',
};
// @ts-expect-error durationMs is a number
const wrong: ClientSessionInput = { ...input, durationMs: '1s' };
// @ts-expect-error a summary's ticksSent is a number
const ticks: string = ({} as ClientSessionSummary).ticksSent;
export const used = [clientSessionMachine.id, wrong, ticks];
`;

describe('the built package, from another project', () => {
  it('runs a session from CommonJS, resolved through package.json to dist/', async () => {
    await writeFile(join(dir, 'consumer.cjs'), CJS);
    const { stdout } = await run(process.execPath, ['consumer.cjs', join(dir, 'out')], {
      cwd: dir,
    });
    const result = JSON.parse(stdout);
    expect(result.resolved).toBe(join(ROOT, 'dist', 'index.js'));
    expect(result.outcome).toBe('done');
    expect(result.ticks).toBeGreaterThan(0);
    expect(result.replies).toBe(result.ticks);
    expect(result.rows).toBe(2 * result.ticks);
  });

  it('gives ES modules named exports', async () => {
    await writeFile(join(dir, 'consumer.mjs'), ESM);
    const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: dir });
    expect(JSON.parse(stdout)).toMatchObject({
      machines: ['function', 'function'],
      tcp: 'function',
      namespaces: ['object', 'object'],
    });
  });

  it('type-checks a TypeScript consumer against the declarations', async () => {
    await writeFile(join(dir, 'consumer.ts'), TS);
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = require.resolve('typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', dir]).then(
      () => ({ code: 0, output: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
    );
    expect(result).toEqual({ code: 0, output: '' });
  }, 120_000);
});
