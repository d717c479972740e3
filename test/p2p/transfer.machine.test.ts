import { createActor, fromCallback, SimulatedClock } from 'xstate';
import {
  type TransferToKeeperEvent,
  type TransferToPeerEvent,
  transferMachine,
} from '../../src/actors/transfer';
import { generateIdentity, Handshake } from '../../src/p2p/identity';
import {
  createMemoryNetwork,
  type PeerAuth,
  type PeerConnection,
  type PeerEntry,
  type PeerHello,
  type PeerMessage,
  peerConnection,
} from '../../src/transport';

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const meKey = generateIdentity().identity;
const themKey = generateIdentity().identity;
const me: PeerEntry = {
  peerId: meKey.peerId,
  host: '127.0.0.1',
  port: 0, // set from the listener in setUp
  seq: 1,
  complete: false,
  offers: [],
};
const them: PeerEntry = {
  peerId: themKey.peerId,
  host: '127.0.0.2',
  port: 0, // set from the listener in setUp
  seq: 1,
  complete: false,
  offers: [],
};

/** An inbound transfer on an in-memory network, its parent a recorder, time simulated. */
async function setUp() {
  const network = createMemoryNetwork();
  const listener = await network.listen({ host: '127.0.0.1', port: 0 });
  me.port = listener.port;
  them.port = listener.port + 1; // any other port: `them` only advertises it
  const accepted = new Promise<Parameters<Parameters<typeof listener.accept>[0]>[0]>((resolve) =>
    listener.accept(resolve),
  );
  const remote = peerConnection(await network.connect({ host: '127.0.0.1', port: listener.port }));
  const fromTransfer: PeerMessage[] = [];
  remote.messages$.subscribe({
    next: ({ message: m }) => fromTransfer.push(m),
    error: () => undefined,
  });
  const toParent: TransferToPeerEvent[] = [];
  // Plays both the peer and its keeper: records what the transfer tells them, and greets
  // the remote (a keeper's job) with our entry when the transfer asks.
  let link: PeerConnection | null = null;
  const parent = createActor(
    fromCallback<TransferToPeerEvent | TransferToKeeperEvent>(({ receive }) => {
      receive((event) => {
        if (event.type === 'keeper.attach') link = event.connection;
        else if (event.type === 'keeper.greet') link?.send({ type: 'peers', peers: [me] });
        else if (event.type.startsWith('transfer.')) toParent.push(event as TransferToPeerEvent);
      });
    }),
  ).start();
  const sim = new SimulatedClock();
  const transfer = createActor(transferMachine, {
    clock: sim,
    input: {
      id: 't1',
      direction: 'inbound',
      transport: network,
      channel: await accepted,
      identity: meKey,
      peer: parent,
      keeper: parent,
      timing: {
        connectTimeoutMs: 1000,
        handshakeTimeoutMs: 1000,
        stallTimeoutMs: 5000,
        retry: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10 },
      },
    },
  });
  transfer.start();
  await flush();
  return { sim, transfer, remote, fromTransfer, toParent };
}

describe('transfer machine (simulated time, in-memory network)', () => {
  it('says hello at once and gives up on a silent remote after the handshake time-out', async () => {
    const { sim, transfer, fromTransfer, toParent } = await setUp();
    expect(fromTransfer[0]).toMatchObject({ type: 'hello', version: 2, peerId: meKey.peerId });
    expect(Object.keys(fromTransfer[0]!).sort()).toEqual([
      'nonce',
      'peerId',
      'publicKey',
      'type',
      'version',
    ]);
    expect(transfer.getSnapshot().value).toEqual({ connected: { handshaking: 'hello' } });
    sim.increment(999);
    expect(transfer.getSnapshot().status).toBe('active');
    sim.increment(1);
    await flush();
    expect(transfer.getSnapshot().status).toBe('done');
    expect(toParent.at(-1)).toMatchObject({
      type: 'transfer.closed',
      code: 'ERR_HANDSHAKE_TIMEOUT',
      stage: 'handshake',
    });
    expect(fromTransfer.at(-1)).toMatchObject({ type: 'bye', code: 'ERR_HANDSHAKE_TIMEOUT' });
  });

  it('hello → admitted → greeting → syncing until the remote’s peers → requests → stalled', async () => {
    const { sim, transfer, remote, fromTransfer, toParent } = await setUp();
    // The remote dials: its hello, then its proof over both hellos.
    const handshake = new Handshake({ identity: themKey, role: 'dialer' });
    remote.send({ type: 'hello', ...handshake.hello() } as PeerMessage);
    await flush();
    const step = handshake.receiveHello(fromTransfer[0] as PeerHello);
    if (!step.ok) throw new Error(step.code);
    expect(toParent).toEqual([]);
    expect(transfer.getSnapshot().value).toEqual({ connected: { handshaking: 'auth' } });
    remote.send({ type: 'auth', ...step.value });
    await flush();
    // Its own proof verifies on the remote's side too.
    expect(handshake.receiveAuth(fromTransfer[1] as PeerAuth).ok).toBe(true);
    expect(toParent[0]).toEqual({
      type: 'transfer.hello',
      transferId: 't1',
      peerId: themKey.peerId,
      remoteAddress: expect.any(String),
    });
    expect(transfer.getSnapshot().value).toEqual({ connected: 'admitting' });
    transfer.send({ type: 'transfer.admit' });
    await flush();
    expect(fromTransfer.map((m) => m.type)).toEqual(['hello', 'auth', 'peers']);
    expect(transfer.getSnapshot().value).toEqual({ connected: { trading: 'syncing' } });
    remote.send({ type: 'peers', peers: [them] });
    await flush();
    expect(transfer.getSnapshot().value).toEqual({ connected: { trading: 'idle' } });
    expect(toParent.at(-1)).toMatchObject({
      type: 'transfer.peers',
      peerId: themKey.peerId,
      message: { type: 'peers' },
    });
    transfer.send({
      type: 'transfer.request',
      requests: [
        { name: 'f', index: 0 },
        { name: 'f', index: 1 },
      ],
    });
    await flush();
    expect(fromTransfer.filter((m) => m.type === 'request')).toHaveLength(2);
    expect(transfer.getSnapshot().value).toEqual({ connected: { trading: 'waiting' } });
    // One answer restarts the stall timer; then silence.
    sim.increment(4000);
    remote.send({ type: 'chunk', name: 'f', index: 0, data: Buffer.from('x') });
    await flush();
    sim.increment(4000);
    expect(transfer.getSnapshot().status).toBe('active');
    sim.increment(1000);
    await flush();
    expect(toParent.at(-1)).toMatchObject({
      type: 'transfer.closed',
      code: 'ERR_STALLED',
      stage: 'trading',
    });
    expect(fromTransfer.at(-1)).toMatchObject({ type: 'bye', code: 'ERR_STALLED' });
  });

  it('a remote speaking another protocol version is refused', async () => {
    const { remote, fromTransfer, toParent } = await setUp();
    // A v1 peer's hello.
    remote.send({ type: 'hello', version: 1, self: them } as never);
    await flush();
    expect(toParent.at(-1)).toMatchObject({ type: 'transfer.closed', code: 'ERR_VERSION' });
    expect(fromTransfer.at(-1)).toMatchObject({ type: 'bye', code: 'ERR_VERSION' });
  });
});
