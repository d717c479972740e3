import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import { getLogger, type Logger } from '../../log/logger';
import type { EndInfo, FileSystem, RecordFormat } from '../../storage';
import type { Failure } from '../errors';
import type { ParentRef } from '../shared';
import { type RecordFileReport, type RecordSink, recordFile } from './recordFile';

export interface FileWriterInput {
  path: string;
  format: RecordFormat<unknown>;
  /** Move an existing file at `path` aside (`name.1.ext`) instead of overwriting it. */
  keepExisting?: boolean;
  /** How often buffered rows are handed to the OS. */
  flushIntervalMs?: number;
  /** Told `writer.opened` (with the sink to write to), `writer.closed` and `writer.failed`. */
  notify?: ParentRef<FileWriterNotification>;
  logger?: Logger;
  /** Where the file is written (default: the real file system; tests pass a failing disk). */
  fs?: FileSystem;
}

/** Ends the file: flush, footer with the real duration (and why, if early), fsync, close. */
export type FileWriterEvent = { type: 'writer.close'; end: EndInfo };

/** What a writer tells the actor that owns it. */
export type FileWriterNotification =
  | { type: 'writer.opened'; path: string; sink: RecordSink<unknown> }
  | { type: 'writer.closed'; path: string; records: number; bytes: number }
  | {
      type: 'writer.failed';
      path: string;
      error: Failure;
      /** Records handed to the writer before it failed (the last flush may not have made it). */
      records: number;
    };

export interface FileWriterOutput {
  path: string;
  records: number;
  bytes: number;
  error?: Failure;
}

export interface FileWriterContext {
  path: string;
  format: RecordFormat<unknown>;
  keepExisting: boolean;
  flushIntervalMs: number;
  notify: ParentRef<FileWriterNotification> | undefined;
  logger: Logger;
  fs: FileSystem | undefined;
  end: EndInfo | null;
  records: number;
  bytes: number;
  error: Failure | null;
}

/**
 * One file, one writer: opening → open (idle ⇄ flushing) → closing → closed, or failed.
 *
 * The file itself is owned by an invoked actor (`recordFile`) for the writer's whole life;
 * producers write records straight into the {@link RecordSink} it hands out, formatted and
 * buffered without a transition each. The machine owns only the lifecycle: when the file is
 * open, when buffered rows are flushed (every `flushIntervalMs`), and how it is finished
 * (`writer.close`).
 */
export const fileWriterMachine = setup({
  types: {
    input: {} as FileWriterInput,
    context: {} as FileWriterContext,
    events: {} as FileWriterEvent | RecordFileReport,
    output: {} as FileWriterOutput,
  },
  actors: { recordFile },
  actions: {
    rememberEnd: assign({
      end: ({ event }) => {
        assertEvent(event, 'writer.close');
        return event.end;
      },
    }),
    requestFlush: enqueueActions(({ enqueue }) => enqueue.sendTo('file', { type: 'file.flush' })),
    requestFinish: enqueueActions(({ context, enqueue }) =>
      enqueue.sendTo('file', { type: 'file.finish', end: context.end! }),
    ),
    keepCounts: assign(({ event }) => {
      assertEvent(event, 'file.finished');
      return { records: event.records, bytes: event.bytes };
    }),
    recordFailure: assign(({ event }) => {
      assertEvent(event, 'file.failed');
      return { error: event.error, records: event.records };
    }),
    logFailure: ({ context }) =>
      context.logger.error(`file ${context.path} failed: ${context.error?.message}`, {
        code: context.error?.code,
      }),
    notifyOpened: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'file.opened');
      if (context.notify)
        enqueue.sendTo(context.notify, {
          type: 'writer.opened',
          path: context.path,
          sink: event.sink,
        });
    }),
    notifyClosed: enqueueActions(({ context, enqueue }) => {
      if (context.notify)
        enqueue.sendTo(context.notify, {
          type: 'writer.closed',
          path: context.path,
          records: context.records,
          bytes: context.bytes,
        });
    }),
    notifyFailed: enqueueActions(({ context, enqueue }) => {
      if (context.notify && context.error)
        enqueue.sendTo(context.notify, {
          type: 'writer.failed',
          path: context.path,
          error: context.error,
          records: context.records,
        });
    }),
  },
  guards: {
    /** `writer.close` came while the file was still opening. */
    closeRequested: ({ context }) => context.end !== null,
  },
  delays: {
    flushInterval: ({ context }) => context.flushIntervalMs,
  },
}).createMachine({
  id: 'fileWriter',
  context: ({ input }) => ({
    path: input.path,
    format: input.format,
    keepExisting: input.keepExisting ?? false,
    flushIntervalMs: input.flushIntervalMs ?? 200,
    notify: input.notify,
    logger: input.logger ?? getLogger('file-writer'),
    fs: input.fs,
    end: null,
    records: 0,
    bytes: 0,
    error: null,
  }),
  invoke: {
    id: 'file',
    src: 'recordFile',
    input: ({ context }) => ({
      path: context.path,
      format: context.format,
      keepExisting: context.keepExisting,
      logger: context.logger,
      ...(context.fs ? { fs: context.fs } : {}),
    }),
  },
  on: {
    'file.failed': { target: '.failed', actions: 'recordFailure' },
  },
  initial: 'opening',
  states: {
    opening: {
      on: {
        // Closed while it was opening: the owner still hears opened, then closed.
        'file.opened': [
          { guard: 'closeRequested', target: 'closing', actions: 'notifyOpened' },
          { target: 'open', actions: 'notifyOpened' },
        ],
        'writer.close': { actions: 'rememberEnd' },
      },
    },
    open: {
      on: {
        'writer.close': { target: 'closing', actions: 'rememberEnd' },
      },
      initial: 'idle',
      states: {
        idle: { after: { flushInterval: 'flushing' } },
        flushing: {
          entry: 'requestFlush',
          on: { 'file.flushed': 'idle' },
        },
      },
    },
    closing: {
      entry: 'requestFinish',
      on: { 'file.finished': { target: 'closed', actions: 'keepCounts' } },
    },
    closed: {
      type: 'final',
      entry: 'notifyClosed',
    },
    failed: {
      type: 'final',
      entry: ['logFailure', 'notifyFailed'],
    },
  },
  output: ({ context }) => ({
    path: context.path,
    records: context.records,
    bytes: context.bytes,
    ...(context.error ? { error: context.error } : {}),
  }),
});

/** Convenience for owners: the event that finishes a writer. */
export const closeWriter = (end: EndInfo): FileWriterEvent => ({ type: 'writer.close', end });
