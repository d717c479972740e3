/**
 * Issue 9, gossip as a weapon: a peer turned into a reflector (dials to addresses it was only
 * told about, in and out of loopback scope).
 * Victims are real `timeswarm share` processes; every outgoing connect of theirs is recorded
 * (test/helpers/dialRecorder.cjs), so a dial to 8.8.8.8:53 is seen even though it never
 * connects. The attacker speaks raw v2 bytes.
 */

import { hostileKey, recordEntry } from '../helpers/hostileCrypto';
import { HostilePeer, recordFlood, type WireMessage } from '../helpers/hostilePeer';
import {
  acceptVictim,
  attackWorld,
  countingListener,
  dials,
  ending,
  expectExit,
  ipv4,
  ownEntry,
  ownRecord,
  startVictim,
} from './attacks/support';
import { randomBytes } from './helpers';

const world = attackWorld();

/** Out of a loopback swarm's scope, or never dialable at all (§9.8). */
const OUT_OF_SCOPE = [
  '10.1.2.3',
  '8.8.8.8',
  '0.0.0.0',
  '192.0.2.1',
  '203.0.113.5',
  '192.168.1.1',
  '172.16.0.1',
];

/**
 * IPv6 out of a loopback swarm's scope: `::ffff:8.8.8.8` (IPv4-mapped, judged as 8.8.8.8),
 * `fd00::2` (private), `::` (unspecified), `2001:db8::1` (documentation), `ff02::1`
 * (multicast).
 */
const OUT_OF_SCOPE_V6: Array<{ ip: Uint8Array; port: number }> = [
  { ip: Uint8Array.from([...Array(10).fill(0), 0xff, 0xff, 8, 8, 8, 8]), port: 53 },
  { ip: Uint8Array.from([0xfd, ...Array(14).fill(0), 2]), port: 80 },
  { ip: new Uint8Array(16), port: 80 },
  { ip: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1]), port: 80 },
  { ip: Uint8Array.from([0xff, 0x02, ...Array(13).fill(0), 1]), port: 80 },
];

const isLoopback = (host: string) => /^(127\.|::1$|::ffff:127\.)/i.test(host);

async function attackerListening() {
  const listener = await HostilePeer.listen();
  world.closers.push(() => listener.close());
  return listener;
}

/** Which of the two properties a run asserts: nothing out of scope, the in-scope bound, or both. */
type Check = 'scope' | 'bound' | 'both';

describe('gossip cannot turn a peer into a reflector (real processes, raw v2 attacker)', () => {
  it('a reflector flood (995 signed v2 records): no dial out of loopback, the in-scope target dialed a bounded number of times', async () => {
    await reflectorFlood('records');
  });

  // v1 `peers` entries: learned addresses are dialed only inside the user's scope (dialPlan.ts),
  // so nothing leaves loopback.
  it('a reflector flood (v1 `peers` entries): no dial out of loopback', async () => {
    await reflectorFlood('peers', 'scope');
  });

  // v1 entries name the in-scope target under many claimed IDs: one dial at a time per
  // host:port and none after 3 failed there (dialPlan.ts), so the target sees a bounded few.
  it('a reflector flood (v1 `peers` entries): the in-scope target dialed a bounded number of times', async () => {
    await reflectorFlood('peers', 'bound');
  });

  it('`bye ERR_BUSY` naming others (64 signed records, fresh identities): no dial out of loopback', async () => {
    await busyReflector('records');
  });

  it('`bye ERR_BUSY` naming others (v1 `peers` entries): no dial out of loopback', async () => {
    await busyReflector('peers', 'scope');
  });

  // As above, through `bye ERR_BUSY`.
  it('`bye ERR_BUSY` naming others (v1 `peers` entries): the in-scope target dialed a bounded number of times', async () => {
    await busyReflector('peers', 'bound');
  });
});

/**
 * The victim's only bootstrap is the attacker, which answers every connection with
 * `bye ERR_BUSY` and "whom to try instead" (§8.5, §9.9): the in-scope counting target and the
 * out-of-scope addresses.
 */
async function busyReflector(kind: 'records' | 'peers', check: Check = 'both') {
  const listener = await attackerListening();
  const target = await countingListener('127.0.0.3');
  world.closers.push(() => target.close());
  const attacker = hostileKey();
  const victim = await startVictim(world.root, 'victim', {
    host: '127.0.0.2',
    files: [{ name: 'v.bin', data: randomBytes(2000) }],
    args: ['--peers', `127.0.0.1:${listener.port}`],
  });
  const addresses = [
    { ip: ipv4(target.host), port: target.port },
    ...OUT_OF_SCOPE.map((ip) => ({ ip: ipv4(ip), port: ip === '8.8.8.8' ? 53 : 80 })),
  ];
  const bye: WireMessage =
    kind === 'records'
      ? {
          type: 'bye',
          code: 'ERR_BUSY',
          reason: 'full',
          records: [
            ownRecord(attacker, listener.port),
            ...(recordFlood(63, addresses, Date.now())[0]!.records as unknown[]),
          ],
        }
      : {
          type: 'bye',
          code: 'ERR_BUSY',
          reason: 'full',
          peers: [target.host, ...OUT_OF_SCOPE].flatMap((host, i) =>
            Array.from({ length: 8 }, (_, j) => ({
              peerId: `busy-${i}-${j}`,
              host,
              port: host === target.host ? target.port : 2000 + j,
              seq: 1,
              complete: false,
              offers: [],
            })),
          ),
        };
  // Every (re)dial gets the same answer, for as long as the victim runs (bounded).
  const answering = (async () => {
    // (Polls `accepted` rather than `next(timeout)`: a timed-out `next` would leave a waiter
    // behind that swallows the following connection.)
    let seen = 0;
    for (let i = 0; i < 2000 && victim.proc.child.exitCode === null; i++) {
      const peer = listener.accepted[seen];
      if (peer === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      seen++;
      const result = await peer
        .handshake({ role: 'acceptor', key: attacker, outcomeTimeoutMs: 100 })
        .catch(() => null);
      if (result?.auth) peer.send(bye);
      peer.socket.end();
    }
  })();
  const e = await ending(victim.proc);
  await answering;
  const dialed = await dials(victim);
  if (check !== 'bound') expect(dialed.filter((d) => !isLoopback(d.host))).toEqual([]);
  if (check !== 'scope') expect(target.count()).toBeLessThanOrEqual(5);
  // It met nobody but a busy peer: ERR_NO_PEERS (exit 2), or done on its own file (exit 0).
  expect([0, 2]).toContain(e.code);
}

/** The victim dials the attacker, which floods it with gossip (§9.8): what does it dial? */
async function reflectorFlood(kind: 'records' | 'peers', check: Check = 'both') {
  const listener = await attackerListening();
  const target = await countingListener('127.0.0.3');
  world.closers.push(() => target.close());
  const attacker = hostileKey();
  const victim = await startVictim(world.root, 'victim', {
    host: '127.0.0.2',
    files: [{ name: 'v.bin', data: randomBytes(2000) }],
    args: ['--peers', `127.0.0.1:${listener.port}`],
    linger: '3s',
  });
  const addresses = [
    { ip: ipv4(target.host), port: target.port },
    ...OUT_OF_SCOPE.map((ip) => ({ ip: ipv4(ip), port: ip === '8.8.8.8' ? 53 : 80 })),
  ];
  const greeting: WireMessage[] =
    kind === 'records'
      ? [
          { type: 'records', records: [ownRecord(attacker, listener.port)] },
          // 995 identities (they cost nothing), each naming all 8 IPv4 addresses or the IPv6
          // ones, plus one record signed by the attacker about someone else (a claim, not a
          // record).
          ...recordFlood(640, addresses, Date.now()),
          ...recordFlood(355, [addresses[0]!, ...OUT_OF_SCOPE_V6], Date.now()),
          {
            type: 'records',
            records: [
              recordEntry(
                attacker,
                { seq: 1, expiresAt: Date.now() + 600_000, complete: false, addresses },
                hostileKey(),
              ),
            ],
          },
        ]
      : [
          {
            type: 'peers',
            peers: [
              ownEntry(attacker, listener.port, true),
              ...[target.host, ...OUT_OF_SCOPE].flatMap((host, i) =>
                Array.from({ length: 30 }, (_, j) => ({
                  peerId: `reflect-${i}-${j}`,
                  host,
                  port: host === target.host ? target.port : 1000 + j,
                  seq: 1,
                  complete: false,
                  offers: [],
                })),
              ),
            ],
          },
        ];
  const socket = await acceptVictim(listener, attacker, greeting);
  const e = await ending(victim.proc);
  socket.close();
  const dialed = await dials(victim);
  // Only loopback, ever: the bootstrap (the attacker) and at most the in-scope target.
  if (check !== 'bound') expect(dialed.filter((d) => !isLoopback(d.host))).toEqual([]);
  // One address is one target, however many records name it; forgotten after 5 failures.
  if (check !== 'scope') expect(target.count()).toBeLessThanOrEqual(5);
  if (check !== 'scope')
    expect(dialed.filter((d) => d.host === target.host).length).toBeLessThanOrEqual(5);
  expectExit(e, 0);
}
