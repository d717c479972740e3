import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subject } from 'rxjs';
import {
  type AnyActorRef,
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
} from '../../src/actors/fileWriter.machine';
import {
  parseTimestampTable,
  type RecordFormat,
  TABLE_HEADER,
  TABLE_RULE,
  TABLE_TITLE,
  type TimestampRow,
  timestampTableFormat,
} from '../../src/storage';

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

/** Polls (bounded) until `check` is true; real timers, no assertion on how long it took. */
async function eventually(check: () => Promise<boolean> | boolean, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error('condition not reached');
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

function startWriter(
  path: string,
  records$: Subject<TimestampRow>,
  notify?: AnyActorRef,
  format: RecordFormat<TimestampRow> = timestampTableFormat,
) {
  const actor = createActor(fileWriterMachine, {
    input: {
      path,
      format,
      records$,
      flushIntervalMs: 20,
      ...(notify ? { notify } : {}),
    },
  });
  actors.push(actor);
  actor.start();
  return actor;
}

describe('fileWriterMachine', () => {
  it('writes every row, flushes while open, and finishes with the footer', async () => {
    const path = join(dir, 'client_1', 'client_1_TimeData.txt');
    const rows$ = new Subject<TimestampRow>();
    const actor = startWriter(path, rows$);
    expect(actor.getSnapshot().value).toBe('opening');
    await waitFor(actor, (s) => s.matches('open'));

    const N = 600;
    for (let i = 0; i < N / 2; i++) rows$.next(rowAt(i));
    // Rows reach the OS on the flush interval, before any close.
    await eventually(async () => (await stat(path)).size > HEADER_TEXT.length);
    for (let i = N / 2; i < N; i++) rows$.next(rowAt(i));

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
    const rows$ = new Subject<TimestampRow>();
    const actor = startWriter(path, rows$);
    await waitFor(actor, (s) => s.matches('open'));
    let sent = 0;
    for (let round = 0; round < 15; round++) {
      for (let i = 0; i < 40; i++) rows$.next(rowAt(sent++));
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
    const rows$ = new Subject<TimestampRow>();
    const actor = startWriter(path, rows$);
    await waitFor(actor, (s) => s.matches('open'));
    for (let i = 0; i < 5; i++) rows$.next(rowAt(i));
    actor.send(closeWriter({ durationMs: 50 }));
    rows$.next(rowAt(5));
    const output = await toPromise(actor);
    expect(output.records).toBe(5);
    const table = parseTimestampTable(await readFile(path, 'utf8'));
    expect(table.rows).toHaveLength(5);
    expect(table.end?.durationMs).toBe(50);
  });

  it('tells its notify actor writer.opened, then writer.closed with the counts', async () => {
    const path = join(dir, 'notified.txt');
    const rows$ = new Subject<TimestampRow>();
    const { ref, received } = startRecorder();
    actors.push(ref);
    const actor = startWriter(path, rows$, ref);
    await waitFor(actor, (s) => s.matches('open'));
    expect(received).toEqual([{ type: 'writer.opened', path }]);
    for (let i = 0; i < 7; i++) rows$.next(rowAt(i));
    actor.send(closeWriter({ durationMs: 1234 }));
    const output = await toPromise(actor);
    expect(received).toEqual([
      { type: 'writer.opened', path },
      { type: 'writer.closed', path, records: 7, bytes: output.bytes },
    ]);
    expect(output.bytes).toBe((await stat(path)).size);
  });

  /**
   * A tiny owner: invokes the writer with itself as `notify`, records what it is told, and on
   * `finish` closes the writer. With `emitOnOpened` it emits 3 rows as it handles
   * `writer.opened`, synchronously.
   */
  const ownerMachine = setup({
    types: {
      context: {} as {
        seen: string[];
        rows: Subject<TimestampRow>;
        path: string;
        emitOnOpened: boolean;
      },
      input: {} as { rows: Subject<TimestampRow>; path: string; emitOnOpened: boolean },
      events: {} as FileWriterNotification | { type: 'finish' },
      output: {} as { seen: string[] },
    },
    actors: { writer: fileWriterMachine },
  }).createMachine({
    context: ({ input }) => ({ seen: [], ...input }),
    invoke: {
      id: 'writer',
      src: 'writer',
      input: ({ context, self }) => ({
        path: context.path,
        format: timestampTableFormat,
        records$: context.rows,
        flushIntervalMs: 20,
        notify: self,
      }),
    },
    initial: 'waiting',
    states: {
      waiting: {
        on: {
          'writer.opened': {
            target: 'writing',
            actions: [
              assign({ seen: ({ context, event }) => [...context.seen, event.type] }),
              ({ context }) => {
                if (context.emitOnOpened) for (let i = 0; i < 3; i++) context.rows.next(rowAt(i));
              },
            ],
          },
        },
      },
      writing: {
        on: {
          finish: { actions: sendTo('writer', closeWriter({ durationMs: 300_000 })) },
          'writer.closed': {
            target: 'done',
            actions: assign({ seen: ({ context, event }) => [...context.seen, event.type] }),
          },
        },
      },
      done: { type: 'final' },
    },
    output: ({ context }) => ({ seen: context.seen }),
  });

  it('works invoked by a parent machine that is its notify target', async () => {
    const path = join(dir, 'child.txt');
    const rows$ = new Subject<TimestampRow>();
    const parent = createActor(ownerMachine, { input: { rows: rows$, path, emitOnOpened: false } });
    actors.push(parent);
    parent.start();
    await waitFor(parent, (s) => s.matches('writing'));
    for (let i = 0; i < 3; i++) rows$.next(rowAt(i));
    parent.send({ type: 'finish' });
    expect(await toPromise(parent)).toEqual({ seen: ['writer.opened', 'writer.closed'] });
    const table = parseTimestampTable(await readFile(path, 'utf8'));
    expect(table.rows).toHaveLength(3);
    expect(table.end).toEqual({ durationText: '5 minutes', durationMs: 300_000 });
  });

  /**
   * `writer.opened` goes out only once the collector has subscribed to `records$`, so rows an
   * owner emits while it handles `writer.opened` are written.
   */
  test('keeps rows its owner emits while handling writer.opened', async () => {
    const path = join(dir, 'eager.txt');
    const rows$ = new Subject<TimestampRow>();
    const parent = createActor(ownerMachine, { input: { rows: rows$, path, emitOnOpened: true } });
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
    const { ref, received } = startRecorder();
    actors.push(ref);
    const actor = startWriter(path, new Subject<TimestampRow>(), ref);
    const output = await toPromise(actor);
    expect(actor.getSnapshot().value).toBe('failed');
    expect(output.path).toBe(path);
    expect(output.records).toBe(0);
    expect(output.error?.code).toBe('ENOTDIR');
    expect(received).toEqual([
      { type: 'writer.failed', path, code: 'ENOTDIR', message: expect.any(String), records: 0 },
    ]);
  });

  it('finishes the file with its footer when writer.close comes while still opening', async () => {
    const path = join(dir, 'early', 'closed-early.txt');
    const { ref, received } = startRecorder();
    actors.push(ref);
    const actor = startWriter(path, new Subject<TimestampRow>(), ref);
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

  const deviceFull = existsSync('/dev/full') ? it : it.skip;
  const headerless: RecordFormat<TimestampRow> = { ...timestampTableFormat, header: '' };

  deviceFull('fails at opening with ENOSPC when not even the header fits', async () => {
    const { ref, received } = startRecorder();
    actors.push(ref);
    const actor = startWriter('/dev/full', new Subject<TimestampRow>(), ref);
    const output = await toPromise(actor);
    expect(output.error?.code).toBe('ENOSPC');
    expect(received.map((e) => e.type)).toEqual(['writer.failed']);
    expect(existsSync('/dev/full')).toBe(true); // a device is never removed
  });

  deviceFull('ends in failed with ENOSPC when a flush cannot write', async () => {
    const { ref, received } = startRecorder();
    actors.push(ref);
    const rows$ = new Subject<TimestampRow>();
    // No header, so that opening succeeds and the first flush is what fails.
    const actor = startWriter('/dev/full', rows$, ref, headerless);
    await waitFor(actor, (s) => s.matches('open'));
    rows$.next(rowAt(0));
    const output = await toPromise(actor);
    expect(actor.getSnapshot().value).toBe('failed');
    expect(output.error?.code).toBe('ENOSPC');
    expect(received.map((e) => e.type)).toEqual(['writer.opened', 'writer.failed']);
  });

  /** A flush error ends in `failed`, and the file handle is released (no fd leak). */
  const fdsOn = async (target: string) => {
    const fds = await readdir('/proc/self/fd').catch(() => [] as string[]);
    const links = await Promise.all(
      fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
    );
    return links.filter((link) => link === target).length;
  };
  const procAndFull = existsSync('/dev/full') && existsSync('/proc/self/fd') ? test : test.skip;
  procAndFull('closes its file handle when a flush fails', async () => {
    const before = await fdsOn('/dev/full');
    const rows$ = new Subject<TimestampRow>();
    const actor = startWriter('/dev/full', rows$, undefined, headerless);
    await waitFor(actor, (s) => s.matches('open'));
    rows$.next(rowAt(0));
    await toPromise(actor);
    await sleep(20);
    expect(await fdsOn('/dev/full')).toBe(before);
  });
});
