import { Writable } from 'node:stream';
import winston from 'winston';
import { consoleLineFormat, getLogger, MAX_LOG_STRING, rootLogger } from '../../src/log/logger';

const MESSAGE = Symbol.for('message');
const HOSTILE =
  'bye\n12:00:00.000 error [server] FORGED\r\x1b[2J\x1b]0;owned\x07\x1b]8;;http://x\x1b\\link\u009b31m\u202egnp.exe\u200b\x7f';

/** Every line the root logger prints, formatted exactly as the console transport formats it. */
function captureConsoleLines(useColor = () => true) {
  const lines: string[] = [];
  const transport = new winston.transports.Stream({
    stream: new Writable({
      objectMode: true,
      write(info: Record<symbol, string>, _encoding, callback) {
        lines.push(info[MESSAGE]!);
        callback();
      },
    }),
    format: consoleLineFormat(useColor),
  });
  // The real console transport stays quiet meanwhile: the test reads the captured lines.
  const consoles = rootLogger.transports.filter((t) => t instanceof winston.transports.Console);
  for (const console of consoles) console.silent = true;
  const wasSilent = rootLogger.silent;
  rootLogger.silent = false;
  rootLogger.add(transport);
  return {
    lines,
    stop: () => {
      rootLogger.remove(transport);
      rootLogger.silent = wasSilent;
      for (const console of consoles) console.silent = false;
    },
  };
}

/** The colour codes colorize puts around the level, and nothing else, are allowed raw. */
const ESC = String.fromCharCode(0x1b);
const LEVEL_COLOUR = new RegExp(`${ESC}\\[\\d+m(error|warn|info|verbose|debug)${ESC}\\[39m`);
const withoutLevelColour = (line: string) => line.replace(LEVEL_COLOUR, '$1');
const RAW_UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

let capture: ReturnType<typeof captureConsoleLines>;
let colour = true;
beforeEach(() => {
  colour = true;
  capture = captureConsoleLines(() => colour);
});
afterEach(() => capture.stop());

test('a hostile string in the message, in metadata (nested, keys too) stays on one escaped line', () => {
  const meta = { code: `ERR_${HOSTILE}`, nested: { reasons: [HOSTILE] }, [`k${HOSTILE}`]: 1 };
  const snapshot = JSON.stringify(meta);
  getLogger('server').warn(`client 1 closed: ${HOSTILE}`, meta);
  expect(capture.lines).toHaveLength(1);
  const line = capture.lines[0]!;
  expect(line).not.toMatch(/[\r\n]/);
  expect(RAW_UNSAFE.test(withoutLevelColour(line))).toBe(false);
  // The level keeps its colour: escaping is done on the content only.
  expect(withoutLevelColour(line)).toMatch(
    /^\d\d:\d\d:\d\d\.\d{3} warn \[server\] client 1 closed: /,
  );
  expect(line).toContain(`${ESC}[33mwarn${ESC}[39m`);
  for (const escaped of [
    '\\n12:00',
    '\\r',
    '\\x1b[2J',
    '\\x07',
    '\\x9b',
    '\\u202e',
    '\\u200b',
    '\\x7f',
  ]) {
    expect(line).toContain(escaped);
  }
  // The caller's metadata is copied, never rewritten.
  expect(JSON.stringify(meta)).toBe(snapshot);
});

test('an Error logged directly, with remote text in its message, stays on one line', () => {
  getLogger('client').error(new Error(`refused: ${HOSTILE}`));
  expect(capture.lines).toHaveLength(1);
  expect(RAW_UNSAFE.test(withoutLevelColour(capture.lines[0]!))).toBe(false);
});

test('every string is bounded', () => {
  getLogger('server').info('x'.repeat(10 * MAX_LOG_STRING), {
    reason: 'y'.repeat(10 * MAX_LOG_STRING),
  });
  const line = capture.lines[0]!;
  expect(line.length).toBeLessThan(3 * MAX_LOG_STRING);
  expect(line).toMatch(/…\[\+\d+\]/);
});

test('where colour is not wanted (a pipe, NO_COLOR), a line carries no escape byte at all', () => {
  colour = false;
  getLogger('server').warn('client 1 closed', { code: 'ERR_X' });
  colour = true;
  getLogger('server').warn('client 2 closed', { code: 'ERR_X' });
  expect(capture.lines).toHaveLength(2);
  expect(capture.lines[0]).not.toContain(ESC);
  expect(capture.lines[0]).toMatch(
    /^\d\d:\d\d:\d\d\.\d{3} warn \[server\] client 1 closed code=ERR_X$/,
  );
  expect(capture.lines[1]).toContain(`${ESC}[33mwarn${ESC}[39m`);
});
