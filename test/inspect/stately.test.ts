import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import WebSocket from 'ws';

/**
 * `--inspect stately`, end to end: `@statelyai/inspect` is ESM-only and Jest's module VM
 * cannot import it, so the inspected run is a child process (through tsx, as the CLI runs)
 * and this test reads its feed as the bridge page would.
 */
const ROOT = resolve(__dirname, '../..');
const FIXTURE = resolve(__dirname, 'fixtures/inspectedRun.ts');
const SECRET = 'stately-must-never-see-this-9c1e';

function runFixture() {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, SECRET], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const ready = new Promise<{ host: string; port: number }>((done, fail) => {
    const check = () => {
      const match = /READY (\S+) (\d+)/.exec(out);
      if (match) done({ host: match[1]!, port: Number(match[2]) });
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => fail(new Error(`fixture exited ${code} before READY: ${err}`)));
  });
  return { child, ready, exited, output: () => ({ out, err }) };
}

const machineOf = (definition: string | undefined) => {
  try {
    return (JSON.parse(definition ?? '{}') as { id?: string }).id;
  } catch {
    return undefined;
  }
};

describe('the Stately option (child process)', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('streams every machine kind in Stately’s format, on loopback, without the secret, then exits', async () => {
    const run = runFixture();
    child = run.child;
    const { host, port } = await run.ready;
    expect(host).toBe('127.0.0.1');

    const text: string[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/feed`);
    ws.on('message', (data) => text.push(String(data)));
    await new Promise((done, fail) => {
      ws.once('open', done);
      ws.once('error', fail);
    });
    const closed = new Promise((done) => ws.once('close', done));
    run.child.stdin.write('go\n');

    expect(await run.exited).toBe(0);
    await closed;
    expect(run.output().out).toContain('DONE');
    const events = text.map(
      (t) => JSON.parse(t) as { type: string; definition?: string; sessionId?: string },
    );
    const machines = new Set(
      events.filter((e) => e.type === '@xstate.actor').map((e) => machineOf(e.definition)),
    );
    for (const kind of ['server', 'connectionHandler', 'clientSession', 'fileWriter'])
      expect(machines).toContain(kind);
    expect(events.some((e) => e.type === '@xstate.event')).toBe(true);
    expect(events.some((e) => e.type === '@xstate.snapshot')).toBe(true);
    const stream = text.join('\n');
    const bytes = Buffer.from(SECRET, 'utf8');
    const leaks = [SECRET, bytes.toString('hex'), bytes.toString('base64')].filter((form) =>
      stream.includes(form),
    );
    expect(leaks).toEqual([]);
  });
});
