import { z } from 'zod';
import { isSafeFileName } from '../storage/fileName';
import { TransportError } from './errors';
import { parserFor } from './sessionProtocol';

/**
 * The peer-to-peer exchange protocol (see docs/protocol-p2p.md): what k peers say to each
 * other to share their files, with no server. Every field is bounded here, before the
 * message reaches any logic; names are checked again as file names by the storage layer.
 */
export const PEER_PROTOCOL_VERSION = 2;

/** Largest chunk payload a peer accepts in one `chunk` message. */
export const MAX_WIRE_CHUNK_BYTES = 1024 * 1024;
/** Most chunk hashes in one manifest (32 bytes each). */
export const MAX_WIRE_CHUNKS = 32 * 1024;
/** Most membership entries in one `peers` message. */
export const MAX_PEERS_PER_MESSAGE = 256;
/** Most files one peer may offer. */
export const MAX_OFFERS = 64;

const u32 = z.number().int().min(0).max(0xffff_ffff);
const chunkIndex = z
  .number()
  .int()
  .min(0)
  .max(MAX_WIRE_CHUNKS - 1);
const bytes = (max: number) =>
  z.custom<Uint8Array<ArrayBufferLike>>(
    (value) => value instanceof Uint8Array && value.length <= max,
    {
      message: `expected at most ${max} bytes`,
    },
  );
const hash = z.custom<Uint8Array<ArrayBufferLike>>(
  (value) => value instanceof Uint8Array && value.length === 32,
  { message: 'expected exactly 32 bytes' },
);
const code = z.string().regex(/^[A-Z0-9_]{1,64}$/);
const reason = z.string().max(500);

/** Peer IDs are short opaque tokens, chosen at random by each peer at start. */
export const peerIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
/** A file name as it travels; `fileNameProblem` in storage decides whether it is safe to use. */
export const wireFileNameSchema = z.string().min(1).max(1000);
/** A host to dial: an IP address or DNS name (no spaces, no URL syntax); '' means "where you see me from". */
export const hostSchema = z
  .string()
  .max(253)
  .regex(/^[A-Za-z0-9.:%\-[\]]*$/);

/** One peer as known to the swarm; the highest `seq` wins when two versions meet. */
export const peerEntrySchema = z.object({
  peerId: peerIdSchema,
  host: hostSchema,
  port: z.number().int().min(1).max(65_535),
  /** Bumped by the peer itself whenever `complete` or `offers` change. */
  seq: u32,
  /** The peer holds every file it knows of. */
  complete: z.boolean(),
  /** Names of the files the peer contributes. */
  offers: z.array(wireFileNameSchema).max(MAX_OFFERS),
});

/**
 * The v2 handshake (docs/protocol-p2p.md §9.3): a `hello` proves nothing by itself and
 * carries no addresses, files or peers; the `auth` that follows proves the key behind the
 * ID (and, with a secret, membership). A `hello` of another version is read as
 * {@link ForeignHello}, so that its sender is told `ERR_VERSION`.
 */
export const peerHelloSchema = z.object({
  type: z.literal('hello'),
  version: z.literal(PEER_PROTOCOL_VERSION),
  peerId: z.string().regex(/^[A-Z2-7]{51}[AQ]$/),
  publicKey: hash,
  nonce: hash,
});
/** The first two fields of any `hello`, whatever its version. */
export const foreignHelloSchema = z.object({
  type: z.literal('hello'),
  version: z.number().int().min(1).max(0xffff),
});
export const peerAuthSchema = z.object({
  type: z.literal('auth'),
  signature: z.custom<Uint8Array<ArrayBufferLike>>(
    (value) => value instanceof Uint8Array && value.length === 64,
    { message: 'expected exactly 64 bytes' },
  ),
  mac: hash.optional(),
});

export const manifestMessageSchema = z.object({
  type: z.literal('manifest'),
  name: wireFileNameSchema,
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  sha256: hash,
  chunkSize: z.number().int().min(1).max(MAX_WIRE_CHUNK_BYTES),
  /** SHA-256 of every chunk, concatenated. */
  chunkHashes: bytes(MAX_WIRE_CHUNKS * 32),
  /** The owner (§9.4): its ID, its key, and its signature over the manifest's body. */
  owner: z.string().regex(/^[A-Z2-7]{51}[AQ]$/),
  ownerKey: hash,
  signature: z.custom<Uint8Array<ArrayBufferLike>>(
    (value) => value instanceof Uint8Array && value.length === 64,
    { message: 'expected exactly 64 bytes' },
  ),
  /** Which chunks the sender holds (not signed: it describes the sender): a bitfield, chunk 0 in the top bit of byte 0. */
  have: bytes(MAX_WIRE_CHUNKS / 8),
});

export const haveSchema = z.object({
  type: z.literal('have'),
  name: wireFileNameSchema,
  chunks: z.array(chunkIndex).min(1).max(4096),
});

export const requestSchema = z.object({
  type: z.literal('request'),
  name: wireFileNameSchema,
  index: chunkIndex,
});
export const cancelSchema = z.object({
  type: z.literal('cancel'),
  name: wireFileNameSchema,
  index: chunkIndex,
});
export const chunkSchema = z.object({
  type: z.literal('chunk'),
  name: wireFileNameSchema,
  index: chunkIndex,
  data: bytes(MAX_WIRE_CHUNK_BYTES),
});
export const rejectSchema = z.object({
  type: z.literal('reject'),
  name: wireFileNameSchema,
  index: chunkIndex,
  code,
});
export const peersSchema = z.object({
  type: z.literal('peers'),
  peers: z.array(peerEntrySchema).max(MAX_PEERS_PER_MESSAGE),
});
export const doneSchema = z.object({ type: z.literal('done'), seq: u32 });

/** Most signed records in one `records` message, and addresses in one record (§9.5). */
export const MAX_RECORDS_PER_MESSAGE = 64;
export const MAX_RECORD_ADDRESSES = 8;
/**
 * A peer record signed by the peer it describes (§9.5): the only gossip whose addresses a
 * peer dials. Relays pass it on unchanged; only its subject can make a newer one.
 */
export const signedRecordSchema = z.object({
  peerId: z.string().regex(/^[A-Z2-7]{51}[AQ]$/),
  publicKey: hash,
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Unix milliseconds, UTC. */
  expiresAt: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  complete: z.boolean(),
  addresses: z
    .array(
      z.object({
        ip: z.custom<Uint8Array<ArrayBufferLike>>(
          (value) => value instanceof Uint8Array && (value.length === 4 || value.length === 16),
          { message: 'expected 4 or 16 bytes' },
        ),
        port: z.number().int().min(1).max(65_535),
      }),
    )
    .max(MAX_RECORD_ADDRESSES),
  signature: z.custom<Uint8Array<ArrayBufferLike>>(
    (value) => value instanceof Uint8Array && value.length === 64,
    { message: 'expected exactly 64 bytes' },
  ),
});
export const recordsSchema = z.object({
  type: z.literal('records'),
  records: z.array(signedRecordSchema).max(MAX_RECORDS_PER_MESSAGE),
});
export const peerByeSchema = z.object({
  type: z.literal('bye'),
  code,
  reason,
  /** With `ERR_BUSY`: whom the sender knows, to dial instead. */
  peers: z.array(peerEntrySchema).max(MAX_PEERS_PER_MESSAGE).optional(),
  /** With `ERR_BUSY`: signed records of peers to try instead (only these are dialed, §9.8). */
  records: z.array(signedRecordSchema).max(MAX_RECORDS_PER_MESSAGE).optional(),
});

/** Every message after the handshake. */
export const peerBodySchema = z.discriminatedUnion('type', [
  manifestMessageSchema,
  haveSchema,
  requestSchema,
  cancelSchema,
  chunkSchema,
  rejectSchema,
  peersSchema,
  recordsSchema,
  doneSchema,
  peerByeSchema,
]);

export type PeerEntry = z.infer<typeof peerEntrySchema>;
export type PeerHello = z.infer<typeof peerHelloSchema>;
/** A `hello` of a version other than ours: only its version is read. */
export interface ForeignHello {
  type: 'hello';
  version: number;
  foreign: true;
}
export type PeerAuth = z.infer<typeof peerAuthSchema>;
export type ManifestMessage = z.infer<typeof manifestMessageSchema>;
export type HaveMessage = z.infer<typeof haveSchema>;
export type RequestMessage = z.infer<typeof requestSchema>;
export type CancelMessage = z.infer<typeof cancelSchema>;
export type ChunkMessage = z.infer<typeof chunkSchema>;
export type RejectMessage = z.infer<typeof rejectSchema>;
export type PeersMessage = z.infer<typeof peersSchema>;
export type WireRecord = z.infer<typeof signedRecordSchema>;
export type RecordsMessage = z.infer<typeof recordsSchema>;
export type DoneMessage = z.infer<typeof doneSchema>;
export type PeerBye = z.infer<typeof peerByeSchema>;
/** Everything one peer may send another (the protocol is symmetric). */
export type PeerMessage = PeerHello | ForeignHello | PeerAuth | z.infer<typeof peerBodySchema>;

const parseHello = parserFor<PeerHello>(peerHelloSchema);
const parseAuth = parserFor<PeerAuth>(peerAuthSchema);
const parseBody = parserFor(peerBodySchema);

/**
 * Checks one decoded message against the schemas. A `hello` is read in two steps: its
 * version first (another version is a {@link ForeignHello}, answered `ERR_VERSION`), then
 * the v2 fields.
 */
export function parsePeerMessage(value: unknown): PeerMessage {
  const type = (value as { type?: unknown } | null)?.type;
  if (type === 'hello') {
    const any = foreignHelloSchema.safeParse(value);
    if (any.success && any.data.version !== PEER_PROTOCOL_VERSION)
      return { type: 'hello', version: any.data.version, foreign: true };
    return parseHello(value);
  }
  if (type === 'auth') return parseAuth(value);
  const body = parseBody(value);
  assertNamesFollowRule(body);
  return body;
}

/** Messages that name a file after the handshake: their names follow the rule of §9.7. */
const NAMED = new Set(['have', 'request', 'cancel', 'chunk', 'reject']);

/**
 * The name rule is a protocol rule (§9.7), checked on receive and on send: a `have`,
 * `request`, `cancel`, `chunk` or `reject` naming a file outside it (ASCII letters, digits
 * and `._-`, not starting with `-` or `.`, at most 128 bytes) ends the connection with
 * `ERR_BAD_FILE_NAME` before any logic sees it. (A `manifest` with such a name is judged by
 * the peer, which also bans its sender.)
 */
export function assertNamesFollowRule(message: { type: string; name?: unknown }): void {
  if (NAMED.has(message.type) && !isSafeFileName(message.name)) {
    throw new TransportError(
      `A ${message.type} names a file outside the name rule`,
      'ERR_BAD_FILE_NAME',
    );
  }
}

/** True for a hello of our version (proven nothing yet). */
export const isCurrentHello = (message: PeerHello | ForeignHello): message is PeerHello =>
  !('foreign' in message);
