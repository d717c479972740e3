import { randomBytes } from 'node:crypto';
import {
  createFramedConnection,
  createMemoryNetwork,
  encodeFrame,
  FRAME_MAC_BYTES,
  frameOpener,
  frameSealer,
  sessionFrameKeys,
  type TransportError,
} from '../../src/transport';

const SECRET = 'correct horse battery staple';
const clientNonce = randomBytes(16);
const serverNonce = randomBytes(16);
const client = sessionFrameKeys(SECRET, clientNonce, serverNonce, 'client');
const server = sessionFrameKeys(SECRET, clientNonce, serverNonce, 'server');
const tick = (seq: number) => encodeFrame({ type: 'tick', seq, t1: 1_795_000_000_000_000 + seq });

/** What a receiver's frame decoder hands to the opener: the payload after the length prefix. */
const received = (frame: Buffer) => frame.subarray(4);
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'OK';
  } catch (error) {
    return (error as TransportError).code;
  }
};

describe('frame integrity (HKDF keys, truncated HMAC-SHA256 per frame)', () => {
  it('both sides derive the same two keys, one per direction, different per session', () => {
    expect(client.send).toEqual(server.receive);
    expect(client.receive).toEqual(server.send);
    expect(client.send).not.toEqual(client.receive);
    const other = sessionFrameKeys(SECRET, clientNonce, randomBytes(16), 'client');
    expect(other.send).not.toEqual(client.send);
    expect(sessionFrameKeys('another secret', clientNonce, serverNonce, 'client').send).not.toEqual(
      client.send,
    );
  });

  it('a sealed frame is the frame plus a 16-byte tag, its length prefix counting the tag', () => {
    const frame = tick(1);
    const sealed = frameSealer(client.send)(frame);
    expect(sealed).toHaveLength(frame.length + FRAME_MAC_BYTES);
    expect(sealed.readUInt32BE(0)).toBe(frame.length - 4 + FRAME_MAC_BYTES);
    expect(sealed.subarray(4, frame.length)).toEqual(frame.subarray(4));
    expect(frameOpener(server.receive)(received(sealed))).toEqual(frame.subarray(4));
  });

  it('every altered byte, a dropped, replayed or reflected frame, and a missing tag fail with ERR_AUTH', () => {
    const seal = frameSealer(client.send);
    const frames = [0, 1, 2].map((seq) => seal(tick(seq)));
    for (let at = 4; at < frames[0]!.length; at += 1) {
      const altered = Buffer.from(frames[0]!);
      altered[at]! ^= 0x01;
      expect(codeOf(() => frameOpener(server.receive)(received(altered)))).toBe('ERR_AUTH');
    }
    const open = frameOpener(server.receive);
    expect(codeOf(() => open(received(frames[0]!)))).toBe('OK');
    expect(codeOf(() => open(received(frames[0]!)))).toBe('ERR_AUTH'); // replayed
    const skipping = frameOpener(server.receive);
    skipping(received(frames[0]!));
    expect(codeOf(() => skipping(received(frames[2]!)))).toBe('ERR_AUTH'); // one dropped
    // Sent back to the client that sealed it: the other direction's key does not open it.
    expect(codeOf(() => frameOpener(client.receive)(received(frames[0]!)))).toBe('ERR_AUTH');
    expect(codeOf(() => frameOpener(server.receive)(received(tick(0))))).toBe('ERR_AUTH');
    expect(codeOf(() => frameOpener(server.receive)(Buffer.alloc(3)))).toBe('ERR_AUTH');
  });

  it('a connection protected while unread messages wait fails: they were never checked', async () => {
    const network = createMemoryNetwork();
    const listener = await network.listen({ host: '127.0.0.1', port: 0 });
    const accepted = new Promise<Parameters<Parameters<typeof listener.accept>[0]>[0]>((resolve) =>
      listener.accept(resolve),
    );
    const near = await network.connect({ host: '127.0.0.1', port: listener.port });
    const far = createFramedConnection<unknown, unknown>(await accepted, { parse: (v) => v });
    const sender = createFramedConnection<unknown, unknown>(near, { parse: (v) => v });
    sender.send({ type: 'tick', seq: 1, t1: 1 });
    const seen: unknown[] = [];
    const ended = new Promise<string>((resolve) =>
      far.messages$.subscribe({
        next: ({ message }) => {
          seen.push(message);
          // The first message read; the reader then waits, and protection starts with one
          // more message queued behind it.
          if (seen.length === 1) far.protect(server);
        },
        error: (error: TransportError) => resolve(error.code),
        complete: () => resolve('complete'),
      }),
    );
    // Two frames in one write: the second is decoded (queued) before the reader protects.
    sender.send({ type: 'tick', seq: 2, t1: 2 });
    expect(await ended).toBe('ERR_AUTH');
    sender.destroy();
    await listener.close();
  });
});
