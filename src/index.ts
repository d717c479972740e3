/**
 * timeswarm as a library: the assignment run and the peer exchange (the main job), the start
 * functions for servers, clients and peers, the actors (XState machines) with their input,
 * event and output types, and the transports, storage formats and clocks they are built from.
 */
export type { ClientSessionEvent, ClientSessionInput } from './actors/clientSession.machine';
export { clientSessionMachine } from './actors/clientSession.machine';
export type {
  ConnectionHandlerEvent,
  ConnectionHandlerInput,
  HandlerToServerEvent,
} from './actors/connectionHandler.machine';
export { connectionHandlerMachine } from './actors/connectionHandler.machine';
export type {
  FileWriterEvent,
  FileWriterInput,
  FileWriterNotification,
  FileWriterOutput,
} from './actors/fileWriter.machine';
export { closeWriter, fileWriterMachine } from './actors/fileWriter.machine';
export type { PeerEvent, PeerInput } from './actors/peer.machine';
export { peerMachine } from './actors/peer.machine';
export type {
  ServedClient,
  ServerEvent,
  ServerInput,
  ServerSummary,
} from './actors/server.machine';
export { serverMachine } from './actors/server.machine';
export type { ClientSessionSummary } from './actors/sessionSummary';
export type { TransferInput, TransferToPeerEvent } from './actors/transfer.machine';
export { transferMachine } from './actors/transfer.machine';
export * as analysis from './analysis';
export { analysisTable, analyzeRun } from './analysis';
export * from './assignment';
export type { ErrorInfo } from './errors';
export { describeError, TimeswarmError } from './errors';
export type { CliInspection } from './inspect';
export { startCliInspection, startInspector } from './inspect';
export type { Logger } from './log/logger';
export { configureLogging, getLogger } from './log/logger';
export * from './options';
export * as p2p from './p2p';
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
