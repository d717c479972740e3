export type { ChannelListener, ConnectOptions, ListenOptions, Transport } from './channelTransport';
export { normalizeAddress } from './channelTransport';
export { decodePayload, encodeFrame } from './codec';
export type { ByteChannel, ByteReceiver, Connection, ConnectionOptions } from './connection';
export { createFramedConnection, DEFAULT_MAX_SEND_BUFFER_BYTES } from './connection';
export {
  ConnectionError,
  DecodeError,
  describeError,
  FrameTooLargeError,
  InvalidMessageError,
  SlowConsumerError,
  TransportError,
} from './errors';
export type { FrameDecoder, FrameDecoderOptions } from './frameDecoder';
export { createFrameDecoder, DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, frame } from './frameDecoder';
export type { MemoryNetwork } from './memory';
export { createMemoryNetwork } from './memory';
export type {
  Bye,
  ClientHello,
  ClientMessage,
  MessageParser,
  Refused,
  Reply,
  ServerMessage,
  Tick,
  Welcome,
} from './sessionProtocol';
export {
  clientMessageSchema,
  parseClientMessage,
  parserFor,
  parseServerMessage,
  SESSION_PROTOCOL_VERSION,
  serverMessageSchema,
} from './sessionProtocol';
export type { ServerConnection, ClientConnection } from './sessionConnections';
export { clientConnection, serverConnection } from './sessionConnections';
export { tcpTransport, socketChannel } from './tcp';
