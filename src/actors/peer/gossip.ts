import type { SwarmState } from '../../p2p/swarm';
import type { PeerEntry, PeerMessage } from '../../transport';
import type { Announcement } from '../transfer';

/** Most chunk indices in one `have` message. */
export const MAX_HAVE_CHUNKS = 4096;

/**
 * Collects `have`s and announces them once per turn of the event loop, one message per file
 * (at most {@link MAX_HAVE_CHUNKS} indices each): a burst of stored chunks costs each remote
 * one message, not one per chunk.
 */
export class HaveBatcher {
  private readonly pending = new Map<string, number[]>();

  constructor(private readonly announce: (announcement: Announcement) => void) {}

  add(name: string, index: number): void {
    if (this.pending.size === 0) queueMicrotask(() => this.flush());
    const list = this.pending.get(name);
    if (list) list.push(index);
    else this.pending.set(name, [index]);
  }

  private flush(): void {
    for (const [name, chunks] of this.pending) {
      for (let i = 0; i < chunks.length; i += MAX_HAVE_CHUNKS) {
        this.announce({
          message: { type: 'have', name, chunks: chunks.slice(i, i + MAX_HAVE_CHUNKS) },
        });
      }
    }
    this.pending.clear();
  }
}

/**
 * Cuts what a broadcast tells one remote down to what it does not know yet: `have`s only for
 * chunks it lacks, and no forwarded manifest (with nothing held yet) of a file it announced
 * to us itself. Control bytes stay a small fraction of the data even with many peers.
 */
export function tailorFor(
  swarm: SwarmState,
  remote: string,
  message: PeerMessage,
): PeerMessage | null {
  if (message.type === 'have') {
    const chunks = message.chunks.filter(
      (i) => !swarm.scheduler.peerHasChunk(remote, message.name, i),
    );
    if (chunks.length === 0) return null;
    return chunks.length === message.chunks.length ? message : { ...message, chunks };
  }
  if (message.type === 'manifest' && message.have.every((b) => b === 0)) {
    return swarm.scheduler.peerKnows(remote, message.name) ? null : message;
  }
  return message;
}

/** Tells every connection (but `except`) of new or newer membership entries. */
export function announceEntries(
  swarm: SwarmState,
  announce: (announcement: Announcement) => void,
  entries: PeerEntry[],
  except?: string,
): void {
  if (entries.length === 0) return;
  for (const message of swarm.peersMessages(entries))
    announce(except ? { message, except } : { message });
}
