import { z } from 'zod';
import { InvalidMessageError } from './errors';
import {
  MAX_CLIENT_ID,
  MAX_HELLO_INTERVAL_MS,
  MAX_SEQ,
  MIN_CLIENT_ID,
  MIN_HELLO_INTERVAL_MS,
} from './sessionLimits';

/**
 * The timestamp-exchange protocol between a client and the server (see docs/protocol.md).
 * Times are integers: microseconds since the Unix epoch, UTC, on the sender's wall clock.
 */
export const SESSION_PROTOCOL_VERSION = 1;

const micros = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const seq = z.number().int().min(0).max(MAX_SEQ);
const clientId = z.number().int().min(MIN_CLIENT_ID).max(MAX_CLIENT_ID);
const reason = z.string().max(500);
/** Binary of an exact length (msgpack bin; decoded as a Buffer). */
const bytes = (length: number) =>
  z.custom<Uint8Array>(
    (b) => b instanceof Uint8Array && b.length === length,
    `expected ${length} bytes`,
  );

export const clientHelloSchema = z.object({
  type: z.literal('hello'),
  version: z.number().int().min(1).max(0xffff),
  /** The ID the client asks for; without it the server counts up from 1, skipping IDs in use. */
  clientId: clientId.optional(),
  /** The interval at which the client will tick, in milliseconds. */
  intervalMs: z.number().min(MIN_HELLO_INTERVAL_MS).max(MAX_HELLO_INTERVAL_MS),
  /** A fresh random nonce when the client has a secret: the server must prove it knows it too. */
  nonce: bytes(16).optional(),
});
/** The client's answer to a challenge: HMAC-SHA256(secret, "timeswarm/1 client" ‖ server nonce). */
export const authSchema = z.object({ type: z.literal('auth'), proof: bytes(32) });
export const tickSchema = z.object({
  type: z.literal('tick'),
  seq,
  t1: micros,
  /**
   * How many replies the client has read on this connection (optional; docs/protocol.md,
   * section 4.5): the server judges a client that does not read by the age of the oldest
   * reply it has not acknowledged.
   */
  ack: seq.optional(),
});
export const byeSchema = z.object({ type: z.literal('bye'), reason });

export const welcomeSchema = z.object({
  type: z.literal('welcome'),
  version: z.number().int().min(1).max(0xffff),
  clientId,
  /** The server's wall clock when it accepted the client. */
  serverTime: micros,
});
export const replySchema = z.object({
  type: z.literal('reply'),
  seq,
  t1: micros,
  t2: micros,
  t3: micros,
});
/**
 * Sent instead of a welcome by a server that has a secret: its nonce, and its proof over the
 * client's nonce (HMAC-SHA256(secret, "timeswarm/1 server" ‖ client nonce)) when there was one.
 */
export const challengeSchema = z.object({
  type: z.literal('challenge'),
  nonce: bytes(16),
  proof: bytes(32).optional(),
});
export const refusedSchema = z.object({
  type: z.literal('refused'),
  code: z.string().max(64),
  reason,
});

export const clientMessageSchema = z.discriminatedUnion('type', [
  clientHelloSchema,
  authSchema,
  tickSchema,
  byeSchema,
]);
export const serverMessageSchema = z.discriminatedUnion('type', [
  welcomeSchema,
  challengeSchema,
  replySchema,
  refusedSchema,
  byeSchema,
]);

export type ClientHello = z.infer<typeof clientHelloSchema>;
export type Tick = z.infer<typeof tickSchema>;
export type Bye = z.infer<typeof byeSchema>;
export type Welcome = z.infer<typeof welcomeSchema>;
export type Reply = z.infer<typeof replySchema>;
export type Refused = z.infer<typeof refusedSchema>;
export type Challenge = z.infer<typeof challengeSchema>;
export type Auth = z.infer<typeof authSchema>;
/** Everything a client may send to the server. */
export type ClientMessage = z.infer<typeof clientMessageSchema>;
/** Everything the server may send to a client. */
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** A validator that turns an untrusted decoded value into a typed message, or throws. */
export type MessageParser<T> = (value: unknown) => T;

/** Builds a {@link MessageParser} from a zod schema; failures become {@link InvalidMessageError}. */
export function parserFor<T>(schema: z.ZodType<T>): MessageParser<T> {
  return (value) => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new InvalidMessageError(`Invalid message${where}: ${issue?.message ?? 'unknown shape'}`);
  };
}

const isMicros = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;
const isSeq = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_SEQ;
const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/**
 * The data path's two messages, checked by hand: the same rules as {@link tickSchema} and
 * {@link replySchema} (unknown keys dropped), without zod's machinery on every 28-byte tick
 * (see BENCHMARKS.md, "Where the round trip goes"). Anything that does not pass goes through
 * zod, which accepts or refuses it with its message; test/transport/fastCodec.test.ts holds the
 * two to the same verdicts.
 */
export function fastTick(value: unknown): Tick | null {
  if (!isMap(value) || value.type !== 'tick') return null;
  const { seq, t1, ack } = value;
  if (!isSeq(seq) || !isMicros(t1)) return null;
  if (ack === undefined) return { type: 'tick', seq, t1 };
  return isSeq(ack) ? { type: 'tick', seq, t1, ack } : null;
}

/** See {@link fastTick}. */
export function fastReply(value: unknown): Reply | null {
  if (!isMap(value) || value.type !== 'reply') return null;
  const { seq, t1, t2, t3 } = value;
  return isSeq(seq) && isMicros(t1) && isMicros(t2) && isMicros(t3)
    ? { type: 'reply', seq, t1, t2, t3 }
    : null;
}

const parseClientBySchema = parserFor(clientMessageSchema);
const parseServerBySchema = parserFor(serverMessageSchema);

export const parseClientMessage: MessageParser<ClientMessage> = (value) =>
  fastTick(value) ?? parseClientBySchema(value);
export const parseServerMessage: MessageParser<ServerMessage> = (value) =>
  fastReply(value) ?? parseServerBySchema(value);
