import type { Subject } from 'rxjs';
import { type EventObject, fromCallback, fromPromise } from 'xstate';
import { type IncomingChunk, type StorageEvent, storagePipeline } from '../../p2p/storagePipeline';
import type { SwarmState } from '../../p2p/swarm';
import type { Uploader } from '../../p2p/uploader';
import { openSourceFile, type StoredFile } from '../../storage/chunkStore';
import { StorageError } from '../../storage/errors';
import { buildManifest, type Manifest } from '../../storage/manifest';
import type { Clock } from '../../time';
import type { ChannelListener } from '../../transport';
import type { PeerConfig } from './config';

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
    const listener = await config.transport.listen(config.listen);
    return { sources, listener };
  } catch (error) {
    await Promise.all(sources.map((s) => s.close()));
    throw error;
  }
});

export interface StorageInput {
  swarm: SwarmState;
  opens: Subject<Manifest>;
  chunks: Subject<IncomingChunk>;
  dir: string;
  durable: boolean;
}

/** Verifies and writes chunks off the machine; only each outcome comes back, as an event. */
export const storage = fromCallback<EventObject, StorageInput>(({ input, sendBack }) => {
  const subscription = storagePipeline(input.opens, input.chunks, {
    dir: input.dir,
    durable: input.durable,
    receiving: (name) => input.swarm.receiving(name),
  }).subscribe((event: StorageEvent) => sendBack(event));
  return () => subscription.unsubscribe();
});

/**
 * Sends `peer.tick` every `ms`. The tick is sent before the next one is armed, and sending it
 * may stop this very actor (a tick that ends the swarm state): then nothing is armed again, so
 * no timer outlives the peer and keeps its process alive.
 */
export const ticker = fromCallback<EventObject, { clock: Clock; ms: number }>(
  ({ input, sendBack }) => {
    let stopped = false;
    let handle: unknown = null;
    const tick = () => {
      handle = null;
      sendBack({ type: 'peer.tick' });
      if (!stopped) handle = input.clock.setTimeout(tick, input.ms);
    };
    handle = input.clock.setTimeout(tick, input.ms);
    return () => {
      stopped = true;
      if (handle !== null) input.clock.clearTimeout(handle);
    };
  },
);

/**
 * Owns the uploader and the open files for as long as the peer is in the swarm: however
 * the swarm state is left (even by stopping the actor), uploads stop and files close.
 */
export const holdResources = fromCallback<EventObject, { swarm: SwarmState; uploader: Uploader }>(
  ({ input }) => {
    return () => {
      input.uploader.stop();
      for (const record of input.swarm.files.values()) {
        record.stored?.close().catch(() => undefined);
      }
    };
  },
);

/** Stops uploads, closes the listener and every file, waiting for them. */
export const closeFiles = fromPromise<
  void,
  { swarm: SwarmState; uploader: Uploader; listener: ChannelListener | null }
>(async ({ input }) => {
  input.uploader.stop();
  // The listener is closed when `acceptConnections` stops; but a peer complete on its own
  // passes through `swarm` within one step, and an actor stopped before it started never
  // runs its cleanup. Closing twice is harmless; leaving it open keeps the process alive.
  await input.listener?.close().catch(() => undefined);
  await Promise.all(
    [...input.swarm.files.values()].map((record) => record.stored?.close().catch(() => undefined)),
  );
});
