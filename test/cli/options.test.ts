import { InvalidArgumentError } from 'commander';
import { parseSkew } from '../../src/cli/commands/server';
import { SHARE_LIMITS } from '../../src/cli/commands/share';
import {
  checkSessionLength,
  errorLine,
  MAX_DURATION_MS,
  oneLineError,
  parseClientId,
  parseDuration,
  parseInterval,
  parseMaxClients,
  parsePath,
  parsePeerIdList,
  parsePort,
  parseRate,
  parseSize,
  wholeNumber,
} from '../../src/options';
import { formatPeerId, generateIdentity } from '../../src/p2p/identity';
import { MAX_FILES } from '../../src/p2p/swarm';
import { MAX_CHUNK_SIZE } from '../../src/storage';
import { MAX_CLIENT_ID, MAX_HELLO_INTERVAL_MS } from '../../src/transport';

const refused = (parse: (value: string) => unknown, value: string) => {
  expect(() => parse(value)).toThrow(InvalidArgumentError);
};

describe('option parsers refuse what is out of range, NaN or empty', () => {
  test('client IDs: the protocol’s range, whole numbers only', () => {
    expect(parseClientId('1')).toBe(1);
    expect(parseClientId(String(MAX_CLIENT_ID))).toBe(MAX_CLIENT_ID);
    for (const bad of [
      '0',
      String(MAX_CLIENT_ID + 1),
      '2000000',
      '-1',
      '1.5',
      '1e3',
      'NaN',
      '',
      ' 1',
    ]) {
      refused(parseClientId, bad);
    }
  });

  test('durations: positive, with a unit, no longer than a timer can wait', () => {
    expect(parseDuration('10ms')).toBe(10);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(`${MAX_DURATION_MS}ms`)).toBe(MAX_DURATION_MS);
    for (const bad of [
      '0ms',
      '10',
      'NaN',
      'Infinityms',
      `${'9'.repeat(400)}ms`,
      '25d',
      `${MAX_DURATION_MS + 1}ms`,
      '-5s',
      '1e3ms',
      '',
    ]) {
      refused(parseDuration, bad);
    }
  });

  test('intervals: what a hello may state', () => {
    expect(parseInterval('0.001ms')).toBe(0.001);
    expect(parseInterval('1h')).toBe(MAX_HELLO_INTERVAL_MS);
    for (const bad of ['0.0001ms', '2h', '61m']) refused(parseInterval, bad);
  });

  test('whole numbers in a range', () => {
    const retries = wholeNumber(1, 1000);
    expect(retries('1000')).toBe(1000);
    for (const bad of ['0', '1001', 'NaN', '-1', '0x10', '1e2', '']) refused(retries, bad);
    expect(wholeNumber(0, 5)('0')).toBe(0);
  });

  test('paths: not empty, no NUL', () => {
    expect(parsePath('out/run')).toBe('out/run');
    for (const bad of ['', 'a\0b']) refused(parsePath, bad);
  });

  test('ports, sizes, rates and skews', () => {
    for (const bad of ['65536', '-1', 'NaN', '']) refused(parsePort, bad);
    for (const bad of ['0', 'NaN', '1e3', '-5KiB', `${'9'.repeat(30)}GiB`]) refused(parseSize, bad);
    expect(parseRate('unlimited')).toBeNull();
    refused(parseRate, 'fast');
    expect(parseSkew('-25ms')).toBe(-25);
    for (const bad of ['2d', '-25h', 'NaNms', '25']) refused(parseSkew, bad);
  });
});

test('--max-clients: no more clients than client IDs', () => {
  expect(parseMaxClients(String(MAX_CLIENT_ID))).toBe(MAX_CLIENT_ID);
  refused(parseMaxClients, String(MAX_CLIENT_ID + 1));
});

test('a session longer than 32-bit sequence numbers is ERR_INVALID_ARGUMENT', () => {
  expect(() => checkSessionLength(300_000, 10)).not.toThrow();
  expect(() => checkSessionLength(2 * 3_600_000, 0.001)).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
  );
});

test('a command failure is one escaped line with its code', () => {
  const line = errorLine({ message: 'server refused: \x1b[2J\nFAKE', code: 'ERR_\x1b' });
  expect(line.trimEnd()).not.toMatch(/[\p{Cc}]/u);
  expect(line).toMatch(/\(ERR_\\x1b\)\n$/);
});

test('the share flags’ limits are the peer protocol’s', () => {
  expect(SHARE_LIMITS).toEqual({ maxChunkSize: MAX_CHUNK_SIZE, maxFiles: MAX_FILES });
});

test('a command-line error is one line, with any suggestion on it and what was typed escaped', () => {
  const line = oneLineError("error: unknown command 'clent'\n(Did you mean client?)\n");
  expect(line.endsWith('\n')).toBe(true);
  expect(line.trimEnd()).not.toContain('\n');
  const typed = oneLineError("error: option '--id <n>' argument '\x1b[2J' is invalid.\n");
  expect(typed).toContain('\\x1b[2J');
  expect(typed).not.toContain('\x1b');
});

describe('--trust', () => {
  const { identity } = generateIdentity();
  it('reads peer IDs as printed (grouped, any case), deduplicated', () => {
    const printed = formatPeerId(identity.peerId);
    expect(parsePeerIdList(`${printed.toLowerCase()}, ${identity.peerId}`)).toEqual([
      identity.peerId,
    ]);
  });
  it.each(['', 'abc', `${identity.peerId}X`, 'B'.repeat(52)])('refuses %j', (value) => {
    expect(() => parsePeerIdList(value)).toThrow(InvalidArgumentError);
  });
});
