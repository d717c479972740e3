import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { selectStatus } from '../../src/actors/server';
import { clientProof } from '../../src/transport';
import { captureLogger, closeCodes, readTable } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { until } from '../helpers/until';

const SECRET = 'correct horse battery staple';

const world = tcpWorld('timeswarm-auth-');

async function start(secret?: string) {
  const log = captureLogger();
  const server = await world.startServer({
    outDir: join(world.dir, 'server'),
    logger: log.logger,
    ...(secret !== undefined ? { secret } : {}),
  });
  return { server, log };
}

/** Runs a reference client to its end; it must fail before writing anything. */
async function refusedClient(port: number, name: string, secret?: string) {
  const outDir = join(world.dir, name);
  const client = world.startClient({
    port,
    outDir,
    durationMs: 500,
    retry: { attempts: 1 },
    ...(secret !== undefined ? { secret } : {}),
  });
  const summary = await client.done;
  expect(summary.outcome).toBe('failed');
  expect(summary.ticksSent).toBe(0);
  expect(summary.files).toBeNull();
  expect(existsSync(outDir)).toBe(false); // no file, not even an empty one
  return summary;
}

describe('shared secret over real TCP', () => {
  test('the right secret: the session runs and every row is written', async () => {
    const { server: s } = await start(SECRET);
    const client = world.startClient({
      port: s.port,
      outDir: join(world.dir, 'ok'),
      durationMs: 300,
      secret: SECRET,
    });
    const summary = await client.done;
    expect(summary).toMatchObject({ outcome: 'done', lost: 0 });
    const stopped = await s.stop();
    expect((await readTable(stopped.file)).rows).toHaveLength(2 * summary.ticksSent);
  });

  test('a wrong secret: ERR_AUTH on both sides, no rows', async () => {
    const { server: s, log } = await start(SECRET);
    const summary = await refusedClient(s.port, 'wrong', 'guess');
    expect(summary.error?.code).toBe('ERR_AUTH');
    await until(() => closeCodes(log.entries).length === 1);
    // The client checks the server's proof first and hangs up without answering; the server
    // logs a client that leaves during authentication as ERR_AUTH.
    expect(closeCodes(log.entries)).toEqual(['ERR_AUTH']);
    const stopped = await s.stop();
    expect(stopped.clients).toEqual([]);
    expect((await readTable(stopped.file)).rows).toHaveLength(0);
  });

  test('a wrong proof from a hand-written client: refused with ERR_AUTH on both sides, no rows', async () => {
    const { server: s, log } = await start(SECRET);
    const raw = await world.raw({ port: s.port, localAddress: '127.0.0.41' });
    raw.send({ type: 'hello', version: 1, intervalMs: 10, nonce: Buffer.alloc(16, 1) });
    await until(() => raw.messages.length === 1);
    const challenge = raw.messages[0] as { type: string; nonce: Uint8Array };
    expect(challenge.type).toBe('challenge');
    raw.send({ type: 'auth', proof: clientProof('guess', Buffer.from(challenge.nonce)) });
    // Ticks sent straight after the bad proof must not reach the file.
    raw.send({ type: 'tick', seq: 0, t1: Date.now() * 1000 });
    await until(() => raw.gone);
    expect(raw.messages[1]).toMatchObject({ type: 'refused', code: 'ERR_AUTH' });
    expect(raw.messages).toHaveLength(2);
    await until(() => closeCodes(log.entries).length === 1);
    expect(closeCodes(log.entries)).toEqual(['ERR_AUTH']);
    const stopped = await s.stop();
    expect(stopped.clients).toEqual([]);
    expect((await readTable(stopped.file)).rows).toHaveLength(0);
  });

  test('no secret against a server with one: ERR_AUTH_REQUIRED on the client, ERR_AUTH on the server, no rows', async () => {
    const { server: s, log } = await start(SECRET);
    const summary = await refusedClient(s.port, 'none');
    expect(summary.error?.code).toBe('ERR_AUTH_REQUIRED');
    await until(() => closeCodes(log.entries).length === 1);
    expect(closeCodes(log.entries)).toEqual(['ERR_AUTH']);
    const stopped = await s.stop();
    expect(stopped.clients).toEqual([]);
    expect((await readTable(stopped.file)).rows).toHaveLength(0);
  });

  test('a hand-written client that skips auth and ticks: cut off, no rows', async () => {
    const { server: s, log } = await start(SECRET);
    const raw = await world.raw({ port: s.port, localAddress: '127.0.0.42' });
    raw.send({ type: 'hello', version: 1, intervalMs: 10 });
    raw.send({ type: 'tick', seq: 0, t1: Date.now() * 1000 });
    await until(() => raw.gone);
    expect(raw.messages.map((m) => m.type)).toEqual(['challenge', 'refused']);
    expect(raw.messages[1]).toMatchObject({ code: 'ERR_AUTH' });
    await until(() => closeCodes(log.entries).length === 1);
    expect(closeCodes(log.entries)).toEqual(['ERR_AUTH']);
    const stopped = await s.stop();
    expect((await readTable(stopped.file)).rows).toHaveLength(0);
  });

  test('a client with a secret against a server without one: ERR_AUTH on the client, no rows', async () => {
    const { server: s } = await start();
    const summary = await refusedClient(s.port, 'unauth', SECRET);
    expect(summary.error?.code).toBe('ERR_AUTH');
    await until(() => selectStatus(s.actor.getSnapshot()).served.length === 1);
    const stopped = await s.stop();
    // The server had no secret, so it welcomed the client; the client then hung up.
    expect(stopped.clients).toMatchObject([{ ticks: 0 }]);
    expect((await readTable(stopped.file)).rows).toHaveLength(0);
  });
});
