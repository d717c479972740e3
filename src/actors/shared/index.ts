export type { ConnectionAccepted, ConnectionDropped } from './acceptConnections';
export { acceptConnections } from './acceptConnections';
export type {
  ConnectionEventsOptions,
  ConnectionLost,
  Readable,
  WireEvent,
} from './connectionEvents';
export { connectionEvents, readConnection } from './connectionEvents';
export type { ParentRef } from './refs';
export type { StateLabels } from './stateLabel';
export { labelOf, stateLabel, statePaths, stateText } from './stateLabel';
