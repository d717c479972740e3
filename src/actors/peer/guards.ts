import { admission } from './admission';
import type { PeerContext } from './context';
import type { FromRemote, PeerEvent } from './events';
import { viewIsComplete } from './view';

type Args = { context: PeerContext; event: PeerEvent };
export type PeerGuardName =
  | 'isComplete'
  | 'notComplete'
  | 'hasMet'
  | 'isUnknownTransfer'
  | 'isBanned'
  | 'losesDuplicate'
  | 'isFull'
  | 'replacesDuplicate'
  | 'isStale'
  | 'isBadManifest'
  | 'isConflictingManifest'
  | 'isIgnoredManifest'
  | 'isKnownManifest'
  | 'isUnknownFile'
  | 'bringsNoNewChunk'
  | 'bringsNews'
  | 'tooManyBadChunks'
  | 'nothingToDo'
  | 'somethingToDo'
  | 'lingeredEnough'
  | 'gaveUp'
  | 'othersComplete'
  | 'noTransfers'
  | 'succeeded';

/** A guard of the peer machine (no params). */
type Guard = (args: Args, params: undefined) => boolean;

export const isComplete = (context: PeerContext) =>
  viewIsComplete(context.view, context.config.expect, context.met);

/** Every decision of the peer machine, by name (see `peer.machine.ts` for where each is asked). */
export const peerGuards: Record<PeerGuardName, Guard> = {
  isComplete: ({ context }: Args) => isComplete(context),
  notComplete: ({ context }: Args) => !isComplete(context),
  hasMet: ({ context }: Args) => context.met > 0,
  isUnknownTransfer: ({ context, event }: Args) =>
    event.type === 'transfer.hello' && admission.isUnknownTransfer(context, event),
  isBanned: ({ context, event }: Args) =>
    event.type === 'transfer.hello' && admission.isBanned(context, event),
  losesDuplicate: ({ context, event }: Args) =>
    event.type === 'transfer.hello' && admission.losesDuplicate(context, event),
  isFull: ({ context, event }: Args) =>
    event.type === 'transfer.hello' && admission.isFull(context, event),
  replacesDuplicate: ({ context, event }: Args) =>
    event.type === 'transfer.hello' && admission.replacesDuplicate(context, event),
  /** A message from a transfer that is not (or no longer) its peer's admitted one. */
  isStale: ({ context, event }: Args) =>
    context.activeByPeer[(event as FromRemote).peerId] !== (event as FromRemote).transferId,
  // What a manifest is to us: the keeper judged it as it arrived (`SwarmState.judgeManifest`).
  isBadManifest: ({ event }: Args) =>
    event.type === 'transfer.manifest' && event.verdict.kind === 'bad',
  isConflictingManifest: ({ event }: Args) =>
    event.type === 'transfer.manifest' && event.verdict.kind === 'conflict',
  /** Signed by an owner off the trust list, or one name too many (§9.6, §9.11). */
  isIgnoredManifest: ({ event }: Args) =>
    event.type === 'transfer.manifest' && event.verdict.kind === 'ignored',
  isKnownManifest: ({ event }: Args) =>
    event.type === 'transfer.manifest' && event.verdict.kind === 'known',
  isUnknownFile: ({ event }: Args) =>
    event.type === 'transfer.have' && event.verdict === 'unknownFile',
  /**
   * A `have` that only repeats chunks the peer already told us of: not progress (else a peer
   * repeating it forever would keep us lingering forever).
   */
  bringsNoNewChunk: ({ event }: Args) =>
    event.type === 'transfer.have' && event.verdict === 'nothingNew',
  /** A `peers` message with entries new or newer than ours. */
  bringsNews: ({ event }: Args) => event.type === 'transfer.peers' && event.news,
  /** This bad chunk (counted by the keeper: `bad`) is one too many from its sender. */
  tooManyBadChunks: ({ context, event }: Args) =>
    event.type === 'chunk.bad' && event.bad >= context.config.maxBadChunks,
  /** Nothing asked of anyone and no connection being set up: waiting on the swarm. */
  nothingToDo: ({ context }: Args) =>
    context.view.inFlight === 0 &&
    Object.values(context.transfers).every((r) => r.stage === 'trading'),
  somethingToDo: ({ context }: Args) =>
    context.view.inFlight > 0 ||
    Object.values(context.transfers).some((r) => r.stage !== 'trading'),
  lingeredEnough: ({ context }: Args) =>
    context.config.clock.now() -
      Math.max(context.completeAt ?? 0, context.lastProgressAt, context.view.lastSentAt) >=
    context.config.lingerMs,
  gaveUp: ({ context }: Args) =>
    context.config.clock.now() - Math.max(context.waitingSince, context.lastProgressAt) >=
    context.config.giveUpAfterMs,
  /** With `expect`, everyone we know is complete; without it, we cannot know, so linger on. */
  othersComplete: ({ context }: Args) =>
    context.config.expect !== null && context.view.othersComplete,
  noTransfers: ({ context }: Args) => Object.keys(context.transfers).length === 0,
  succeeded: ({ context }: Args) => context.failure === null && isComplete(context),
};
