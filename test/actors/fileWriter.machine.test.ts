import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AnyActorRef,
  assertEvent,
  assign,
  createActor,
  fromCallback,
  sendTo,
  setup,
  toPromise,
  waitFor,
} from 'xstate';
import {
  closeWriter,
  type FileWriterNotification,
  fileWriterMachine,
  type RecordSink,
} from '../../src/actors/writer';
import {
  type FileSystem,
  parseTimestampTable,
  type RecordFormat,
  TABLE_HEADER,
  TABLE_RULE,
  TABLE_TITLE,
  type TimestampRow,
  timestampTableFormat,
} from '../../src/storage';
import { faultyFileSystem } from '../helpers/faultyFileSystem';
import { until } from '../helpers/until';

const T0 = Date.UTC(2026, 10, 24, 0, 12, 13) * 1000;
const HEADER_TEXT = `${TABLE_TITLE}\n\n${TABLE_HEADER}\n${TABLE_RULE}\n`;

const rowAt = (i: number): TimestampRow =>
  i % 2 === 0
    ? { senderIp: '127.0.0.2', receiverIp: '127.0.0.1', timeMicros: T0 + i * 10_000 }
    : { senderIp: '127.0.0.1', receiverIp: '127.0.0.2', timeMicros: T0 + i * 10_000 + 450 };

/** An actor that only records what it is sent: the writer's `notify`. */
function startRecorder() {
  const received: FileWriterNotification[] = [];
  const ref = createActor(
    fromCallback<FileWriterNotification>(({ receive }) => {
      receive((event) => received.push(event));
    }),
  ).start();
  return { ref, received };
}

let dir: string;
const actors: AnyActorRef[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'timeswarm-writer-'));
});
afterEach(async () => {
  for (const actor of actors.splice(0)) actor.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * A writer with a recorder as its `notify`; `sink()` resolves with the sink it hands out in
 * `writer.opened` (rows are written through it).
 */
function startWriter(
  path: string,
  format: RecordFormat<TimestampRow> = timestampTableFormat,
  fs?: FileSystem,
) {
  const { ref, received } = startRecorder();
  actors.push(ref);
  const actor = createActor(fileWriterMachine, {
    input: { path, format, flushIntervalMs: 20, notify: ref, ...(fs ? { fs } : {}) },
  });
  actors.push(actor);
  actor.start();
  const sink = async (): Promise<RecordSink<TimestampRow>> => {
    await until(() => received.some((e) => e.type === 'writer.opened'));
    const opened = received.find((e) => e.type === 'writer.opened');
    if (opened?.type !== 'writer.opened') throw new Error('not opened');
    return opened.sink;
  };
  return { actor, received, sink };
}

describe('fileWriterMachine', () => {
  it('writes every row, flushes while open, and finishes with the footer', async () => {
    const path = join(dir, 'client_1', 'client_1_TimeData.txt');
    const { actor, sink } = startWriter(path);
    expect(actor.getSnapshot().value).toBe('opening');
    await waitFor(actor, (s) => s.matches('open'));
    const rows = await sink();

    const N = 600;
    for (let i = 0; i < N / 2; i++) rows.write(rowAt(i));
    // Rows reach the OS on the flush interval, before any close.
    await until(async () => (await stat(path)).size > HEADER_TEXT.length);
    for (let i = N / 2; i < N; i++) rows.write(rowAt(i));

    actor.send(closeWriter({ durationMs: 1234 }));
    const output = await toPromise(actor);
    const size = (await stat(path)).size;
    expect(output).toEqual({ path, records: N, bytes: size });
    expect(output.error).toBeUndefined();
    expect(actor.getSnapshot().value).toBe('closed');

    const table = parseTimestampTable(await readFile(path, 'utf8'), path);
    expect(table.rows).toHaveLength(N);
    expect(table.rows.map((r) => r.index)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    table.rows.forEach((r, i) => {
      expect({ senderIp: r.senderIp, receiverIp: r.receiverIp, timeMicros: r.timeMicros }).toEqual(
        rowAt(i),
      );
    });
    expect(table.end).toEqual({ durationText: '1.234 seconds', durationMs: 1234 });
    expect(table.endedAbruptly).toBe(false);
  });

  it('keeps every row in order when rows, flushes and the close interleave', async () => {
    const path = join(dir, 'interleaved.txt');
    const { actor, sink } = startWriter(path);
    await waitFor(actor, (s) => s.matches('open'));
    const rows = await sink();
    let sent = 0;
    for (let round = 0; round < 15; round++) {
      for (let i = 0; i < 40; i++) rows.write(rowAt(sent++));
      await sleep(round % 3 === 0 ? 25 : 3);
    }
    actor.send(closeWriter({ durationMs: 20_000, endedEarly: 'server said "bye" (shutdown)\n' }));
    const output = await toPromise(actor);
    expect(output.records).toBe(sent);
    const table = parseTimestampTable(await readFile(path, 'utf8'));
    expect(table.rows.map((r) => r.timeMicros)).toEqual(
      Array.from({ length: sent }, (_, i) => rowAt(i).timeMicros),
    );
    expect(table.end).toEqual({
      durationText: '20 seconds',
      durationMs: 20_000,
      endedEarly: 'server said "bye" (shutdown',
    });
  });

  it('writes no row that arrives after writer.close', async () => {
    const path = join(dir, 'late.txt');
    const { actor, sink } = startWriter(path);
    await waitFor(actor, (s) => s.matches('open'));
    const rows = await sink();
    for (let i = 0; i < 5; i++) rows.write(rowAt(i));
    actor.send(closeWriter({ durationMs: 50 }));
    rows.write(rowAt(5));
    const output = await toPromise(actor);
    expect(output.records).toBe(5);
    const table = parseTimestampTable(await readFile(path, 'utf8'));
    expect(table.rows).toHaveLength(5);
    expect(table.end?.durationMs).toBe(50);
  });

  it('tells its notify actor writer.opened, then writer.closed with the counts', async () => {
    const path = join(dir, 'notified.txt');
    const { actor, received, sink } = startWriter(path);
    await waitFor(actor, (s) => s.matches('open'));
    const rows = await sink();
    expect(received).toEqual([{ type: 'writer.opened', path, sink: rows }]);
    expect(typeof rows.write).toBe('function');
    for (let i = 0; i < 7; i++) rows.write(rowAt(i));
    actor.send(closeWriter({ durationMs: 1234 }));
    const output = await toPromise(actor);
    expect(received).toEqual([
      { type: 'writer.opened', path, sink: rows },
      { type: 'writer.closed', path, records: 7, bytes: output.bytes },
    ]);
    expect(output.bytes).toBe((await stat(path)).size);
  });

  /**
   * A tiny owner: invokes the writer with itself as `notify`, records what it is told, and on
   * `finish` closes the writer. On `writer.opened` it writes `rowsOnOpened` rows through the
   * sink it was handed, synchronously, while it handles the event; on `write` it writes more.
   */
  const ownerMachine = setup({
    types: {
      context: {} as {
        seen: string[];
        path: string;
        rowsOnOpened: number;
        sink: RecordSink<TimestampRow> | null;
      },
      input: {} as { path: string; rowsOnOpened: number },
      events: {} as FileWriterNotification | { type: 'finish' } | { type: 'write'; rows: number },
      output: {} as { seen: string[] },
    },
    actors: { writer: fileWriterMachine },
    actions: {
      note: assign({ seen: ({ context, event }) => [...context.seen, event.type] }),
      keepSink: assign({
        sink: ({ event }) => {
          assertEvent(event, 'writer.opened');
          return event.sink;
        },
      }),
      writeOnOpened: ({ context, event }) => {
        assertEvent(event, 'writer.opened');
        for (let i = 0; i < context.rowsOnOpened; i++) event.sink.write(rowAt(i));
      },
      writeMore: ({ context, event }) => {
        assertEvent(event, 'write');
        for (let i = 0; i < event.rows; i++) context.sink?.write(rowAt(i));
      },
      finishWriter: sendTo('writer', closeWriter({ durationMs: 300_000 })),
    },
  }).createMachine({
    context: ({ input }) => ({ seen: [], sink: null, ...input }),
    invoke: {
      id: 'writer',
      src: 'writer',
      input: ({ context, self }) => ({
        path: context.path,
        format: timestampTableFormat,
        flushIntervalMs: 20,
        notify: self,
      }),
    },
    initial: 'waiting',
    states: {
      waiting: {
        on: {
          'writer.opened': { target: 'writing', actions: ['note', 'keepSink', 'writeOnOpened'] },
        },
      },
      writing: {
        on: {
          write: { actions: 'writeMore' },
          finish: { actions: 'finishWriter' },
          'writer.closed': { target: 'done', actions: 'note' },
        },
      },
      done: { type: 'final' },
    },
    output: ({ context }) => ({ seen: context.seen }),
  });

  it('works invoked by a parent machine that is its notify target', async () => {
    const path = join(dir, 'child.txt');
    const parent = createActor(ownerMachine, { input: { path, rowsOnOpened: 0 } });
    actors.push(parent);
    parent.start();
    await waitFor(parent, (s) => s.matches('writing'));
    parent.send({ type: 'write', rows: 3 });
    parent.send({ type: 'finish' });
    expect(await toPromise(parent)).toEqual({ seen: ['writer.opened', 'writer.closed'] });
    const table = parseTimestampTable(await readFile(path, 'utf8'));
    expect(table.rows).toHaveLength(3);
    expect(table.end).toEqual({ durationText: '5 minutes', durationMs: 300_000 });
  });

  /**
   * `writer.opened` goes out only once the file is open and its sink takes rows, so rows an
   * owner writes while it handles `writer.opened` are written.
   */
  test('keeps rows its owner writes while handling writer.opened', async () => {
    const path = join(dir, 'eager.txt');
    const parent = createActor(ownerMachine, { input: { path, rowsOnOpened: 3 } });
    actors.push(parent);
    parent.start();
    await waitFor(parent, (s) => s.matches('writing'));
    parent.send({ type: 'finish' });
    await toPromise(parent);
    expect(parseTimestampTable(await readFile(path, 'utf8')).rows).toHaveLength(3);
  });

  it('ends in failed with the fs code when the file cannot be opened, and says so', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, '');
    const path = join(blocker, 'client_1_TimeData.txt');
    const { actor, received } = startWriter(path);
    const output = await toPromise(actor);
    expect(actor.getSnapshot().value).toBe('failed');
    expect(output.path).toBe(path);
    expect(output.records).toBe(0);
    expect(output.error?.code).toBe('ENOTDIR');
    expect(received).toEqual([
      {
        type: 'writer.failed',
        path,
        error: { code: 'ENOTDIR', message: expect.any(String) },
        records: 0,
      },
    ]);
  });

  it('finishes the file with its footer when writer.close comes while still opening', async () => {
    const path = join(dir, 'early', 'closed-early.txt');
    const { actor, received } = startWriter(path);
    expect(actor.getSnapshot().value).toBe('opening');
    actor.send(closeWriter({ durationMs: 1234, endedEarly: 'cancelled' }));
    const output = await toPromise(actor);
    expect(actor.getSnapshot().value).toBe('closed');
    expect(output.error).toBeUndefined();
    expect(output.records).toBe(0);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(
      `${HEADER_TEXT}End of Timestamp Data (after 1.234 seconds; ended early: cancelled)\n`,
    );
    expect(parseTimestampTable(text)).toEqual({
      rows: [],
      end: { durationText: '1.234 seconds', durationMs: 1234, endedEarly: 'cancelled' },
      endedAbruptly: false,
    });
    expect(received.map((e) => e.type)).toEqual(['writer.opened', 'writer.closed']);
  });

  // A full, failing or read-only disk, through the FileSystem interface (runs anywhere).
  const headerless: RecordFormat<TimestampRow> = { ...timestampTableFormat, header: '' };

  it.each([
    ['ENOSPC', { freeBytes: 0 }],
    ['EROFS', { open: 'EROFS' }],
  ] as const)(
    'fails at opening with %s when not even the header can be written',
    async (code, faults) => {
      const path = join(dir, 'full', 'client_1_TimeData.txt');
      const { actor, received } = startWriter(path, timestampTableFormat, faultyFileSystem(faults));
      const output = await toPromise(actor);
      expect(output.error?.code).toBe(code);
      expect(received.map((e) => e.type)).toEqual(['writer.failed']);
      // No empty file that does not parse is left under the final name.
      expect(existsSync(path)).toBe(false);
    },
  );

  it.each([
    ['ENOSPC', { freeBytes: 0 }],
    ['EIO', { freeBytes: 0, full: 'EIO' }],
  ] as const)('ends in failed with %s when a flush cannot write', async (code, faults) => {
    // No header, so that opening succeeds and the first flush is what fails.
    const path = join(dir, 'flush', 'client_1_TimeData.txt');
    const { actor, received, sink } = startWriter(path, headerless, faultyFileSystem(faults));
    await waitFor(actor, (s) => s.matches('open'));
    (await sink()).write(rowAt(0));
    const output = await toPromise(actor);
    expect(actor.getSnapshot().value).toBe('failed');
    expect(output.error?.code).toBe(code);
    expect(received.map((e) => e.type)).toEqual(['writer.opened', 'writer.failed']);
  });

  it('ends in failed with EIO when the fsync of the finish fails', async () => {
    const path = join(dir, 'sync', 'client_1_TimeData.txt');
    const { actor, sink } = startWriter(
      path,
      timestampTableFormat,
      faultyFileSystem({ sync: 'EIO' }),
    );
    (await sink()).write(rowAt(0));
    actor.send(closeWriter({ durationMs: 10 }));
    const output = await toPromise(actor);
    expect(output.error?.code).toBe('EIO');
  });

  /** A flush error ends in `failed`, and the file handle is released (no fd leak). */
  const fdsOn = async (target: string) => {
    const fds = await readdir('/proc/self/fd');
    const links = await Promise.all(
      fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
    );
    return links.filter((link) => link === target).length;
  };
  test('closes its file handle when a flush fails', async () => {
    const path = join(dir, 'leak', 'client_1_TimeData.txt');
    const { actor, sink } = startWriter(path, headerless, faultyFileSystem({ freeBytes: 0 }));
    await waitFor(actor, (s) => s.matches('open'));
    expect(await fdsOn(path)).toBe(1);
    (await sink()).write(rowAt(0));
    await toPromise(actor);
    await until(async () => (await fdsOn(path)) === 0, { what: 'the handle released' });
  });
});
