/**
 * The session protocol's numeric ranges, in a module of their own (no zod) so that the CLI
 * can check its flags against exactly what the protocol accepts without loading it.
 */

/** Client IDs a hello may ask for and a welcome may carry. */
export const MIN_CLIENT_ID = 1;
export const MAX_CLIENT_ID = 1_000_000;

/** The tick interval a hello may state, in milliseconds. */
export const MIN_HELLO_INTERVAL_MS = 0.001;
export const MAX_HELLO_INTERVAL_MS = 3_600_000;

/** Tick sequence numbers are unsigned 32-bit: a session has at most this many ticks. */
export const MAX_SEQ = 0xffff_ffff;
