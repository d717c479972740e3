/**
 * A hostile peer that speaks the p2p protocol's raw bytes: a `node:net` socket, frames of
 * `u32 BE length | msgpack`, and the v2 handshake done with hostileCrypto.ts — none of our
 * machine, connection, codec or trust classes. It can do everything an attacker can: a
 * proper handshake with its own key, a forged one (someone else's ID), any message, floods.
 *
 * Every wait is bounded by a time-out; `close()` destroys the socket (register it in
 * teardown at once).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Packr, Unpackr } from 'msgpackr';
import {
  type HostileKey,
  handshakeMac,
  hostileKey,
  manifestMessage,
  type Role,
  recordEntry,
  signBytes,
  type Transcript,
  transcriptBytes,
} from './hostileCrypto';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** Largest frame the harness reads (the protocol's limit): longer is treated as a protocol error. */
const MAX_FRAME = 1024 * 1024 + 64 * 1024;

export type WireMessage = Record<string, unknown> & { type?: unknown };

export interface HandshakeOptions {
  role: Role;
  /** The key it signs with (default: a fresh one). */
  key?: HostileKey;
  /** The ID and key it *claims* (default: its own). Claiming another's makes a forgery. */
  claim?: { peerId: string; publicKey: Buffer };
  /** Adds a MAC made with this secret (a wrong one makes a non-member). */
  secret?: string;
  /** The version its hello announces (default 2). */
  version?: number;
  timeoutMs?: number;
  /** How long to wait for the verdict after the other's auth (default `timeoutMs`). */
  outcomeTimeoutMs?: number;
}

export interface HandshakeResult {
  /** The other side's hello (`{}` when none came). */
  hello: WireMessage;
  /** The other side's auth, or null when it answered something else. */
  auth: WireMessage | null;
  /**
   * The verdict on *our* proof: the first message after the other's auth (its greeting, or
   * `bye <code>`), or what came instead of its hello/auth; null if it closed silently.
   */
  outcome: WireMessage | null;
  /** The transcript both sides signed (to check the other's proof independently). */
  transcript: Transcript | null;
}

export class HostilePeer {
  /** Every message received, in order. */
  readonly received: WireMessage[] = [];
  /** Resolves when the socket is closed by either side. */
  readonly closed: Promise<void>;
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private ended = false;
  private readIndex = 0;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => this.onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      });
    });
    socket.on('error', () => undefined); // a reset is an outcome, read through `closed`
  }

  /** Dials `host:port` (loopback in tests). */
  static async connect(host: string, port: number, timeoutMs = 5000): Promise<HostilePeer> {
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connect timed out')), timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return new HostilePeer(socket);
  }

  /** Listens on 127.0.0.1, port 0; each accepted socket becomes a HostilePeer. */
  static async listen(): Promise<{
    port: number;
    accepted: HostilePeer[];
    next(timeoutMs?: number): Promise<HostilePeer>;
    close(): Promise<void>;
  }> {
    const accepted: HostilePeer[] = [];
    const pending: Array<(p: HostilePeer) => void> = [];
    const server = net.createServer((socket) => {
      const peer = new HostilePeer(socket);
      accepted.push(peer);
      pending.shift()?.(peer);
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as net.AddressInfo;
    let taken = 0;
    return {
      port,
      accepted,
      next: (timeoutMs = 5000) =>
        accepted.length > taken
          ? Promise.resolve(accepted[taken++]!)
          : new Promise((resolve, reject) => {
              const waiter = (p: HostilePeer) => {
                clearTimeout(timer);
                taken++;
                resolve(p);
              };
              // A waiter that timed out is removed, so it cannot swallow a later connection.
              const timer = setTimeout(() => {
                const at = pending.indexOf(waiter);
                if (at >= 0) pending.splice(at, 1);
                reject(new Error('no connection'));
              }, timeoutMs);
              pending.push(waiter);
            }),
      close: async () => {
        for (const p of accepted) p.close();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  }

  /** Sends one message as a frame. */
  send(message: unknown): void {
    this.sendFrame(packr.pack(message));
  }

  /** Sends many messages in one write (a flood arrives as fast as the socket takes it). */
  sendMany(messages: unknown[]): void {
    this.sendRaw(Buffer.concat(messages.map((m) => frameOf(packr.pack(m)))));
  }

  sendFrame(payload: Uint8Array): void {
    this.sendRaw(frameOf(payload));
  }

  /** Writes bytes as they are (garbage, a lying length prefix, half a frame). */
  sendRaw(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /**
   * The next message not read yet (of `type`, skipping others), or `null` when the socket
   * closed first. Throws after `timeoutMs`.
   */
  async next(type?: string, timeoutMs = 5000): Promise<WireMessage | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.readIndex < this.received.length) {
        const message = this.received[this.readIndex++]!;
        if (type === undefined || message.type === type) return message;
      }
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type ?? 'message'} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The code of the `bye` the other side sent before closing, or null if it closed without one. */
  async byeCode(timeoutMs = 5000): Promise<string | null> {
    const bye = await this.next('bye', timeoutMs);
    return bye ? String(bye.code) : null;
  }

  /**
   * Performs the v2 handshake: sends `hello`, reads the other's, sends `auth` (signed with
   * `key` over the transcript of the *claimed* ID; a MAC with `secret`), then reads the
   * other's `auth` — or whatever it answered instead.
   */
  async handshake(options: HandshakeOptions): Promise<HandshakeResult> {
    const key = options.key ?? hostileKey();
    const claim = options.claim ?? key;
    const nonce = randomBytes(32);
    const timeoutMs = options.timeoutMs ?? 5000;
    this.send({
      type: 'hello',
      version: options.version ?? 2,
      peerId: claim.peerId,
      publicKey: claim.publicKey,
      nonce,
    });
    const hello = await this.next(undefined, timeoutMs);
    if (hello?.type !== 'hello') {
      return { hello: {}, auth: null, outcome: hello, transcript: null };
    }
    const theirs = { id: String(hello.peerId), nonce: hello.nonce as Buffer };
    const t: Transcript =
      options.role === 'dialer'
        ? {
            dialerId: claim.peerId,
            acceptorId: theirs.id,
            dialerNonce: nonce,
            acceptorNonce: theirs.nonce,
          }
        : {
            dialerId: theirs.id,
            acceptorId: claim.peerId,
            dialerNonce: theirs.nonce,
            acceptorNonce: nonce,
          };
    const auth: WireMessage = {
      type: 'auth',
      signature: signBytes(key, transcriptBytes('signature', options.role, t)),
    };
    if (options.secret !== undefined) auth.mac = handshakeMac(options.secret, options.role, t);
    this.send(auth);
    const answer = await this.next(undefined, timeoutMs);
    if (answer?.type !== 'auth') return { hello, auth: null, outcome: answer, transcript: t };
    const outcome = await this.next(undefined, options.outcomeTimeoutMs ?? timeoutMs).catch(
      () => null,
    );
    return { hello, auth: answer, outcome, transcript: t };
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length > MAX_FRAME) {
        this.received.push({ type: '!frame-too-large', length });
        this.socket.destroy();
        break;
      }
      if (this.buffer.length < 4 + length) break;
      const payload = this.buffer.subarray(4, 4 + length);
      this.buffer = this.buffer.subarray(4 + length);
      try {
        this.received.push(unpackr.unpack(payload) as WireMessage);
      } catch {
        this.received.push({ type: '!undecodable' });
      }
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

function frameOf(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}

/** `n` fresh identities (they cost an attacker nothing). */
export function freshIdentities(n: number): HostileKey[] {
  return Array.from({ length: n }, () => hostileKey());
}

/**
 * A gossip flood as `records` messages of at most 64 entries: `n` records, each signed by a
 * fresh identity about itself, valid for `ttlMs`, listing `addresses` (4- or 16-byte IPs).
 */
export function recordFlood(
  n: number,
  addresses: Array<{ ip: Uint8Array; port: number }>,
  nowWallMs: number,
  ttlMs = 60_000,
): WireMessage[] {
  const records = freshIdentities(n).map((key) =>
    recordEntry(key, { seq: 1, expiresAt: nowWallMs + ttlMs, complete: false, addresses }),
  );
  const messages: WireMessage[] = [];
  for (let i = 0; i < records.length; i += 64) {
    messages.push({ type: 'records', records: records.slice(i, i + 64) });
  }
  return messages;
}

/** A manifest message with `chunks` chunk hashes (random), signed by `key`: a memory bomb. */
export function hugeHashManifest(
  key: HostileKey,
  name: string,
  chunks: number,
  chunkSize = 1024,
): WireMessage {
  return manifestMessage(key, {
    name,
    size: chunks * chunkSize,
    sha256: randomBytes(32),
    chunkSize,
    chunkHashes: randomBytes(chunks * 32),
  });
}
