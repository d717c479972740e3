import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import net from 'node:net';
import { resolve } from 'node:path';
import WebSocket from 'ws';

/**
 * The real `--inspect` path, end to end: `@statelyai/inspect` is ESM-only and Jest's module
 * VM cannot import it, so the inspected run is a child process (through tsx, as the CLI
 * runs) and this test listens on its relay like the browser page would.
 */
const ROOT = resolve(__dirname, '../..');
const FIXTURE = resolve(__dirname, 'fixtures/inspectedRun.ts');

/** A port that was free a moment ago (the relay library cannot listen on port 0 and say which). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = net.createServer();
    probe.once('error', fail);
    probe.listen(0, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => done(port));
    });
  });
}

function runFixture(port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, String(port)], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const ready = new Promise<string>((done, fail) => {
    const check = () => {
      const match = /READY (\w+)/.exec(out);
      if (match) done(match[1]!);
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => fail(new Error(`fixture exited ${code} before READY: ${err}`)));
  });
  return { child, ready, exited, output: () => ({ out, err }) };
}

const kinds = (definition: string | undefined) => {
  try {
    return (JSON.parse(definition ?? '{}') as { id?: string }).id;
  } catch {
    return undefined;
  }
};

describe('the inspector relay (child process)', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('streams inspection events of every machine kind to a WebSocket listener, then exits', async () => {
    const port = await freePort();
    const run = runFixture(port);
    child = run.child;
    expect(await run.ready).toBe('relay');

    const events: { type: string; name?: string; definition?: string; sessionId?: string }[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    ws.on('message', (data) => events.push(JSON.parse(String(data))));
    await new Promise((done, fail) => {
      ws.once('open', done);
      ws.once('error', fail);
    });
    run.child.stdin.write('go\n');

    expect(await run.exited).toBe(0);
    ws.close();
    expect(run.output().out).toContain('DONE');
    const machines = new Set(
      events.filter((e) => e.type === '@xstate.actor').map((e) => kinds(e.definition)),
    );
    for (const kind of ['server', 'connectionHandler', 'clientSession', 'fileWriter'])
      expect(machines).toContain(kind);
    expect(events.some((e) => e.type === '@xstate.event')).toBe(true);
    expect(events.some((e) => e.type === '@xstate.snapshot')).toBe(true);
  });

  it('exits by itself when nobody watches', async () => {
    const port = await freePort();
    const run = runFixture(port);
    child = run.child;
    await run.ready;
    run.child.stdin.write('go\n');
    expect(await run.exited).toBe(0);
    expect(run.output().out).toContain('DONE');
  });
});
