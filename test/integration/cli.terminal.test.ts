import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { displayWidth } from '../../src/terminal';
import { killAll, timeswarm, timeswarmServer } from '../helpers/cliProcess';
import { within } from '../helpers/rawServer';
import { tempDir } from '../helpers/simulation';

/**
 * The terminal as a person sees it, with the real built CLI: at 80 and at 200 columns every
 * line of the client's summary, of `analyze` and of the server's summary fits; summaries go
 * to stdout and logs to stderr; nothing piped carries an escape byte; on a pseudo-terminal
 * the log's level is coloured unless NO_COLOR is set.
 */

const ESC = '\x1b';
/** SGR: the escape sequences that set colours (cursor movement is not colour). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
const SGR = /\x1b\[[0-9;]*m/;
const HANG_LIMIT_MS = 45_000;
const lines = (text: string) => text.split('\n').filter((line) => line !== '');
const widest = (text: string) => Math.max(0, ...lines(text).map(displayWidth));
/** A stacked record's heading line: `│ client │ 3 │`. */
const STACKED = /^│ client +│ \d+ +│$/m;

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('timeswarm-cli-terminal-');
});
afterEach(async () => {
  killAll();
  await dir.remove();
});

async function clientRun(port: number, columns: number, out: string) {
  const client = timeswarm(
    ['client', '--server', `127.0.0.1:${port}`, '--duration', '1s', '--out', out],
    { COLUMNS: String(columns) },
  );
  expect(await within(client.exited, HANG_LIMIT_MS, 'client exit')).toBe(0);
  return client.output();
}

async function analyzeRun(paths: string[], columns: number) {
  const analyze = timeswarm(['analyze', ...paths], { COLUMNS: String(columns) });
  expect(await within(analyze.exited, HANG_LIMIT_MS, 'analyze exit')).toBe(0);
  return analyze.output();
}

test('client, analyze and server fit 80 and 200 columns; summaries on stdout, no escape bytes', async () => {
  const serverOut = join(dir.path, 'server');
  const server = await timeswarmServer(['--port', '0', '--out', serverOut], { COLUMNS: '80' });
  const narrowOut = join(dir.path, 'narrow');
  const wideOut = join(dir.path, 'wide');
  const [narrow, wide] = await Promise.all([
    clientRun(server.port, 80, narrowOut),
    clientRun(server.port, 200, wideOut),
  ]);
  server.child.kill('SIGINT');
  expect(await within(server.exited, HANG_LIMIT_MS, 'server exit')).toBe(0);

  for (const [output, columns] of [
    [narrow, 80],
    [wide, 200],
  ] as const) {
    expect(widest(output.stdout)).toBeLessThanOrEqual(columns);
    expect(output.stdout + output.stderr).not.toContain(ESC);
    // The summary is on stdout, the log on stderr.
    expect(output.stdout).toMatch(/outcome/);
    expect(output.stderr).not.toContain('│');
    expect(output.stderr).toMatch(/ info \[client\] client \d+ ticking/);
  }
  // 80 columns: one small table per client; 200: the one-row table.
  expect(narrow.stdout).toMatch(STACKED);
  expect(wide.stdout).not.toMatch(STACKED);
  expect(lines(wide.stdout).some((line) => /client.*address.*outcome/.test(line))).toBe(true);

  const serverOutput = server.output();
  expect(serverOutput.stdout).toMatch(/^served 2 client\(s\)/);
  expect(serverOutput.stderr).not.toMatch(/served 2 client/);
  expect(widest(serverOutput.stdout)).toBeLessThanOrEqual(80);
  expect(serverOutput.stdout + serverOutput.stderr).not.toContain(ESC);

  const paths = [narrowOut, wideOut, serverOut];
  const [analysis80, analysis200] = await Promise.all([
    analyzeRun(paths, 80),
    analyzeRun(paths, 200),
  ]);
  expect(widest(analysis80.stdout)).toBeLessThanOrEqual(80);
  expect(widest(analysis200.stdout)).toBeLessThanOrEqual(200);
  expect(analysis80.stdout).toMatch(STACKED);
  expect(analysis200.stdout).not.toMatch(STACKED);
  for (const output of [analysis80, analysis200]) {
    expect(output.stdout + output.stderr).not.toContain(ESC);
    expect(output.stdout).toContain('down (server → client)');
  }
  // --json stays one JSON document, whatever the width.
  const json = timeswarm(['analyze', '--json', ...paths], { COLUMNS: '80' });
  expect(await within(json.exited, HANG_LIMIT_MS, 'analyze exit')).toBe(0);
  expect(JSON.parse(json.output().stdout).clients).toHaveLength(2);
});

/**
 * Runs `timeswarm ARGS…` on a pseudo-terminal (util-linux `script`), so that stdout and stderr
 * are TTYs; resolves with everything it wrote.
 */
async function onPseudoTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const bin = resolve(__dirname, '..', '..', 'bin', 'timeswarm.cjs');
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, bin, '--log-level', 'info', ...args].map(quote).join(' ');
  // Whatever the environment running the tests says about colour is left out.
  const { NO_COLOR: _no, FORCE_COLOR: _force, ...inherited } = process.env;
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { ...inherited, COLUMNS: '80', TERM: 'xterm', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const [code] = await within(once(child, 'exit'), HANG_LIMIT_MS, 'script exit');
  expect(code).toBe(0);
  return text;
}

test('on a terminal the log level is coloured; with NO_COLOR nothing is', async () => {
  const server = await timeswarmServer(['--port', '0', '--out', join(dir.path, 'server')]);
  const client = (out: string) => [
    'client',
    '--server',
    `127.0.0.1:${server.port}`,
    '--duration',
    '300ms',
    '--out',
    join(dir.path, out),
  ];
  const coloured = await onPseudoTerminal(client('a'), {});
  const noColor = await onPseudoTerminal(client('b'), { NO_COLOR: '1' });
  // The same program, the same log line: coloured on a terminal, plain with NO_COLOR.
  expect(coloured).toMatch(/client \d+ ticking every/);
  expect(coloured).toMatch(SGR);
  expect(noColor).toMatch(/client \d+ ticking every/);
  expect(noColor).not.toMatch(SGR);
});
