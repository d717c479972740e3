import type { EndInfo } from '../../storage';
import type { Bye, Refused, ServerMessage } from '../../transport';
import { type Failure, failure } from '../errors';

/**
 * Every way a client session can fail or end early, as a {@link Failure} with a stable code.
 * The machines carry these as data; the text in them is what the CLI and the file's footer show.
 */
export const failures = {
  stopped: (reason: string) => failure('ERR_STOPPED', reason),
  handshakeTimeout: () => failure('ERR_TIMEOUT', 'handshake timed out'),
  secretRequired: () =>
    failure('ERR_AUTH_REQUIRED', 'the server requires a shared secret (--secret)'),
  serverUnproven: () =>
    failure('ERR_AUTH', 'the server could not prove it knows the shared secret'),
  serverSkippedAuth: () =>
    failure(
      'ERR_AUTH',
      'the server did not authenticate (it has no secret, or is not the one you meant)',
    ),
  refused: (message: Refused) => failure(message.code, `server refused: ${message.reason}`),
  bye: (message: Bye) => failure('ERR_SERVER_BYE', `server ended the session: ${message.reason}`),
  unexpected: (message: ServerMessage) =>
    failure('ERR_PROTOCOL', `unexpected ${message.type} message from the server`),
  replyTimeout: (ms: number) => failure('ERR_REPLY_TIMEOUT', `no reply for ${ms} ms`),
  /** A file of the session could not be written: the failure is the disk's, the footer says which file. */
  fileFailed: (path: string, error: Failure) =>
    failure(error.code, `file ${path} failed: ${error.message}`),
  /** The last reconnection attempt failed: what was lost first, and why coming back failed. */
  reconnectFailed: (lost: Failure | null, attempts: number, last: Failure | null) => {
    const cause = lost ?? failure('ERR_CONNECTION_CLOSED', 'connection lost');
    return failure(
      cause.code,
      `${cause.message} (reconnecting failed after ${attempts} attempts: ${last?.message ?? 'no welcome'})`,
    );
  },
};

/** What the footer says about time spent disconnected, if there was any. */
export function gapNote(reconnections: number, offlineSlots: number): string | null {
  if (reconnections === 0 && offlineSlots === 0) return null;
  return `${reconnections} reconnection${reconnections === 1 ? '' : 's'}, ${offlineSlots} slot${offlineSlots === 1 ? '' : 's'} skipped while disconnected`;
}

/** The footer of both files of a session: the real duration and, if it ended early, why. */
export function footer(session: {
  startedAt: number | null;
  endedAt: number | null;
  endedEarly: Failure | null;
  reconnections: number;
  offlineSlots: number;
}): EndInfo {
  const note = gapNote(session.reconnections, session.offlineSlots);
  return {
    durationMs: (session.endedAt ?? 0) - (session.startedAt ?? session.endedAt ?? 0),
    ...(session.endedEarly ? { endedEarly: session.endedEarly.message } : {}),
    ...(note ? { notes: note } : {}),
  };
}
