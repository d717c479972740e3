import { openBatchedAppender } from './batchedAppender';
import { type FileSystem, nodeFileSystem } from './fileSystem';
import type { EndInfo, RecordFormat } from './recordFormat';

/** A file of records in some {@link RecordFormat}: numbered, buffered, finished with a footer. */
export interface RecordFile<R> {
  readonly path: string;
  /** Records written so far (the number of the last row). */
  readonly records: number;
  readonly writtenBytes: number;
  /** Formats and buffers one record; cheap enough to call per message. */
  write(record: R): void;
  /** Hands everything buffered to the OS. */
  flush(): Promise<void>;
  /** Flushes, writes the footer, fsyncs and closes. */
  finish(end: EndInfo): Promise<void>;
  /** Releases the file after a failure, without a footer: the file reads as "ended abruptly". */
  abandon(): Promise<void>;
}

/** Creates `path` (truncating it) with the format's header, through `fs`. */
export async function openRecordFile<R>(
  path: string,
  format: RecordFormat<R>,
  fs: FileSystem = nodeFileSystem,
): Promise<RecordFile<R>> {
  const appender = await openBatchedAppender(path, format.header, fs);
  let records = 0;
  return {
    path,
    get records() {
      return records;
    },
    get writtenBytes() {
      return appender.writtenBytes;
    },
    write(record) {
      // Count the record only once it is buffered: a write after finish throws ERR_CLOSED.
      appender.append(format.line(record, records + 1));
      records += 1;
    },
    flush: () => appender.flush(),
    finish: (end) => appender.close(format.footer(end)),
    abandon: () => appender.abandon(),
  };
}
