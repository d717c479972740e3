import type { ServedClient } from '../../src/actors/server';
import {
  EMPTY_SERVED_LOG,
  type ServedList,
  type ServedLog,
  servedClients,
  withServed,
} from '../../src/actors/server/servedLog';

const client = (i: number): ServedClient => ({
  clientId: i,
  address: `127.0.0.${i % 250}`,
  ticks: i,
  reason: '',
  code: i % 3 === 0 ? 'OK' : 'ERR_IDLE_TIMEOUT',
});

const length = (list: ServedList | null) => {
  let n = 0;
  for (let at = list; at !== null; at = at.older) n += 1;
  return n;
};

describe('the finished-clients log', () => {
  test('keeps the last N in full, oldest first, and counts everyone before them', () => {
    const keep = 4;
    let log: ServedLog = EMPTY_SERVED_LOG;
    for (let i = 1; i <= 11; i++) log = withServed(log, client(i), keep);
    const { clients, earlier } = servedClients(log, keep);
    expect(clients.map((c) => c.clientId)).toEqual([8, 9, 10, 11]);
    expect(log.total).toBe(11);
    expect(earlier.clients).toBe(7);
    expect(earlier.ticks).toBe(1 + 2 + 3 + 4 + 5 + 6 + 7);
    expect(earlier.codes).toEqual({ OK: 2, ERR_IDLE_TIMEOUT: 5 });
  });

  test('fewer than `keep`: all in full, nothing counted', () => {
    let log: ServedLog = EMPTY_SERVED_LOG;
    for (let i = 1; i <= 3; i++) log = withServed(log, client(i), 10);
    expect(servedClients(log, 10)).toEqual({
      clients: [client(1), client(2), client(3)],
      earlier: { clients: 0, ticks: 0, codes: {} },
    });
  });

  test('holds at most 2 × keep entries however many clients finish, and adding never copies', () => {
    const keep = 100;
    let log: ServedLog = EMPTY_SERVED_LOG;
    let copied = 0;
    for (let i = 1; i <= 100_000; i++) {
      const before = log;
      log = withServed(log, client(i), keep);
      // The new log shares the old one's newest list (nothing copied, the old log untouched).
      if (before.recent && (log.recent?.older ?? log.previous) !== before.recent) copied += 1;
    }
    expect(copied).toBe(0);
    expect(length(log.recent) + length(log.previous)).toBeLessThanOrEqual(2 * keep);
    const { clients, earlier } = servedClients(log, keep);
    expect(clients).toHaveLength(keep);
    expect(clients[keep - 1]!.clientId).toBe(100_000);
    expect(earlier.clients + clients.length).toBe(100_000);
  });
});
