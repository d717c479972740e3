import { Observable, take } from 'rxjs';
import { fromCallback } from 'xstate';
import { describeError, type ErrorInfo } from '../../errors';
import type { Received, Stamp } from '../../transport';

/**
 * One event per wire message: a message `{ type: 'welcome', … }` read from a connection whose
 * events are prefixed `server` becomes `{ type: 'server.welcome', message, at }`, so a machine's
 * transitions name exactly what they react to and TypeScript narrows `message` for them.
 * `at` is when the message's bytes arrived (see {@link Received}).
 */
export type WireEvent<P extends string, M extends { type: string }> = M extends unknown
  ? { type: `${P}.${M['type']}`; message: M; at: Stamp }
  : never;

/** The connection ended: cleanly (`ERR_CONNECTION_CLOSED`) or not (the transport's code). */
export interface ConnectionLost {
  type: 'connection.lost';
  error: ErrorInfo;
}

export interface ConnectionEventsOptions {
  /** What a clean end is called, from this side's point of view ("server closed the connection"). */
  closedMessage: string;
  /**
   * Deliver this many messages, then let go of the connection: what the remote sent behind them
   * stays queued in the connection for the next reader (e.g. read the hello alone, then hand
   * the connection to the data path). Ending before that many is still `connection.lost`.
   */
  count?: number;
}

/** Anything with a connection's message stream. */
export interface Readable<M> {
  readonly messages$: Observable<Received<M>>;
}

/**
 * A connection's messages as {@link WireEvent}s, and its end, clean or not, as one
 * {@link ConnectionLost}. The one adapter between connections and machines.
 */
export function connectionEvents<P extends string, M extends { type: string }>(
  prefix: P,
  connection: Readable<M>,
  options: ConnectionEventsOptions,
): Observable<WireEvent<P, M> | ConnectionLost> {
  return new Observable((subscriber) => {
    const limit = options.count;
    let delivered = 0;
    // `take` ends the read inside the `next` that reaches the limit, even when the messages
    // were already queued and arrive while subscribing: what follows stays in the connection.
    const source =
      limit === undefined ? connection.messages$ : connection.messages$.pipe(take(limit));
    const subscription = source.subscribe({
      next: ({ message, at }) => {
        delivered += 1;
        subscriber.next({ type: `${prefix}.${message.type}`, message, at } as WireEvent<P, M>);
      },
      error: (error) => subscriber.next({ type: 'connection.lost', error: describeError(error) }),
      complete: () => {
        if (limit !== undefined && delivered >= limit) {
          subscriber.complete();
          return;
        }
        subscriber.next({
          type: 'connection.lost',
          error: { code: 'ERR_CONNECTION_CLOSED', message: options.closedMessage },
        });
      },
    });
    return () => subscription.unsubscribe();
  });
}

/**
 * An actor that reads `input.connection` for as long as it runs, sending its parent one event
 * per message ({@link connectionEvents}). Invoke it in the states that listen.
 *
 * @example
 * actors: { readServer: readConnection<'server', ServerMessage>('server', { closedMessage: 'server closed the connection' }) }
 */
export function readConnection<P extends string, M extends { type: string }>(
  prefix: P,
  options: ConnectionEventsOptions,
) {
  return fromCallback<WireEvent<P, M> | ConnectionLost, { connection: Readable<M> }>(
    ({ input, sendBack }) => {
      const subscription = connectionEvents(prefix, input.connection, options).subscribe(sendBack);
      return () => subscription.unsubscribe();
    },
  );
}
