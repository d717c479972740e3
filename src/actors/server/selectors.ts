import type { SnapshotFrom } from 'xstate';
import type { ErrorInfo } from '../../errors';
import { type StateLabels, stateLabel, stateText } from '../shared/stateLabel';
import type { ServedClient } from './connectionHandler.machine';
import { servedClients } from './servedLog';
import type { serverMachine } from './server.machine';

export type ServerSnapshot = SnapshotFrom<typeof serverMachine>;

/** Where the server listens, once it does. */
export function selectAddress(snapshot: ServerSnapshot): { host: string; port: number } | null {
  const { address } = snapshot.context;
  if (!address) return null;
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/**
 * People's names for the server's states, by dotted path. test/actors/stateLabels.test.ts
 * checks that every state of the machine is named.
 */
export const SERVER_STATE_LABELS: StateLabels = {
  opening: 'starting',
  binding: 'binding',
  'serving.listening': 'listening',
  'serving.stopping': 'stopping',
  finishing: 'closing files',
  stopped: 'stopped',
  failed: 'failed',
};

/** What the server is doing now. */
export interface ServerStatus {
  /** The state as a person names it (`listening`): see {@link SERVER_STATE_LABELS}. */
  state: string;
  /** The state, dotted (`serving.listening`), for programs. */
  statePath: string;
  /** Connections with a live handler (in their handshake or exchanging). */
  connections: number;
  /** Clients holding an ID now (exchanging). */
  clients: number;
  /** The last clients that have finished (up to the server's `keepServed`), each with how it ended. */
  served: readonly ServedClient[];
  /** Every client that has finished so far. */
  servedCount: number;
  /** Set once the server failed. */
  failure: ErrorInfo | null;
}

export function selectStatus(snapshot: ServerSnapshot): ServerStatus {
  const { context } = snapshot;
  return {
    state: stateLabel(snapshot.value, SERVER_STATE_LABELS),
    statePath: stateText(snapshot.value),
    connections: context.connections,
    clients: context.clients,
    served: servedClients(context.served, context.config.keepServed).clients,
    servedCount: context.served.total,
    failure: context.failure,
  };
}

/** True once the server listens (or has already given up). */
export function selectIsUp(snapshot: ServerSnapshot): boolean {
  return snapshot.status !== 'active' || snapshot.matches('serving');
}
