import { type EventObject, fromCallback } from 'xstate';
import type { ByteChannel, ChannelListener } from '../../transport';

/** A channel the listener accepted; the parent decides who owns it. */
export interface ConnectionAccepted {
  type: 'connection.accepted';
  channel: ByteChannel;
}

/** A connection the listener closed at accept: the process is at its open-file limit. */
export interface ConnectionDropped {
  type: 'connection.dropped';
  address: string;
}

/**
 * Accepts connections on `input.listener` for as long as it runs, sending one
 * {@link ConnectionAccepted} each, and a {@link ConnectionDropped} for each one the listener
 * had to close at accept (open-file limit). When it stops, the listener closes: connections that arrive
 * meanwhile are refused by the OS (or destroyed at once), never held.
 */
export const acceptConnections = fromCallback<EventObject, { listener: ChannelListener }>(
  ({ input, sendBack }) => {
    input.listener.accept(
      (channel) => sendBack({ type: 'connection.accepted', channel }),
      (address) => sendBack({ type: 'connection.dropped', address }),
    );
    return () => {
      input.listener.accept((channel) => channel.destroy());
      void input.listener.close();
    };
  },
);
