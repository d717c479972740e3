export { clientProof, createNonce, proofMatches, serverProof } from './auth';
export type { ChannelListener, ConnectOptions, ListenOptions, Transport } from './channelTransport';
export { normalizeAddress } from './channelTransport';
export { decodePayload, encodeFrame } from './codec';
export type {
  ByteChannel,
  ByteReceiver,
  Connection,
  ConnectionOptions,
  Received,
  Stamp,
} from './connection';
export { createFramedConnection, DEFAULT_MAX_SEND_BUFFER_BYTES, systemStamp } from './connection';
export {
  ConnectionError,
  DecodeError,
  FrameTooLargeError,
  InvalidMessageError,
  SlowConsumerError,
  TransportError,
} from './errors';
export type { FrameDecoder, FrameDecoderOptions } from './frameDecoder';
export {
  createFrameDecoder,
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_HEADER_BYTES,
  frame,
} from './frameDecoder';
export type { FrameKeys } from './frameMac';
export {
  FRAME_MAC_BYTES,
  FrameAuthError,
  frameOpener,
  frameSealer,
  sessionFrameKeys,
} from './frameMac';
export type { MemoryNetwork } from './memory';
export { createMemoryNetwork } from './memory';
export type { ByteCounters, PeerConnection } from './peerConnection';
export { countingChannel, PEER_MAX_FRAME_BYTES, peerConnection } from './peerConnection';
export type {
  CancelMessage,
  ChunkMessage,
  DoneMessage,
  ForeignHello,
  HaveMessage,
  ManifestMessage,
  PeerAuth,
  PeerBye,
  PeerEntry,
  PeerHello,
  PeerMessage,
  PeersMessage,
  RejectMessage,
  RequestMessage,
  WireRecord,
} from './peerProtocol';
export {
  isCurrentHello,
  MAX_OFFERS,
  MAX_PEERS_PER_MESSAGE,
  MAX_WIRE_CHUNK_BYTES,
  MAX_WIRE_CHUNKS,
  PEER_PROTOCOL_VERSION,
  parsePeerMessage,
  peerBodySchema,
} from './peerProtocol';
export type {
  AuthMessage,
  ByeV2,
  HandshakeMessage,
  HelloV2,
  ManifestV2Message,
  PeerMessageV2,
  RecordsMessage,
  WireAddress,
  WireSignedRecord,
} from './peerProtocolV2';
export {
  handshakeMessageSchema,
  helloVersion,
  MAX_RECORD_ADDRESSES_V2,
  MAX_RECORDS_PER_MESSAGE,
  MAX_WIRE_NAME_LENGTH,
  PEER_PROTOCOL_V2,
  parseHandshakeMessage,
  parsePeerMessageV2,
  peerMessageV2Schema,
} from './peerProtocolV2';
export type { ClientConnection, ServerConnection } from './sessionConnections';
export { clientConnection, serverConnection } from './sessionConnections';
export {
  MAX_CLIENT_ID,
  MAX_HELLO_INTERVAL_MS,
  MAX_SEQ,
  MIN_CLIENT_ID,
  MIN_HELLO_INTERVAL_MS,
} from './sessionLimits';
export type {
  Auth,
  Bye,
  Challenge,
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
export { socketChannel, tcpTransport } from './tcp';
