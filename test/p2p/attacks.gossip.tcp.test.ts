/**
 * Issue 9, gossip as a weapon: one gossiped ghost entry that used to fail the whole swarm
 * (attacks.reflector.tcp.test.ts has the reflector).
 * Victims are real `timeswarm share` processes; every outgoing connect of theirs is recorded
 * (test/helpers/dialRecorder.cjs), so a dial to 8.8.8.8:53 is seen even though it never
 * connects. The attacker speaks raw v2 bytes.
 */

import { hostileKey, recordEntry } from '../helpers/hostileCrypto';
import { HostilePeer, type WireMessage } from '../helpers/hostilePeer';
import {
  acceptVictim,
  attackWorld,
  dials,
  ending,
  expectExit,
  held,
  ipv4,
  ownEntry,
  ownRecord,
  sha,
  startVictim,
} from './attacks/support';
import { randomBytes } from './helpers';

const world = attackWorld();

async function attackerListening() {
  const listener = await HostilePeer.listen();
  world.closers.push(() => listener.close());
  return listener;
}

describe('gossip cannot be turned into a weapon (real processes, raw v2 attacker)', () => {
  it('a ghost entry (a record offering ghost.txt) fails nobody: three honest peers end done', async () => {
    const listener = await attackerListening();
    const attacker = hostileKey();
    const ghost = hostileKey();
    const data = { a: randomBytes(3000), b: randomBytes(3000), c: randomBytes(3000) };
    const a = await startVictim(world.root, 'a', {
      host: '127.0.0.2',
      files: [{ name: 'a.bin', data: data.a }],
      args: ['--expect', '3', '--peers', `127.0.0.1:${listener.port}`],
      giveUp: '10s',
    });
    const ghostRecord: WireMessage = {
      ...recordEntry(ghost, {
        seq: 1,
        expiresAt: Date.now() + 600_000,
        complete: false,
        addresses: [{ ip: ipv4('127.0.0.9'), port: 9 }],
      }),
      offers: ['ghost.txt'], // v1's claim; v2 records carry none (unknown keys are ignored)
    };
    const socket = await acceptVictim(listener, attacker, [
      { type: 'records', records: [ownRecord(attacker, listener.port), ghostRecord] },
    ]);
    const b = await startVictim(world.root, 'b', {
      host: '127.0.0.3',
      files: [{ name: 'b.bin', data: data.b }],
      args: ['--expect', '3', '--peers', a.address],
      giveUp: '10s',
    });
    const c = await startVictim(world.root, 'c', {
      host: '127.0.0.4',
      files: [{ name: 'c.bin', data: data.c }],
      args: ['--expect', '3', '--peers', a.address],
      giveUp: '10s',
    });
    const endings = await Promise.all([a, b, c].map((v) => ending(v.proc)));
    socket.close();
    const expected = { 'a.bin': sha(data.a), 'b.bin': sha(data.b), 'c.bin': sha(data.c) };
    for (const [i, v] of [a, b, c].entries()) {
      expectExit(endings[i]!, 0);
      expect(await held(v.dir)).toEqual(expected);
    }
  });

  // Offers of peers only heard of make nobody wait (Membership.offers counts proven peers).
  it('a v1 `peers` gossip with a ghost offer fails nobody either', async () => {
    await v1Ghost('fails nobody');
  });

  // Only addresses a peer vouched for itself are dialed (its own entry over its proven
  // connection, or a record it signed, §9.8): an unsigned entry about someone else never is.
  it('a v1 `peers` ghost entry is never dialed (only signed records and first-hand entries are)', async () => {
    await v1Ghost('never dialed');
  });
});

/** The v1 ghost: an unproven entry offering ghost.txt, gossiped to A, which B then meets. */
async function v1Ghost(check: 'fails nobody' | 'never dialed') {
  const listener = await attackerListening();
  const attacker = hostileKey();
  const data = { a: randomBytes(3000), b: randomBytes(3000) };
  const a = await startVictim(world.root, 'a', {
    host: '127.0.0.2',
    files: [{ name: 'a.bin', data: data.a }],
    args: ['--expect', '2', '--peers', `127.0.0.1:${listener.port}`],
    giveUp: '10s',
  });
  const socket = await acceptVictim(listener, attacker, [
    {
      type: 'peers',
      peers: [
        ownEntry(attacker, listener.port, true),
        {
          peerId: 'ghost',
          host: '127.0.0.9',
          port: 9,
          seq: 1,
          complete: true,
          offers: ['ghost.txt'],
        },
      ],
    },
  ]);
  const b = await startVictim(world.root, 'b', {
    host: '127.0.0.3',
    files: [{ name: 'b.bin', data: data.b }],
    args: ['--expect', '2', '--peers', a.address],
    giveUp: '10s',
  });
  const [ea, eb] = await Promise.all([ending(a.proc, 30_000), ending(b.proc, 30_000)]);
  socket.close();
  for (const [v, e] of [
    [a, ea],
    [b, eb],
  ] as const) {
    expectExit(e, 0);
    expect(await held(v.dir)).toEqual({ 'a.bin': sha(data.a), 'b.bin': sha(data.b) });
  }
  // 127.0.0.9:9 was only claimed (by an unproven entry): never dialed.
  if (check === 'never dialed')
    expect((await dials(a)).filter((d) => d.host === '127.0.0.9')).toEqual([]);
}
