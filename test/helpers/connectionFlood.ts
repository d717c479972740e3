/**
 * A connection flood, run as its own process (`node --import tsx connectionFlood.ts CONFIG`)
 * so that its sockets and its CPU are not the test's: it keeps `slots` raw TCP connections
 * to the server, spread over `addresses` (127.0.0.x), says nothing on them, never reads, never
 * ends its side (half-open sockets, the worst kind), and reopens each one `reopenMs` after the
 * server closes it. After `durationMs` it prints its counts as one JSON line on stdout and
 * holds every connection still open until it is told to stop (stdin closes) or `holdMs` passes.
 */
import { readdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';

interface FloodConfig {
  port: number;
  addresses: string[];
  slots: number;
  durationMs: number;
  reopenMs: number;
  holdMs: number;
}

const config = JSON.parse(process.argv[2]!) as FloodConfig;
// A real flood runs on the attacker's machines: here it shares ours, so it yields the CPU to
// the server and the honest client (what is measured is the server's cost, not this one's).
// (Linux: per thread, so every thread of this process, V8's GC helpers too.)
for (const tid of (() => {
  try {
    return readdirSync('/proc/self/task');
  } catch {
    return ['0'];
  }
})()) {
  try {
    os.setPriority(Number(tid), 19);
  } catch {
    // not allowed: it competes like everyone else
  }
}
const sockets = new Set<net.Socket>();
const counts = { opened: 0, closedByServer: 0, connectErrors: 0, peakOpen: 0 };
let flooding = true;

function open(slot: number): void {
  if (!flooding) return;
  const socket = net.connect({
    host: '127.0.0.1',
    port: config.port,
    localAddress: config.addresses[slot % config.addresses.length]!,
    allowHalfOpen: true,
  });
  let connected = false;
  socket.on('connect', () => {
    connected = true;
    counts.opened += 1;
    sockets.add(socket);
    counts.peakOpen = Math.max(counts.peakOpen, sockets.size);
  });
  socket.on('error', () => {
    if (!connected) counts.connectErrors += 1;
  });
  // The server ended its side (cut at accept, or at its handshake timeout): drop, reopen.
  socket.on('end', () => socket.destroy());
  socket.on('close', () => {
    sockets.delete(socket);
    if (connected) counts.closedByServer += flooding ? 1 : 0;
    if (flooding) setTimeout(() => open(slot), config.reopenMs);
  });
}

// Open the slots in small batches, as fast as the machine lets us.
let next = 0;
const batch = () => {
  for (let i = 0; i < 100 && next < config.slots; i++) open(next++);
  if (next < config.slots) setTimeout(batch, 50);
};
batch();

setTimeout(() => {
  flooding = false;
  process.stdout.write(`${JSON.stringify({ ...counts, openAtEnd: sockets.size })}\n`);
  const stop = () => {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  setTimeout(stop, config.holdMs).unref();
}, config.durationMs);
