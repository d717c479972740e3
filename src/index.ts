/**
 * timeswarm as a library: the assignment run and the peer exchange (the main job), the start
 * functions for servers, clients and peers, the actors (XState machines) with their input,
 * event and output types, and the transports, storage formats and clocks they are built from.
 */
export type {
  ClientSessionEvent,
  ClientSessionInput,
  ClientSessionSnapshot,
  ClientSessionSummary,
  SessionProgress,
} from './actors/client';
export { clientSessionMachine, SESSION_STATE_LABELS, selectProgress } from './actors/client';
export type { PeerEvent, PeerInput, PeerProgress, PeerSnapshot } from './actors/peer';
export {
  peerMachine,
  selectInbound,
  selectKnowsFile,
  selectMemberStatus,
  selectPeerAddress,
  selectPeerCompleteAt,
  selectPeerId,
  selectPeerProgress,
  selectSelfEntry,
} from './actors/peer';
export type {
  ConnectionHandlerEvent,
  ConnectionHandlerInput,
  ExchangeLimits,
  HandlerToServerEvent,
  ServedClient,
  ServerEvent,
  ServerInput,
  ServerSnapshot,
  ServerStatus,
  ServerSummary,
} from './actors/server';
export {
  connectionHandlerMachine,
  SERVER_STATE_LABELS,
  selectAddress,
  selectStatus,
  serverMachine,
} from './actors/server';
export type { StateLabels } from './actors/shared';
export { stateLabel, stateText } from './actors/shared';
export type { TransferInput, TransferToPeerEvent } from './actors/transfer';
export { transferMachine } from './actors/transfer';
export type {
  FileWriterEvent,
  FileWriterInput,
  FileWriterNotification,
  FileWriterOutput,
  RecordSink,
} from './actors/writer';
export { closeWriter, fileWriterMachine } from './actors/writer';
export * as analysis from './analysis';
export { analysisTable, analyzeRun } from './analysis';
export * from './assignment';
export type { ErrorInfo } from './errors';
export { describeError, TimeswarmError } from './errors';
export type { CliInspection } from './inspect';
export { startCliInspection, startInspector } from './inspect';
export type { Logger } from './log/logger';
export { configureLogging, escapeLogFormat, getLogger } from './log/logger';
export { escapeText, jsonText, PEER_TEXT_MAX, peerText } from './log/peerText';
export * from './options';
export * as p2p from './p2p';
export type { PeerIdentity } from './p2p/identity';
export { formatPeerId, generateIdentity, loadOrCreateIdentity } from './p2p/identity';
export type { PeerSummary } from './p2p/peerSummary';
export * as report from './report';
export {
  collectRunMetadata,
  type RunMetadata,
  readRunMetadata,
  readTransferTimeline,
  writeReport,
  writeRunMetadata,
} from './report';
export * from './runtime';
export * as storage from './storage';
export * from './terminal';
export * from './time';
export * as transport from './transport';
export { createMemoryNetwork, tcpTransport } from './transport';
