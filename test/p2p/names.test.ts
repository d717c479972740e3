/**
 * The name rule on every message that names a file (§9.7): checked when a message is read
 * (the connection ends with ERR_BAD_FILE_NAME before any logic sees it) and when one is
 * sent (refused with the same code).
 */
import { peerConnection } from '../../src/transport';
import { parsePeerMessage } from '../../src/transport/peerProtocol';
import { HOSTILE_NAMES } from '../helpers/hostileCrypto';

const bodies = (name: string) => [
  { type: 'have', name, chunks: [0] },
  { type: 'request', name, index: 0 },
  { type: 'cancel', name, index: 0 },
  { type: 'chunk', name, index: 0, data: new Uint8Array(1) },
  { type: 'reject', name, index: 0, code: 'ERR_NO_CHUNK' },
];

describe('the name rule on have, request, cancel, chunk and reject', () => {
  it('is checked on receive: ERR_BAD_FILE_NAME for every hostile name', () => {
    for (const name of HOSTILE_NAMES) {
      for (const body of bodies(name)) {
        expect(() => parsePeerMessage(body)).toThrow(
          expect.objectContaining({ code: 'ERR_BAD_FILE_NAME' }),
        );
      }
    }
    for (const body of bodies('client_2_TimeData.txt'))
      expect(parsePeerMessage(body)).toMatchObject({ type: body.type });
  });

  it('is checked on send: nothing is written', () => {
    const written: Uint8Array[] = [];
    const connection = peerConnection({
      localAddress: '127.0.0.1',
      localPort: 1,
      remoteAddress: '127.0.0.1',
      remotePort: 2,
      bufferedBytes: 0,
      write: (data: Uint8Array) => written.push(data),
      end: () => undefined,
      destroy: () => undefined,
      setReceiver: () => undefined,
    } as never);
    for (const name of HOSTILE_NAMES) {
      for (const body of bodies(name)) {
        expect(() => connection.send(body as never)).toThrow(
          expect.objectContaining({ code: 'ERR_BAD_FILE_NAME' }),
        );
      }
    }
    expect(written).toEqual([]);
  });
});
