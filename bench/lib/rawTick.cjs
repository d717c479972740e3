/**
 * The raw Node baseline of the tick benchmark, in plain JavaScript so that Node runs it with
 * nothing loaded (no tsx, no timeswarm): its CPU and memory are Node's own.
 *
 *   node bench/lib/rawTick.cjs echo                   a TCP echo; prints its port, then echoes
 *   node bench/lib/rawTick.cjs client PORT INTERVAL_MS DURATION_MS SPIN_MS [hello]
 *
 * The client ticks on the same drift-free grid as ours (slot n at start + n × interval, the
 * last SPIN_MS spun with setImmediate, a slot whose interval passed is missed, never sent
 * late), writes tick frames like ours (36 bytes: a msgpack map, seq as uint32, t1 as float64), takes
 * the RTT from performance.now() around each round trip and counts replies by their length
 * prefixes. With `hello` it first says hello to a timeswarm server and waits for its welcome.
 * It prints its figures as one JSON line.
 */
'use strict';
const net = require('node:net');

const [mode, portText, intervalText, durationText, spinText, hello] = process.argv.slice(2);

if (mode === 'echo') {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('end', () => socket.end());
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
} else if (mode === 'client') {
  client(Number(portText), Number(intervalText), Number(durationText), Number(spinText));
} else {
  process.stderr.write(
    'usage: rawTick.cjs echo | client PORT INTERVAL_MS DURATION_MS SPIN_MS [hello]\n',
  );
  process.exit(2);
}

function frameOf(map) {
  const parts = [];
  const keys = Object.keys(map);
  parts.push(Buffer.from([0x80 | keys.length]));
  for (const key of keys) {
    parts.push(Buffer.from([0xa0 | key.length]), Buffer.from(key));
    const value = map[key];
    if (typeof value === 'string')
      parts.push(Buffer.from([0xa0 | value.length]), Buffer.from(value));
    else if (value < 128) parts.push(Buffer.from([value]));
    else {
      const b = Buffer.alloc(9);
      b[0] = 0xcb;
      b.writeDoubleBE(value, 1);
      parts.push(b);
    }
  }
  const payload = Buffer.concat(parts);
  const out = Buffer.alloc(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

function client(port, intervalMs, durationMs, spinMs) {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  // {type: 'tick', seq: uint32, t1: float64}: 4 + 32 bytes.
  const template = Buffer.from(
    '0000002083a474797065a47469636ba3736571ce00000000a27431cb0000000000000000',
    'hex',
  );
  const count = Math.round(durationMs / intervalMs);
  const sentAt = [];
  const timerErr = [];
  const rtts = [];
  let frames = 0;
  let pending = Buffer.alloc(0);
  let onFrame = () => undefined;
  socket.on('data', (chunk) => {
    const now = performance.now();
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
      pending = pending.subarray(4 + pending.readUInt32BE(0));
      onFrame(now);
    }
  });
  socket.on('error', (error) => {
    process.stderr.write(`raw client: ${error.message}\n`);
    process.exit(1);
  });
  socket.once('connect', () => {
    if (hello === 'hello') {
      onFrame = () => run();
      socket.write(frameOf({ type: 'hello', version: 1, intervalMs }));
    } else run();
  });
  let started = false;
  function run() {
    if (started) return;
    started = true;
    onFrame = (now) => {
      rtts.push(now - sentAt[frames]);
      frames += 1;
    };
    const start = performance.now();
    let next = 0;
    let missed = 0;
    const finish = () => {
      const deadline = performance.now() + 2000;
      const wait = () => {
        if (frames < sentAt.length && performance.now() < deadline) return setTimeout(wait, 5);
        if (hello === 'hello') socket.end(frameOf({ type: 'bye', reason: 'benchmark over' }));
        else socket.destroy();
        process.stdout.write(
          `${JSON.stringify({ count, sent: sentAt.length, missed, timerErr, rtts })}\n`,
        );
      };
      wait();
    };
    const schedule = () => {
      if (next >= count) return finish();
      const wait = start + next * intervalMs - performance.now();
      if (wait > spinMs) setTimeout(fire, wait - spinMs);
      else if (spinMs > 0) setImmediate(fire);
      else setTimeout(fire, Math.max(0, wait));
    };
    const fire = () => {
      const now = performance.now();
      if (now < start + next * intervalMs) return schedule();
      const slot = Math.floor((now - start) / intervalMs + 1e-9);
      if (slot >= count) {
        missed += count - next;
        return finish();
      }
      missed += slot - next;
      next = slot + 1;
      timerErr.push(now - (start + slot * intervalMs));
      const frame = Buffer.from(template);
      frame.writeUInt32BE(slot, 20);
      frame.writeDoubleBE(Math.round((performance.timeOrigin + performance.now()) * 1000), 28);
      sentAt.push(performance.now());
      socket.write(frame);
      schedule();
    };
    fire();
  }
}
