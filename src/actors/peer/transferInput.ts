import type { ByteChannel } from '../../transport';
import type { TransferInput } from '../transfer';
import type { PeerContext } from './context';

/**
 * What a new transfer gets from its peer: settings, whom it reports its hello and end to
 * (the peer), and the keeper that takes its data path and control messages.
 */
export function transferInput(
  context: PeerContext,
  peer: TransferInput['peer'],
  id: string,
  direction: 'outbound' | 'inbound',
  where: {
    target?: { host: string; port: number };
    channel?: ByteChannel;
    expectedPeerId?: string;
  },
): TransferInput {
  const { config } = context;
  return {
    id,
    direction,
    transport: config.transport,
    ...where,
    ...(config.localAddress ? { localAddress: config.localAddress } : {}),
    identity: config.identity,
    ...(config.secret !== undefined ? { secret: config.secret } : {}),
    peer,
    keeper: context.keeper,
    timing: config.timing,
    logger: context.logger,
  };
}
