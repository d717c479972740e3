import { type EventObject, fromCallback } from 'xstate';
import type { ByteChannel, ChannelListener } from '../../transport';

/** A channel the listener accepted; the parent decides who owns it. */
export interface ConnectionAccepted {
  type: 'connection.accepted';
  channel: ByteChannel;
}

/**
 * Accepts connections on `input.listener` for as long as it runs, sending one
 * {@link ConnectionAccepted} each. When it stops, the listener closes: connections that arrive
 * meanwhile are refused by the OS (or destroyed at once), never held.
 */
export const acceptConnections = fromCallback<EventObject, { listener: ChannelListener }>(
  ({ input, sendBack }) => {
    input.listener.accept((channel) => sendBack({ type: 'connection.accepted', channel }));
    return () => {
      input.listener.accept((channel) => channel.destroy());
      void input.listener.close();
    };
  },
);
