import type { Actor } from 'xstate';
import { type PeerInput, peerMachine, selectPeerAddress, selectPeerId } from '../actors/peer';
import type { PeerSummary } from '../p2p/peerSummary';
import { type HostPort, type StartOptions, startListening } from './start';

/** A started peer: its actor, its listening address, its ID, and its summary once it ends. */
export interface StartedPeer {
  actor: Actor<typeof peerMachine>;
  /** Where it listens. */
  address: HostPort;
  peerId: string;
  done: Promise<PeerSummary>;
}

/**
 * Starts a peer actor and waits until it listens; throws a `StartError` with the failure's
 * code when it cannot prepare (an unreadable file, an address in use).
 */
export async function startPeer(
  input: PeerInput,
  options: StartOptions = {},
): Promise<StartedPeer> {
  const started = await startListening(peerMachine, input, options, {
    address: selectPeerAddress,
    failure: (summary: PeerSummary) => summary.error ?? null,
    code: 'ERR_PEER',
  });
  return { ...started, peerId: selectPeerId(started.actor.getSnapshot()) };
}
