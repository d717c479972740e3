import { merge, mergeMap, Observable } from 'rxjs';
import { describeError } from '../errors';
import { openReceivingFile, type ReceivingFile } from '../storage/chunkStore';
import { DiskBudget, type DiskBudgetOptions } from '../storage/diskSpace';
import type { Manifest } from '../storage/manifest';

/** A chunk as it came off a connection. */
export interface IncomingChunk {
  transferId: string;
  peerId: string;
  name: string;
  index: number;
  data: Uint8Array;
}

/** What became of a file open or a chunk: the peer machine's events. */
export type StorageEvent =
  | { type: 'file.opened'; name: string; file: ReceivingFile }
  | { type: 'file.failed'; name: string; code: string; message: string }
  | {
      type: 'chunk.stored';
      transferId: string;
      peerId: string;
      name: string;
      index: number;
      bytes: number;
      outcome: 'stored' | 'completed' | 'duplicate';
    }
  | {
      type: 'chunk.bad';
      transferId: string;
      peerId: string;
      name: string;
      index: number;
      code: string;
    }
  | { type: 'chunk.unwanted'; transferId: string; peerId: string; name: string; index: number };

export interface StoragePipelineOptions {
  dir: string;
  durable?: boolean;
  /**
   * Free disk shared by every file received into `dir` (§9.11): a file is accepted only if
   * its missing bytes fit in the free space (statfs) minus the reserve minus what files in
   * progress still need, else it fails with `ERR_NO_SPACE` before any `.part` exists.
   */
  disk?: DiskBudgetOptions;
  /** The receiving file for a name, once open. */
  receiving: (name: string) => ReceivingFile | undefined;
  /** Chunks verified and written at once. */
  concurrency?: number;
}

/**
 * The data path of a peer: chunks stream in from every connection, are verified against
 * their manifest hash and written to their file's temporary copy; files to receive are
 * opened (or resumed). Only the outcome of each reaches the peer machine, as an event.
 */
export function storagePipeline(
  opens$: Observable<Manifest>,
  chunks$: Observable<IncomingChunk>,
  options: StoragePipelineOptions,
): Observable<StorageEvent> {
  const concurrency = options.concurrency ?? 8;
  // A file whose open completes after the pipeline was torn down is closed, not leaked.
  let stopped = false;
  const budget = new DiskBudget(options.dir, options.disk);
  const opened = opens$.pipe(
    mergeMap(async (manifest): Promise<StorageEvent> => {
      try {
        const file = await openReceivingFile(options.dir, manifest, {
          durable: options.durable ?? true,
          budget,
        });
        if (stopped) await file.close();
        return { type: 'file.opened', name: manifest.name, file };
      } catch (error) {
        return { type: 'file.failed', name: manifest.name, ...describeError(error) };
      }
    }, 4),
  );
  const stored = chunks$.pipe(
    mergeMap(async (chunk): Promise<StorageEvent> => {
      const { transferId, peerId, name, index } = chunk;
      const file = options.receiving(name);
      if (!file || file.complete)
        return { type: 'chunk.unwanted', transferId, peerId, name, index };
      try {
        const outcome = await file.write(index, chunk.data);
        return {
          type: 'chunk.stored',
          transferId,
          peerId,
          name,
          index,
          bytes: chunk.data.length,
          outcome,
        };
      } catch (error) {
        const { code } = describeError(error);
        if (code === 'ERR_CHUNK_HASH')
          return { type: 'chunk.bad', transferId, peerId, name, index, code };
        return { type: 'file.failed', name, ...describeError(error) };
      }
    }, concurrency),
  );
  return new Observable<StorageEvent>((subscriber) => {
    const subscription = merge(opened, stored).subscribe(subscriber);
    return () => {
      stopped = true;
      subscription.unsubscribe();
    };
  });
}
