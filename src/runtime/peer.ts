import type { Actor } from 'xstate';
import { type PeerInput, peerMachine, selectPeerAddress, selectPeerId } from '../actors/peer';
import { loadOrCreateIdentity } from '../p2p/identity';
import type { PeerSummary } from '../p2p/peerSummary';
import { type HostPort, type StartOptions, startListening } from './start';

/**
 * The key file a peer uses when not told otherwise: in its own folder, hidden (no received
 * file can have this name: names never start with `.`), so one folder is one identity.
 */
export const DEFAULT_PEER_KEY_FILE = '.timeswarm-peer.key';

/** A started peer: its actor, its listening address, its ID, and its summary once it ends. */
export interface StartedPeer {
  actor: Actor<typeof peerMachine>;
  /** Its key file, when it was started with one; `keyCreated` when this start created it. */
  keyPath: string | null;
  keyCreated: boolean;
  /** Where it listens. */
  address: HostPort;
  peerId: string;
  done: Promise<PeerSummary>;
}

/**
 * Starts a peer actor and waits until it listens (with `keyPath`, after loading its key
 * file, or creating it with mode 0600 on first run); throws a `StartError` with the failure's
 * code when it cannot prepare (an unreadable file, an address in use).
 */
export async function startPeer(
  input: PeerInput & { keyPath?: string },
  options: StartOptions = {},
): Promise<StartedPeer> {
  const { keyPath, ...peerInput } = input;
  let keyCreated = false;
  if (keyPath !== undefined && peerInput.identity === undefined) {
    const loaded = await loadOrCreateIdentity({ keyPath });
    peerInput.identity = loaded.identity;
    keyCreated = loaded.created;
  }
  const started = await startListening(peerMachine, peerInput, options, {
    address: selectPeerAddress,
    failure: (summary: PeerSummary) => summary.error ?? null,
    code: 'ERR_PEER',
  });
  return {
    ...started,
    keyPath: keyPath ?? null,
    keyCreated,
    peerId: selectPeerId(started.actor.getSnapshot()),
  };
}
