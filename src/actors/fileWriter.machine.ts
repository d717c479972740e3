import type { Observable } from 'rxjs';
import { type AnyActorRef, assign, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import { describeError } from '../errors';
import { getLogger, type Logger } from '../log/logger';
import {
  type EndInfo,
  moveAside,
  openRecordFile,
  type RecordFile,
  type RecordFormat,
} from '../storage';

export interface FileWriterInput {
  path: string;
  format: RecordFormat<unknown>;
  /** The records to write. The writer subscribes once open; emit only after `writer.opened`. */
  records$: Observable<unknown>;
  /** Move an existing file at `path` aside (`name.1.ext`) instead of overwriting it. */
  keepExisting?: boolean;
  /** How often buffered rows are handed to the OS. */
  flushIntervalMs?: number;
  /** Told `writer.opened`, `writer.closed` and `writer.failed`. */
  notify?: AnyActorRef;
  logger?: Logger;
}

/** Ends the file: flush, footer with the real duration (and why, if early), fsync, close. */
export type FileWriterEvent =
  | { type: 'writer.close'; end: EndInfo }
  /** From the row collector: subscribed, so rows emitted from now on are written. */
  | { type: 'writer.subscribed' }
  /** From the row collector: a record could not be written. */
  | { type: 'writer.error'; error: unknown };

/** What a writer tells the actor that owns it. */
export type FileWriterNotification =
  | { type: 'writer.opened'; path: string }
  | { type: 'writer.closed'; path: string; records: number; bytes: number }
  | {
      type: 'writer.failed';
      path: string;
      code: string;
      message: string;
      /** Records handed to the writer before it failed (the last flush may not have made it). */
      records: number;
    };

export interface FileWriterOutput {
  path: string;
  records: number;
  bytes: number;
  error?: { code: string; message: string };
}

function notification(
  context: FileWriterContext,
  type: FileWriterNotification['type'],
): FileWriterNotification {
  const path = context.path;
  if (type === 'writer.opened') return { type, path };
  if (type === 'writer.closed') {
    return {
      type,
      path,
      records: context.file?.records ?? 0,
      bytes: context.file?.writtenBytes ?? 0,
    };
  }
  return {
    type,
    path,
    code: context.error?.code ?? 'ERR_UNKNOWN',
    message: context.error?.message ?? 'unknown',
    records: context.file?.records ?? 0,
  };
}

export interface FileWriterContext {
  path: string;
  format: RecordFormat<unknown>;
  records$: Observable<unknown>;
  flushIntervalMs: number;
  keepExisting: boolean;
  notify: AnyActorRef | undefined;
  logger: Logger;
  file: RecordFile<unknown> | null;
  end: EndInfo | null;
  error: { code: string; message: string } | null;
}

/**
 * One file, one writer: opening → open (idle ⇄ flushing) → closing → closed, or failed.
 *
 * Rows arrive as an RxJS stream and are formatted and buffered without a transition each;
 * the machine owns only the lifecycle: when the file is opened, when buffered rows are
 * flushed (every `flushIntervalMs`), and how it is finished (`writer.close`).
 */
export const fileWriterMachine = setup({
  types: {
    input: {} as FileWriterInput,
    context: {} as FileWriterContext,
    events: {} as FileWriterEvent,
    output: {} as FileWriterOutput,
  },
  actors: {
    openFile: fromPromise(
      async ({
        input,
      }: {
        input: {
          path: string;
          format: RecordFormat<unknown>;
          keepExisting: boolean;
          logger: Logger;
        };
      }) => {
        if (input.keepExisting) {
          const movedTo = await moveAside(input.path);
          if (movedTo) input.logger.warn(`kept the previous ${input.path} as ${movedTo}`);
        }
        return openRecordFile(input.path, input.format);
      },
    ),
    collectRecords: fromCallback<
      FileWriterEvent,
      { file: RecordFile<unknown>; records$: Observable<unknown> }
    >(({ input, sendBack }) => {
      let failed = false;
      const subscription = input.records$.subscribe((record) => {
        if (failed) return;
        try {
          input.file.write(record);
        } catch (error) {
          // Thrown inside an RxJS callback, this would be an uncaught error: report it instead.
          failed = true;
          sendBack({ type: 'writer.error', error });
        }
      });
      sendBack({ type: 'writer.subscribed' });
      return () => subscription.unsubscribe();
    }),
    flushFile: fromPromise(({ input }: { input: { file: RecordFile<unknown> } }) =>
      input.file.flush(),
    ),
    finishFile: fromPromise(({ input }: { input: { file: RecordFile<unknown>; end: EndInfo } }) =>
      input.file.finish(input.end),
    ),
  },
  actions: {
    recordError: assign({
      error: ({ event }) => describeError((event as { error?: unknown }).error),
    }),
    // A final state cannot wait: the handle is closed in the background, errors ignored.
    releaseFile: ({ context }) => void context.file?.abandon(),
    logFailure: ({ context }) =>
      context.logger.error(`file ${context.path} failed: ${context.error?.message}`, {
        code: context.error?.code,
      }),
    notifyOpened: enqueueActions(({ context, enqueue }) => {
      if (context.notify) enqueue.sendTo(context.notify, notification(context, 'writer.opened'));
    }),
    notifyClosed: enqueueActions(({ context, enqueue }) => {
      if (context.notify) enqueue.sendTo(context.notify, notification(context, 'writer.closed'));
    }),
    notifyFailed: enqueueActions(({ context, enqueue }) => {
      if (context.notify) enqueue.sendTo(context.notify, notification(context, 'writer.failed'));
    }),
  },
  delays: {
    flushInterval: ({ context }) => context.flushIntervalMs,
  },
}).createMachine({
  id: 'fileWriter',
  context: ({ input }) => ({
    path: input.path,
    format: input.format,
    records$: input.records$,
    flushIntervalMs: input.flushIntervalMs ?? 200,
    keepExisting: input.keepExisting ?? false,
    notify: input.notify,
    logger: input.logger ?? getLogger('file-writer'),
    file: null,
    end: null,
    error: null,
  }),
  initial: 'opening',
  states: {
    opening: {
      invoke: {
        src: 'openFile',
        input: ({ context }) => ({
          path: context.path,
          format: context.format,
          keepExisting: context.keepExisting,
          logger: context.logger,
        }),
        onDone: [
          {
            // Closed while it was opening: the owner still hears opened, then closed.
            guard: ({ context }) => context.end !== null,
            target: 'closing',
            actions: [assign({ file: ({ event }) => event.output }), 'notifyOpened'],
          },
          { target: 'open', actions: assign({ file: ({ event }) => event.output }) },
        ],
        onError: { target: 'failed', actions: 'recordError' },
      },
      on: {
        // Closed before it could open: remembered, and the file is finished once open.
        'writer.close': { actions: assign({ end: ({ event }) => event.end }) },
      },
    },
    open: {
      invoke: {
        src: 'collectRecords',
        input: ({ context }) => ({ file: context.file!, records$: context.records$ }),
      },
      on: {
        // The owner hears `writer.opened` only once the collector listens: no row is lost.
        'writer.subscribed': { actions: 'notifyOpened' },
        'writer.error': { target: 'failed', actions: 'recordError' },
        'writer.close': { target: 'closing', actions: assign({ end: ({ event }) => event.end }) },
      },
      initial: 'idle',
      states: {
        idle: { after: { flushInterval: 'flushing' } },
        flushing: {
          invoke: {
            src: 'flushFile',
            input: ({ context }) => ({ file: context.file! }),
            onDone: 'idle',
            onError: { target: '#fileWriter.failed', actions: 'recordError' },
          },
        },
      },
    },
    closing: {
      invoke: {
        src: 'finishFile',
        input: ({ context }) => ({ file: context.file!, end: context.end! }),
        onDone: 'closed',
        onError: { target: 'failed', actions: 'recordError' },
      },
    },
    closed: {
      type: 'final',
      entry: 'notifyClosed',
    },
    failed: {
      type: 'final',
      entry: ['logFailure', 'releaseFile', 'notifyFailed'],
    },
  },
  output: ({ context }) => ({
    path: context.path,
    records: context.file?.records ?? 0,
    bytes: context.file?.writtenBytes ?? 0,
    ...(context.error ? { error: context.error } : {}),
  }),
});

/** Convenience for owners: the event that finishes a writer. */
export const closeWriter = (end: EndInfo): FileWriterEvent => ({ type: 'writer.close', end });
