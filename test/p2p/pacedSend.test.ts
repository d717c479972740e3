import { sendPaced } from '../../src/p2p/pacedSend';
import type { PeerMessage } from '../../src/transport';

/** A link whose buffer drains only when the test says so. */
function fakeLink() {
  const sent: PeerMessage[] = [];
  let buffered = 0;
  return {
    sent,
    isClosed: false,
    get bufferedBytes() {
      return buffered;
    },
    send(message: PeerMessage) {
      sent.push(message);
      buffered += 1024 * 1024;
    },
    drain() {
      buffered = 0;
    },
  };
}

describe('greetings are paced under the send cap (§9.10)', () => {
  it('20 manifests of 1 MiB each never queue more than the budget, and all go out in order', () => {
    const timers: Array<() => void> = [];
    const clock = { setTimeout: (fn: () => void) => timers.push(fn) };
    const link = fakeLink();
    const messages = Array.from(
      { length: 20 },
      (_, i) =>
        ({
          type: 'chunk',
          name: `f${i}.bin`,
          index: 0,
          data: new Uint8Array(1024 * 1024),
        }) as PeerMessage,
    );
    let peak = 0;
    const send = link.send.bind(link);
    link.send = (m) => {
      send(m);
      peak = Math.max(peak, link.bufferedBytes);
    };
    sendPaced(link, messages, { clock, maxQueuedBytes: 4 * 1024 * 1024 });
    for (let i = 0; i < 100 && timers.length > 0; i++) {
      link.drain();
      timers.shift()!();
    }
    expect(link.sent).toEqual(messages);
    expect(peak).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('stops when the connection closes', () => {
    const timers: Array<() => void> = [];
    const link = fakeLink();
    const messages = Array.from(
      { length: 10 },
      () =>
        ({
          type: 'chunk',
          name: 'f.bin',
          index: 0,
          data: new Uint8Array(1024 * 1024),
        }) as PeerMessage,
    );
    sendPaced(link, messages, {
      clock: { setTimeout: (fn: () => void) => timers.push(fn) },
      maxQueuedBytes: 2 * 1024 * 1024,
    });
    const before = link.sent.length;
    link.isClosed = true;
    link.drain();
    timers.shift()?.();
    expect(link.sent.length).toBe(before);
    expect(timers).toEqual([]);
  });
});
