import { join } from 'node:path';
import { killAll, timeswarm, timeswarmServer } from '../helpers/cliProcess';
import { rawServer, within } from '../helpers/rawServer';
import { tempDir } from '../helpers/simulation';
import { rawClient } from '../helpers/tcp';
import { until } from '../helpers/until';

/**
 * Strings from the network on their way into a log or a terminal, over real TCP with real
 * processes: a hostile client's `bye` reason in the server's log, and a hostile server's
 * `refused` code and reason in the client's log, summary table and --json output. Every
 * line must be a line the program wrote: none forged, nothing left for the terminal to act on.
 */

const ESC = '\x1b';
/** A newline and a fake log line, ANSI (clear screen, red), OSC (title, hyperlink), C1 CSI, DEL, bidi, zero-width, a line separator. */
const HOSTILE =
  `bye\n12:00:00.000 error [server] FORGED admin logged in\r${ESC}[2J${ESC}[31m` +
  `${ESC}]0;owned\x07${ESC}]8;;http://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\` +
  '\u009b31m\x7f\u202egnp.exe\u200b\u2028end';
const HOSTILE_CODE = `ERR_${ESC}[2J\nFORGED\u202e`;

/** What may be raw in a console line: colorize's codes around the level, and nothing else. */
const LEVEL_COLOUR = new RegExp(`${ESC}\\[\\d+m(error|warn|info|verbose|debug)${ESC}\\[39m`);
const RAW_UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const TIMESTAMP = /^\d\d:\d\d:\d\d\.\d{3} /;

function expectNothingRaw(text: string): void {
  for (const line of text.split('\n')) {
    expect(RAW_UNSAFE.test(line.replace(LEVEL_COLOUR, '$1'))).toBe(false);
  }
}

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('timeswarm-peer-text-');
});
afterEach(async () => {
  killAll();
  await dir.remove();
});

test('a bye reason with newlines, ANSI and OSC escapes reaches the server log as one escaped line', async () => {
  const server = await timeswarmServer(['--port', '0', '--out', dir.path, '--quiet']);
  const hostile = await rawClient(server.port);
  hostile.send({ type: 'hello', version: 1, intervalMs: 10 });
  await until(() => hostile.messages.some((m) => m.type === 'welcome'));
  hostile.send({ type: 'bye', reason: HOSTILE });
  await server.waitFor(/closed: .*FORGED/);
  // A second connection whose first frame is a message of a type that does not exist.
  const garbage = await rawClient(server.port);
  garbage.send({ type: `${ESC}]0;x\x07\nFORGED`, reason: HOSTILE });
  await until(() => garbage.gone);
  // Half-open after the server's end: destroyed here, or the socket outlives the test and
  // keeps the Jest worker from exiting.
  garbage.destroy();
  hostile.destroy();
  server.child.kill('SIGINT');
  expect(await within(server.exited, 45_000, 'server exit')).toBe(0);

  const { stderr } = server.output();
  expectNothingRaw(stderr);
  const forged = stderr.split('\n').filter((line) => line.includes('FORGED'));
  // The fake line is inside the real one, escaped: it never starts a line of its own.
  expect(forged.length).toBeGreaterThanOrEqual(1);
  for (const line of forged) expect(line.replace(LEVEL_COLOUR, '$1')).toMatch(TIMESTAMP);
  const closed = forged.find((line) => line.includes(' closed: '))!;
  for (const escaped of [
    'bye\\n12:00:00.000',
    '\\r',
    '\\x1b[2J',
    '\\x1b]0;owned\\x07',
    '\\x9b31m',
    '\\x7f',
    '\\u202egnp',
    '\\u200b',
    '\\u2028end',
  ]) {
    expect(closed).toContain(escaped);
  }
  // Every line on stderr is one the program wrote: a log line, or the server's own notices.
  for (const line of stderr.split('\n').filter(Boolean)) {
    expect(line.replace(LEVEL_COLOUR, '$1')).toMatch(
      /^(\d\d:\d\d:\d\d\.\d{3} (error|warn|info) \[server\] |timeswarm server listening |SIGINT: |served \d+ client)/,
    );
  }
});

test('a refused code and reason from a hostile server: the client’s log, table and --json stay clean', async () => {
  const server = await rawServer((message, peer) => {
    if (message.type === 'hello')
      peer.send({ type: 'refused', code: HOSTILE_CODE, reason: HOSTILE });
  });
  try {
    const run = (extra: string[]) =>
      timeswarm([
        'client',
        '--server',
        `127.0.0.1:${server.port}`,
        '--out',
        join(dir.path, 'c'),
        '--retries',
        '1',
        ...extra,
      ]);
    const table = run([]);
    const json = run(['--json']);
    expect(await within(table.exited, 45_000, 'client exit')).toBe(1);
    expect(await within(json.exited, 45_000, 'client exit')).toBe(1);

    // The log on stderr, the table on stdout.
    const { stderr, stdout } = table.output();
    expectNothingRaw(stderr);
    expectNothingRaw(stdout);
    expect(stderr.split('\n').filter((line) => line.includes('FORGED'))).toHaveLength(1); // log line
    expect(stderr).toContain('\\u202egnp.exe');
    // The table shows the server's code escaped, in its row (one line, even when stacked).
    expect(stdout.split('\n').filter((line) => line.includes('FORGED'))).toHaveLength(1);
    expect(stdout).toContain('failed: ERR_\\x1b[2J\\nFORGED\\u202e');

    const output = json.output();
    expectNothingRaw(output.stdout.replace(/\n/g, ' '));
    expectNothingRaw(output.stderr);
    // The data stays exact: --json escapes in JSON's own way, which parses back to the bytes sent.
    const summary = JSON.parse(output.stdout) as { error: { code: string; message: string } };
    expect(summary.error.code).toBe(HOSTILE_CODE);
    expect(summary.error.message).toContain(HOSTILE);
  } finally {
    await server.close();
  }
});
