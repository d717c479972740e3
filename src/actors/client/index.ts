export type { ClientHandshakeInput, HandshakeOutcome } from './handshake.machine';
export { clientHandshakeMachine } from './handshake.machine';
export type { LedgerCommand, LedgerReport } from './ledger';
export type { ClientSessionSnapshot, SessionProgress } from './selectors';
export { SESSION_STATE_LABELS, selectProgress, stateText } from './selectors';
export type { ClientSessionEvent } from './session.machine';
export { clientSessionMachine } from './session.machine';
export type { ClientSessionContext, ClientSessionInput } from './sessionContext';
export type { ClientSessionSummary } from './summary';
