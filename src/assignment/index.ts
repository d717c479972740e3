export type { ClientExchange, ClientRun } from './clientExchange';
export { clientFiles, exchangeClientFiles } from './clientExchange';
export type { ExchangeOptions, ExchangeResult, VerifiedCopy } from './exchangeFiles';
export { exchangeFiles } from './exchangeFiles';
export type { AssignmentOptions, AssignmentResult } from './runAssignment';
export { runAssignment } from './runAssignment';
