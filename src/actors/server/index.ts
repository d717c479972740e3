export type { Claim } from './clientRegistry';
export { ClientRegistry } from './clientRegistry';
export type {
  ConnectionHandlerEvent,
  ConnectionHandlerInput,
  HandlerRef,
  HandlerToServerEvent,
  ServedClient,
  ServerToHandlerEvent,
} from './connectionHandler.machine';
export { connectionHandlerMachine } from './connectionHandler.machine';
export type { PoolCommand, PoolReport } from './handlerPool';
export type { ExchangeLimits } from './limits';
export { DEFAULT_EXCHANGE_LIMITS } from './limits';
export type { PreHelloLimits, PreHelloRefusal } from './preHelloGate';
export { DEFAULT_PRE_HELLO_LIMITS } from './preHelloGate';
export type { ServerSnapshot, ServerStatus } from './selectors';
export { SERVER_STATE_LABELS, selectAddress, selectIsUp, selectStatus } from './selectors';
export type { ServerEvent, ServerInput, ServerSummary } from './server.machine';
export { serverMachine } from './server.machine';
export type { ResponderReport } from './tickResponder';
