import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Shared-secret authentication for the handshake: an HMAC-SHA256 challenge–response in both
 * directions, so neither side ever sends the secret and each proves it knows it.
 *
 * The client sends a fresh nonce in its hello; the server answers with its own nonce and a
 * proof over the client's; the client checks that proof and answers with a proof over the
 * server's nonce. Distinct labels keep a proof from one direction from being replayed in the
 * other.
 */
export const NONCE_BYTES = 16;
export const PROOF_BYTES = 32;

const SERVER_LABEL = 'timeswarm/1 server';
const CLIENT_LABEL = 'timeswarm/1 client';

export function createNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

function prove(secret: string, label: string, nonce: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(label).update(nonce).digest();
}

/** The server's proof that it knows the secret, over the client's nonce. */
export const serverProof = (secret: string, clientNonce: Uint8Array) =>
  prove(secret, SERVER_LABEL, clientNonce);

/** The client's proof that it knows the secret, over the server's nonce. */
export const clientProof = (secret: string, serverNonce: Uint8Array) =>
  prove(secret, CLIENT_LABEL, serverNonce);

/** Constant-time comparison, so the time taken tells an attacker nothing. */
export function proofMatches(expected: Uint8Array, received: Uint8Array | undefined): boolean {
  return (
    received !== undefined &&
    received.length === expected.length &&
    timingSafeEqual(expected, received)
  );
}
