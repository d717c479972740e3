import {
  type ByteChannel,
  type Connection,
  type ConnectionOptions,
  createFramedConnection,
} from './connection';
import {
  type ClientMessage,
  parseClientMessage,
  parseServerMessage,
  type ServerMessage,
} from './sessionProtocol';

type Limits = Omit<ConnectionOptions<unknown>, 'parse'>;

/** The server's view of a client: client messages in, server messages out. */
export type ServerConnection = Connection<ClientMessage, ServerMessage>;
/** A client's view of the server: server messages in, client messages out. */
export type ClientConnection = Connection<ServerMessage, ClientMessage>;

export function serverConnection(channel: ByteChannel, limits: Limits = {}): ServerConnection {
  return createFramedConnection(channel, { ...limits, parse: parseClientMessage });
}

export function clientConnection(channel: ByteChannel, limits: Limits = {}): ClientConnection {
  return createFramedConnection(channel, { ...limits, parse: parseServerMessage });
}
