import { z } from 'zod';
import { MAX_WIRE_CHUNK_BYTES, MAX_WIRE_CHUNKS } from './peerProtocol';
import { parserFor } from './sessionProtocol';

/**
 * The peer-to-peer protocol, version 2 (docs/protocol-p2p.md §9): proven identities, signed
 * manifests and signed peer records. Same framing as v1 (u32 BE length + one msgpack map);
 * every field bounded here before any logic sees it. Not wired into the machines yet.
 */
export const PEER_PROTOCOL_V2 = 2;

/** Most signed records in one `records` or `bye` message. */
export const MAX_RECORDS_PER_MESSAGE = 64;
/** Most addresses in one signed record. */
export const MAX_RECORD_ADDRESSES_V2 = 8;
/** Longest name on the wire; the name rule (≤ 128, ASCII …) is checked after the schema. */
export const MAX_WIRE_NAME_LENGTH = 1000;

const bytesOf = (length: number) =>
  z.custom<Uint8Array<ArrayBufferLike>>(
    (value) => value instanceof Uint8Array && value.length === length,
    { message: `expected exactly ${length} bytes` },
  );
const bytesUpTo = (max: number) =>
  z.custom<Uint8Array<ArrayBufferLike>>(
    (value) => value instanceof Uint8Array && value.length <= max,
    { message: `expected at most ${max} bytes` },
  );
const ipBytes = z.custom<Uint8Array<ArrayBufferLike>>(
  (value) => value instanceof Uint8Array && (value.length === 4 || value.length === 16),
  { message: 'expected 4 or 16 bytes' },
);
const safeInteger = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const chunkIndex = z
  .number()
  .int()
  .min(0)
  .max(MAX_WIRE_CHUNKS - 1);
const code = z.string().regex(/^[A-Z0-9_]{1,64}$/);
const reason = z.string().max(500);

/** A peer ID: base32 (A–Z 2–7) of SHA-256 of the public key, 52 characters, canonical last one. */
export const peerIdV2Schema = z.string().regex(/^[A-Z2-7]{51}[AQ]$/);
export const wireNameV2Schema = z.string().min(1).max(MAX_WIRE_NAME_LENGTH);
export const publicKeySchema = bytesOf(32);
export const signatureSchema = bytesOf(64);
export const nonceSchema = bytesOf(32);

/** Any `hello`, of any version: read first, so a v1 peer is told `ERR_VERSION`, not `ERR_INVALID_MESSAGE`. */
export const anyHelloSchema = z.object({
  type: z.literal('hello'),
  version: z.number().int().min(1).max(0xffff),
});

export const helloV2Schema = z.object({
  type: z.literal('hello'),
  version: z.literal(PEER_PROTOCOL_V2),
  peerId: peerIdV2Schema,
  publicKey: publicKeySchema,
  nonce: nonceSchema,
});

export const authSchema = z.object({
  type: z.literal('auth'),
  signature: signatureSchema,
  /** HMAC-SHA256 membership proof; present exactly when the sender holds a shared secret. */
  mac: bytesOf(32).optional(),
});

export const wireAddressSchema = z.object({
  ip: ipBytes,
  port: z.number().int().min(1).max(65_535),
});

/** A peer record signed by the peer it describes (§9.5). */
export const signedRecordSchema = z.object({
  peerId: peerIdV2Schema,
  publicKey: publicKeySchema,
  seq: safeInteger,
  /** Unix milliseconds, UTC. */
  expiresAt: safeInteger,
  complete: z.boolean(),
  addresses: z.array(wireAddressSchema).max(MAX_RECORD_ADDRESSES_V2),
  signature: signatureSchema,
});

export const recordsSchema = z.object({
  type: z.literal('records'),
  records: z.array(signedRecordSchema).max(MAX_RECORDS_PER_MESSAGE),
});

/** A manifest signed by its owner (§9.4), with the sender's own `have` bitfield. */
export const manifestV2Schema = z.object({
  type: z.literal('manifest'),
  name: wireNameV2Schema,
  size: safeInteger,
  sha256: bytesOf(32),
  chunkSize: z.number().int().min(1).max(MAX_WIRE_CHUNK_BYTES),
  chunkHashes: bytesUpTo(MAX_WIRE_CHUNKS * 32),
  owner: peerIdV2Schema,
  ownerKey: publicKeySchema,
  signature: signatureSchema,
  have: bytesUpTo(MAX_WIRE_CHUNKS / 8),
});

export const haveV2Schema = z.object({
  type: z.literal('have'),
  name: wireNameV2Schema,
  chunks: z.array(chunkIndex).min(1).max(4096),
});
export const requestV2Schema = z.object({
  type: z.literal('request'),
  name: wireNameV2Schema,
  index: chunkIndex,
});
export const cancelV2Schema = z.object({
  type: z.literal('cancel'),
  name: wireNameV2Schema,
  index: chunkIndex,
});
export const chunkV2Schema = z.object({
  type: z.literal('chunk'),
  name: wireNameV2Schema,
  index: chunkIndex,
  data: bytesUpTo(MAX_WIRE_CHUNK_BYTES),
});
export const rejectV2Schema = z.object({
  type: z.literal('reject'),
  name: wireNameV2Schema,
  index: chunkIndex,
  code,
});
export const byeV2Schema = z.object({
  type: z.literal('bye'),
  code,
  reason,
  /** With `ERR_BUSY`: signed records of peers to try instead. */
  records: z.array(signedRecordSchema).max(MAX_RECORDS_PER_MESSAGE).optional(),
});

/** Messages of the handshake (nothing else is accepted before `auth` verifies). */
export const handshakeMessageSchema = z.discriminatedUnion('type', [
  helloV2Schema,
  authSchema,
  byeV2Schema,
]);

/** Messages after the handshake. */
export const peerMessageV2Schema = z.discriminatedUnion('type', [
  recordsSchema,
  manifestV2Schema,
  haveV2Schema,
  requestV2Schema,
  cancelV2Schema,
  chunkV2Schema,
  rejectV2Schema,
  byeV2Schema,
]);

export type HelloV2 = z.infer<typeof helloV2Schema>;
export type AuthMessage = z.infer<typeof authSchema>;
export type WireAddress = z.infer<typeof wireAddressSchema>;
export type WireSignedRecord = z.infer<typeof signedRecordSchema>;
export type RecordsMessage = z.infer<typeof recordsSchema>;
export type ManifestV2Message = z.infer<typeof manifestV2Schema>;
export type ByeV2 = z.infer<typeof byeV2Schema>;
export type HandshakeMessage = z.infer<typeof handshakeMessageSchema>;
export type PeerMessageV2 = z.infer<typeof peerMessageV2Schema>;

export const parseHandshakeMessage = parserFor<HandshakeMessage>(handshakeMessageSchema);
export const parsePeerMessageV2 = parserFor<PeerMessageV2>(peerMessageV2Schema);

/**
 * The version a `hello` announces, or `null` when `value` is not a hello at all. Read before
 * the full schema, so that a v1 (or future) peer is refused with `ERR_VERSION`.
 */
export function helloVersion(value: unknown): number | null {
  const result = anyHelloSchema.safeParse(value);
  return result.success ? result.data.version : null;
}
