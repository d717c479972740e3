import { fromCallback } from 'xstate';
import { describeError } from '../../errors';
import type { Logger } from '../../log/logger';
import {
  type EndInfo,
  type FileSystem,
  moveAside,
  nodeFileSystem,
  openRecordFile,
  type RecordFile,
  type RecordFormat,
} from '../../storage';
import type { Failure } from '../errors';

/**
 * Where producers hand records for a file that a writer owns: the capability a writer gives
 * out once its file is open (`writer.opened`). Writing formats and buffers the record at once,
 * without a state transition (a server writes two rows per tick per client). Records handed
 * in after the writer was told to close, or after it failed, are dropped.
 */
export interface RecordSink<R> {
  write(record: R): void;
}

/** What the writer machine asks of the file actor. */
export type RecordFileCommand = { type: 'file.flush' } | { type: 'file.finish'; end: EndInfo };

/** What the file actor tells the writer machine. */
export type RecordFileReport =
  | { type: 'file.opened'; sink: RecordSink<unknown> }
  | { type: 'file.flushed' }
  | { type: 'file.finished'; records: number; bytes: number }
  | { type: 'file.failed'; error: Failure; records: number };

export interface RecordFileInput {
  path: string;
  format: RecordFormat<unknown>;
  /** Move an existing file at `path` aside (`name.1.ext`) instead of overwriting it. */
  keepExisting: boolean;
  logger: Logger;
  /** Where the file is written (default: the real file system; tests pass a failing disk). */
  fs?: FileSystem;
}

/**
 * Owns one open {@link RecordFile} for a writer machine: opens it, hands out its
 * {@link RecordSink}, runs flushes and the finish one after another, and reports each outcome.
 * Stopped before the file was finished (its owner went away), it releases the handle
 * without a footer, so no file handle is left to the garbage collector.
 */
export const recordFile = fromCallback<RecordFileCommand, RecordFileInput, RecordFileReport>(
  ({ input, sendBack, receive }) => {
    let file: RecordFile<unknown> | null = null;
    /** The sink takes records: open, not yet closing, not failed. */
    let accepting = false;
    /** Finished or failed: nothing is left to release. */
    let settled = false;
    let finishing = false;
    let stopped = false;
    // Flushes and the finish touch the same handle: each waits for the one before.
    let work: Promise<void> = Promise.resolve();

    const report = (event: RecordFileReport) => {
      if (!stopped) sendBack(event);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      accepting = false;
      report({ type: 'file.failed', error: describeError(error), records: file?.records ?? 0 });
      void file?.abandon().catch(() => undefined);
    };
    const sink: RecordSink<unknown> = {
      write(record) {
        if (!accepting) return;
        try {
          file!.write(record);
        } catch (error) {
          fail(error);
        }
      },
    };

    (async () => {
      const fs = input.fs ?? nodeFileSystem;
      if (input.keepExisting) {
        const movedTo = await moveAside(input.path, fs);
        if (movedTo) input.logger.warn(`kept the previous ${input.path} as ${movedTo}`);
      }
      return openRecordFile(input.path, input.format, fs);
    })().then((opened) => {
      file = opened;
      if (stopped) {
        settled = true;
        void opened.abandon().catch(() => undefined);
        return;
      }
      accepting = true;
      report({ type: 'file.opened', sink });
    }, fail);

    receive((command) => {
      if (settled || file === null) return;
      const open = file;
      if (command.type === 'file.flush') {
        work = work
          .then(() => (settled ? undefined : open.flush()))
          .then(() => {
            if (!settled) report({ type: 'file.flushed' });
          }, fail);
        return;
      }
      accepting = false;
      finishing = true;
      work = work
        .then(() => open.finish(command.end))
        .then(() => {
          settled = true;
          report({ type: 'file.finished', records: open.records, bytes: open.writtenBytes });
        }, fail);
    });

    return () => {
      stopped = true;
      accepting = false;
      // A finish under way completes on its own; an open file nobody will finish is released.
      if (!settled && !finishing && file !== null) {
        settled = true;
        void file.abandon().catch(() => undefined);
      }
    };
  },
);
