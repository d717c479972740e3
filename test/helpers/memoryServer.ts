/**
 * The real server in a process of its own, for memory measurements (run with `--import tsx
 * --expose-gc`): argv[2] is a JSON `ServerInput` subset ({ outDir, … }). Sends
 * `{ type: 'ready', port }`; answers `{ type: 'memory' }` with the heap and off-heap bytes after
 * a full GC and the number of live connections; on `{ type: 'stop' }` stops and exits.
 */
import { selectStatus } from '../../src/actors/server';
import { startServer } from '../../src/runtime';
import { tcpTransport } from '../../src/transport';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as { outDir: string; keepServed?: number };
  const server = await startServer({
    transport: tcpTransport,
    host: '127.0.0.1',
    port: 0,
    outDir: options.outDir,
    ...(options.keepServed ? { keepServed: options.keepServed } : {}),
  });
  const send = (message: object) => process.send?.(message);
  process.on('message', (message: { type: string }) => {
    if (message.type === 'memory') {
      // Twice: the first pass may leave what finalizers freed for the second.
      global.gc?.();
      global.gc?.();
      const memory = process.memoryUsage();
      const status = selectStatus(server.actor.getSnapshot());
      send({
        type: 'memory',
        heapUsed: memory.heapUsed,
        external: memory.external,
        rss: memory.rss,
        connections: status.connections,
        clients: status.clients,
        served: status.servedCount,
      });
    }
    if (message.type === 'stop') {
      server.actor.send({ type: 'server.stop', reason: 'test over' });
      void server.done.then(() => process.exit(0));
    }
  });
  send({ type: 'ready', port: server.address.port });
}

void main();
