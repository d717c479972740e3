import type { ByteChannel } from '../../transport';
import type { ParentRef } from '../shared';
import type { TransferInput, TransferToPeerEvent } from '../transfer';
import type { PeerContext } from './context';
import { tailorFor } from './gossip';

/** What a new transfer gets from its peer: the helpers it shares, and whom it reports to. */
export function transferInput(
  context: PeerContext,
  peer: ParentRef<TransferToPeerEvent>,
  id: string,
  direction: 'outbound' | 'inbound',
  where: {
    target?: { host: string; port: number };
    channel?: ByteChannel;
    expectedPeerId?: string;
  },
): TransferInput {
  const { swarm, config } = context;
  return {
    id,
    direction,
    transport: config.transport,
    ...where,
    ...(config.localAddress ? { localAddress: config.localAddress } : {}),
    identity: config.identity,
    ...(config.secret !== undefined ? { secret: config.secret } : {}),
    peer,
    uploader: context.uploader,
    chunks: context.chunks,
    announcements$: context.announcements.asObservable(),
    greeting: (remote) => swarm.greeting(remote),
    tailor: (remote, message) => tailorFor(swarm, remote, message),
    counters: context.counters,
    timing: config.timing,
    logger: context.logger,
  };
}
