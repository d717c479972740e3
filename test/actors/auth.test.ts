import { readFile } from 'node:fs/promises';
import { firstValueFrom, map, toArray } from 'rxjs';
import { selectStatus } from '../../src/actors/server';
import { parseTimestampTable } from '../../src/storage';
import { clientConnection, clientProof, proofMatches, serverProof } from '../../src/transport';
import { advance } from '../helpers/simulation';
import { until } from '../helpers/until';
import { type SimulatedWorld, simulatedWorld } from '../helpers/world';

let world: SimulatedWorld;
beforeEach(async () => {
  world = await simulatedWorld();
});
afterEach(() => world.teardown());

const startServer = (secret?: string) => world.startServer(secret !== undefined ? { secret } : {});
const startClient = (port: number, secret?: string) =>
  world.startClient({
    server: { host: '127.0.0.1', port },
    durationMs: 500,
    ...(secret !== undefined ? { secret } : {}),
  });

async function finish(server: Awaited<ReturnType<typeof startServer>>) {
  server.actor.send({ type: 'server.stop' });
  await advance(world.time.sim, 2100, 50);
  const summary = await server.done;
  return { summary, table: parseTimestampTable(await readFile(summary.file, 'utf8')) };
}

describe('shared-secret authentication', () => {
  test('the same secret on both sides: the session runs as usual', async () => {
    const server = await startServer('s3cret');
    const client = startClient(server.port, 's3cret');
    await until(() => client.actor.getSnapshot().matches({ session: 'ticking' }));
    await advance(world.time.sim, 510);
    await until(() => client.actor.getSnapshot().status === 'done');
    expect(await client.done).toMatchObject({ outcome: 'done', ticksSent: 50, replies: 50 });
    const { table } = await finish(server);
    expect(table.rows).toHaveLength(100);
  });

  test('a client without the secret is refused before it can write a row', async () => {
    const server = await startServer('s3cret');
    const client = startClient(server.port);
    await until(() => client.actor.getSnapshot().status === 'done');
    expect((await client.done).error?.code).toBe('ERR_AUTH_REQUIRED');
    await until(() => selectStatus(server.actor.getSnapshot()).connections === 0);
    const { summary, table } = await finish(server);
    expect(summary.clients).toEqual([]);
    expect(table.rows).toHaveLength(0);
  });

  test('a wrong secret fails on both sides: the client sees the server cannot prove it', async () => {
    const server = await startServer('s3cret');
    const client = startClient(server.port, 'guess');
    await until(() => client.actor.getSnapshot().status === 'done');
    expect((await client.done).error?.code).toBe('ERR_AUTH');
    const { table } = await finish(server);
    expect(table.rows).toHaveLength(0);
  });

  test('the server refuses a wrong proof with ERR_AUTH and writes nothing', async () => {
    const server = await startServer('s3cret');
    const raw = clientConnection(
      await world.network.connect({ host: '127.0.0.1', port: server.port }),
    );
    const all = firstValueFrom(
      raw.messages$.pipe(
        map(({ message }) => message),
        toArray(),
      ),
    );
    const clientNonce = Buffer.alloc(16, 7);
    raw.send({ type: 'hello', version: 1, intervalMs: 10, nonce: clientNonce });
    // Answer whatever the challenge is with a proof made from the wrong secret.
    raw.send({ type: 'auth', proof: clientProof('wrong', Buffer.alloc(16)) });
    const messages = await all;
    expect(messages[0]).toMatchObject({ type: 'challenge' });
    const first = messages[0] as { type: 'challenge'; nonce: Uint8Array; proof?: Uint8Array };
    // The server did prove itself over our nonce…
    expect(proofMatches(serverProof('s3cret', clientNonce), first.proof)).toBe(true);
    // …and refused our bad proof.
    expect(messages[1]).toMatchObject({ type: 'refused', code: 'ERR_AUTH' });
    const { table } = await finish(server);
    expect(table.rows).toHaveLength(0);
  });

  test('a client with a secret refuses a server that skips authentication', async () => {
    const server = await startServer();
    const client = startClient(server.port, 's3cret');
    await until(() => client.actor.getSnapshot().status === 'done');
    expect((await client.done).error?.code).toBe('ERR_AUTH');
    const { table } = await finish(server);
    expect(table.rows).toHaveLength(0);
  });
});
