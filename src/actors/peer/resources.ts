import { type EventObject, fromCallback, fromPromise } from 'xstate';
import { openSourceFile, type StoredFile } from '../../storage/chunkStore';
import { StorageError } from '../../storage/errors';
import { buildManifest } from '../../storage/manifest';
import type { Clock } from '../../time';
import type { ChannelListener } from '../../transport';
import type { PeerConfig } from './config';
import type { KeeperRef } from './keeperEvents';

/** What `prepare` hands the peer: its own files, opened, and the listener. */
export interface Prepared {
  sources: StoredFile[];
  listener: ChannelListener;
}

/** Describes the peer's own files (manifests), opens them for serving, then listens. */
export const prepare = fromPromise<Prepared, { config: PeerConfig }>(async ({ input, signal }) => {
  const { config } = input;
  const manifests = await Promise.all(
    config.files.map((path) => buildManifest(path, { chunkSize: config.chunkSize, signal })),
  );
  const names = new Set<string>();
  for (const manifest of manifests) {
    if (names.has(manifest.name)) {
      throw new StorageError(`Two files are named ${manifest.name}`, 'ERR_DUPLICATE_NAME');
    }
    names.add(manifest.name);
  }
  const sources = await Promise.all(manifests.map((m, i) => openSourceFile(config.files[i]!, m)));
  try {
    // A peer stopped while preparing never gets these: nothing may outlive it.
    signal.throwIfAborted();
    const listener = await config.transport.listen(config.listen);
    if (signal.aborted) {
      await listener.close().catch(() => undefined);
      signal.throwIfAborted();
    }
    return { sources, listener };
  } catch (error) {
    await Promise.all(sources.map((s) => s.close()));
    throw error;
  }
});

/**
 * Tells the keeper to tick every `ms` (it answers the peer with a fresh view and `peer.tick`).
 * The tick is sent before the next one is armed, and sending it may stop this very actor (a
 * tick that ends the swarm state): then nothing is armed again, so no timer outlives the peer
 * and keeps its process alive.
 */
export const ticker = fromCallback<EventObject, { clock: Clock; ms: number; keeper: KeeperRef }>(
  ({ input }) => {
    let stopped = false;
    let handle: unknown = null;
    const tick = () => {
      handle = null;
      input.keeper.send({ type: 'keeper.tick' });
      if (!stopped) handle = input.clock.setTimeout(tick, input.ms);
    };
    handle = input.clock.setTimeout(tick, input.ms);
    return () => {
      stopped = true;
      if (handle !== null) input.clock.clearTimeout(handle);
    };
  },
);
