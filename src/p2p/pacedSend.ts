import type { Clock } from '../time/clock';
import type { PeerMessage } from '../transport/peerProtocol';

/** What a paced sender needs of a connection. */
export interface PacedLink {
  readonly bufferedBytes: number;
  readonly isClosed: boolean;
  send(message: PeerMessage): void;
}

/** An upper estimate of a message's encoded size: its byte fields plus room for the rest. */
export function messageBytes(message: PeerMessage): number {
  let bytes = 256;
  for (const value of Object.values(message)) {
    if (value instanceof Uint8Array) bytes += value.length;
    else if (Array.isArray(value)) bytes += value.length * 160;
    else if (typeof value === 'string') bytes += value.length;
  }
  return bytes;
}

/**
 * Sends `messages` in order without ever queueing more than `maxQueuedBytes` towards one
 * peer (§9.10): as many as fit now, the rest each `retryMs` as the socket drains, until all
 * are sent or the connection closed. One message larger than the budget still goes alone
 * (a frame is at most ~1 MiB). So a greeting of many large manifests stays under the send
 * cap (`ERR_SLOW_CONSUMER`) that a newcomer would otherwise be cut off by.
 */
export function sendPaced(
  link: PacedLink,
  messages: readonly PeerMessage[],
  options: { clock: Pick<Clock, 'setTimeout'>; maxQueuedBytes?: number; retryMs?: number },
): void {
  const max = options.maxQueuedBytes ?? 4 * 1024 * 1024;
  const retryMs = options.retryMs ?? 10;
  let next = 0;
  const step = () => {
    let budget = max - link.bufferedBytes;
    let sent = 0;
    while (next < messages.length && !link.isClosed) {
      const size = messageBytes(messages[next]!);
      if (size > budget && (sent > 0 || link.bufferedBytes > 0)) break;
      link.send(messages[next++]!);
      budget -= size;
      sent += 1;
    }
    if (next < messages.length && !link.isClosed) options.clock.setTimeout(step, retryMs);
  };
  step();
}
