import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { InspectionEvent } from 'xstate';
import { type InspectorHandle, startInspector } from '../../src/inspect';
import { startClient, startServer } from '../../src/runtime';
import { tcpTransport } from '../../src/transport';

/**
 * A client with a secret against a server with the secret, every actor inspected, and a
 * listener on the live view's feed capturing every byte it sends. The secret, in any
 * encoding, must appear nowhere; nor may any byte string the machines held (the
 * handshake's nonces and proofs), in hex or base64.
 */
const SECRET = 'correct-horse-battery-staple-42';

const forms = (bytes: Buffer) => [
  bytes.toString('hex'),
  bytes.toString('base64'),
  bytes.toString('base64').replace(/=+$/, ''),
  bytes.toString('base64url'),
];

/** Every Buffer or Uint8Array within a few levels of `value`. */
function collectBytes(value: unknown, found: Set<string>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 5) return;
  if (value instanceof Uint8Array) {
    if (value.byteLength >= 8) found.add(Buffer.from(value).toString('hex'));
    return;
  }
  if (Array.isArray(value)) {
    if (value.length <= 32) for (const item of value) collectBytes(item, found, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return;
  for (const item of Object.values(value)) collectBytes(item, found, depth + 1);
}

async function inspectedRun(inspector: InspectorHandle) {
  const text: string[] = [];
  const ws = new WebSocket(inspector.wsUrl);
  ws.on('message', (data) => text.push(String(data)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const closed = new Promise((resolve) => ws.once('close', resolve));

  const bytes = new Set<string>();
  const inspect = (event: InspectionEvent) => {
    inspector.inspect.next?.(event);
    if (event.type === '@xstate.event') collectBytes(event.event, bytes);
    if (event.type === '@xstate.snapshot')
      collectBytes((event.snapshot as { context?: unknown }).context, bytes);
  };
  const dir = await mkdtemp(join(tmpdir(), 'timeswarm-secret-'));
  try {
    const server = await startServer(
      {
        transport: tcpTransport,
        host: '127.0.0.1',
        port: 0,
        outDir: join(dir, 'server'),
        secret: SECRET,
      },
      { inspect },
    );
    try {
      const client = startClient(
        {
          transport: tcpTransport,
          server: { host: '127.0.0.1', port: server.address.port },
          durationMs: 400,
          outDir: join(dir, 'client'),
          secret: SECRET,
        },
        { inspect },
      );
      const summary = await client.done;
      expect(summary.outcome).toBe('done');
    } finally {
      server.actor.send({ type: 'server.stop', reason: 'test over' });
      await server.done;
    }
  } finally {
    await inspector.stop();
    await closed;
    await rm(dir, { recursive: true, force: true });
  }
  return { stream: text.join('\n'), messages: text.length, bytes };
}

function expectClean(run: Awaited<ReturnType<typeof inspectedRun>>) {
  const { stream, bytes } = run;
  // Not vacuous: the stream shows the machines, their states and their events.
  expect(run.messages).toBeGreaterThan(1);
  for (const seen of [
    'clientSession',
    'connectionHandler',
    'ticking',
    'ledger.progress',
    '[redacted]',
  ])
    expect(stream).toContain(seen);
  const secret = Buffer.from(SECRET, 'utf8');
  const leaks = [SECRET, ...forms(secret)].filter((form) => stream.includes(form));
  expect(leaks).toEqual([]);
  // The handshake's nonces and proofs were in the machines' events and contexts.
  expect(bytes.size).toBeGreaterThanOrEqual(2);
  const byteLeaks = [...bytes]
    .flatMap((hex) => forms(Buffer.from(hex, 'hex')))
    .filter((form) => stream.includes(form));
  expect(byteLeaks).toEqual([]);
}

describe('the live view keeps secrets', () => {
  it('sends no secret, key, nonce or proof when told the secret (as the CLI does)', async () => {
    const inspector = await startInspector({ port: 0, secrets: [SECRET] });
    expectClean(await inspectedRun(inspector));
  });

  it('sends none even when not told the secret: keys named secret/nonce/proof are redacted', async () => {
    const inspector = await startInspector({ port: 0 });
    expectClean(await inspectedRun(inspector));
  });
});
