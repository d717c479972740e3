/**
 * The configurations of the tick benchmark (bench/tickFidelity.ts), each as separate processes
 * watched from /proc (CPU after start-up, peak memory): our CLI client and server (built
 * JavaScript, as installed), the raw Node client and echo (bench/lib/rawTick.cjs), irtt.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { ClientSessionSummary } from '../../src/actors/client';
import { parseExchangeLog } from '../../src/storage';
import { sleep, waitExit } from './children';
import { startServerProcess } from './loadStep';
import { type ProcessCost, watchProcess } from './procStats';
import { mean, median, quantile } from './report';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'timeswarm.cjs');
const RAW = join(__dirname, 'rawTick.cjs');

/** The figures compared, all times in ms. */
export interface Figures {
  planned: number;
  sent: number;
  missed: number;
  timerErrMean: number;
  timerErrP99: number;
  timerErrMax: number;
  rttMedian: number;
  rttP99: number;
  /** RTT minus the server's hold (t3 − t2): irtt's definition of RTT. */
  rttNetMedian: number;
  lost: number;
  /** From t1..t4 (ours, irtt): medians; hold also p99; θ = ((t2 − t1) + (t3 − t4)) / 2. */
  upMs?: number;
  holdMs?: number;
  holdP99Ms?: number;
  downMs?: number;
  thetaMs?: number;
  client?: ProcessCost;
  server?: ProcessCost;
}

export interface TickSettings {
  durationMs: number;
  intervalMs: number;
  spinMs: number;
}

/** Runs `argv` with node, returns the child and a promise of its stdout at exit. */
function run(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // The CLI tells where it listens on stderr (stdout is kept for --json).
  const done = new Promise<string>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr}`)),
    ),
  );
  return { child, done, output: () => stdout + stderr };
}

/** Waits until the child's stdout matches; returns the match. */
async function waitFor(output: () => string, pattern: RegExp, child: ChildProcess) {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const match = pattern.exec(output());
    if (match) return match;
    if (child.exitCode !== null || performance.now() > deadline)
      throw new Error(`no ${pattern} from ${child.spawnargs.join(' ')}`);
    await sleep(20);
  }
}

/** A server process: ours (the CLI), the raw echo, or the bare protocol server (tsx). */
async function startServer(
  kind: 'timeswarm' | 'echo' | 'proto',
  secret: string | undefined,
  bin = BIN,
) {
  if (kind === 'proto') {
    const proto = await startServerProcess('proto');
    const cost = watchProcess(proto.child.pid!);
    return {
      port: proto.port,
      stop: async () => {
        await proto.stop();
        return cost.stop();
      },
    };
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'timeswarm-bench-server-'));
  const argv =
    kind === 'echo'
      ? [RAW, 'echo']
      : [bin, 'server', '--host', '127.0.0.1', '--port', '0', '--out', dir, '--quiet'];
  const server = run(argv, { ...process.env, ...(secret ? { TIMESWARM_SECRET: secret } : {}) });
  const cost = watchProcess(server.child.pid!);
  const match = await waitFor(
    server.output,
    kind === 'echo' ? /^(\d+)$/m : /listening on [\d.]+:(\d+)/,
    server.child,
  );
  return {
    port: Number(match[1]),
    stop: async () => {
      server.child.kill(kind === 'echo' ? 'SIGTERM' : 'SIGINT');
      await waitExit(server.child, 10_000);
      rmSync(dir, { recursive: true, force: true });
      return cost.stop();
    },
  };
}

/** t1..t4 figures from a sidecar's answered exchanges (µs → ms). */
function exchangeFigures(rows: { t1: number; t2: number; t3: number; t4: number }[]) {
  const ms = (v: number[]) => v.map((x) => x / 1000);
  const hold = ms(rows.map((r) => r.t3 - r.t2));
  return {
    upMs: median(ms(rows.map((r) => r.t2 - r.t1))),
    holdMs: median(hold),
    holdP99Ms: quantile(hold, 0.99),
    downMs: median(ms(rows.map((r) => r.t4 - r.t3))),
    thetaMs: median(ms(rows.map((r) => (r.t2 - r.t1 + (r.t3 - r.t4)) / 2))),
    rttNetMedian: median(ms(rows.map((r) => r.t4 - r.t1 - (r.t3 - r.t2)))),
  };
}

/**
 * Our CLI client against our CLI server (or the bare `proto` server), with or without a secret;
 * `bin`: another checkout's CLI (an older version, measured in the same run).
 */
export async function runOurs(
  s: TickSettings,
  options: { server?: 'timeswarm' | 'proto'; secret?: string; bin?: string } = {},
): Promise<Figures> {
  const bin = options.bin ?? BIN;
  const server = await startServer(options.server ?? 'timeswarm', options.secret, bin);
  const outDir = mkdtempSync(join(os.tmpdir(), 'timeswarm-bench-tick-'));
  try {
    const client = run(
      [
        bin,
        'client',
        '--server',
        `127.0.0.1:${server.port}`,
        '--interval',
        `${s.intervalMs}ms`,
        '--duration',
        `${s.durationMs}ms`,
        '--spin',
        `${s.spinMs}ms`,
        '--out',
        outDir,
        '--quiet',
        '--json',
      ],
      { ...process.env, ...(options.secret ? { TIMESWARM_SECRET: options.secret } : {}) },
    );
    const clientCost = watchProcess(client.child.pid!);
    const summary = JSON.parse(await client.done) as ClientSessionSummary;
    const clientFigures = clientCost.stop();
    const serverFigures = await server.stop();
    if (summary.outcome !== 'done' || !summary.files)
      throw new Error(`client session ${summary.outcome}: ${summary.error?.message}`);
    const log = parseExchangeLog(readFileSync(summary.files.exchanges, 'utf8'));
    const answered = log.records.filter((r) => r.t2 !== null && r.t3 !== null && r.t4 !== null) as {
      t1: number;
      t2: number;
      t3: number;
      t4: number;
    }[];
    return {
      planned: summary.plannedTicks,
      sent: summary.ticksSent,
      missed: summary.missedSlots,
      timerErrMean: summary.timerErrorMs?.mean ?? Number.NaN,
      timerErrP99: summary.timerErrorMs?.p99 ?? Number.NaN,
      timerErrMax: summary.timerErrorMs?.max ?? Number.NaN,
      rttMedian: summary.rttMs?.median ?? Number.NaN,
      rttP99: summary.rttMs?.p99 ?? Number.NaN,
      lost: summary.lost,
      ...exchangeFigures(answered),
      client: clientFigures,
      server: serverFigures,
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** The raw Node client (plain JavaScript) against the raw echo, or against our server. */
export async function runRaw(s: TickSettings, serverKind: 'echo' | 'timeswarm'): Promise<Figures> {
  const server = await startServer(serverKind, undefined);
  const client = run([
    RAW,
    'client',
    String(server.port),
    String(s.intervalMs),
    String(s.durationMs),
    String(s.spinMs),
    ...(serverKind === 'timeswarm' ? ['hello'] : []),
  ]);
  const clientCost = watchProcess(client.child.pid!);
  const out = JSON.parse(await client.done) as {
    count: number;
    sent: number;
    missed: number;
    timerErr: number[];
    rtts: number[];
  };
  const clientFigures = clientCost.stop();
  const serverFigures = await server.stop();
  return {
    planned: out.count,
    sent: out.sent,
    missed: out.missed,
    timerErrMean: mean(out.timerErr),
    timerErrP99: quantile(out.timerErr, 0.99),
    timerErrMax: Math.max(...out.timerErr),
    rttMedian: median(out.rtts),
    rttP99: quantile(out.rtts, 0.99),
    rttNetMedian: Number.NaN,
    lost: out.sent - out.rtts.length,
    client: clientFigures,
    server: serverFigures,
  };
}

/** A UDP port on 127.0.0.1 that is free right now. */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

interface Stamp {
  wall?: number;
}
interface IrttJson {
  stats: {
    packets_sent: number;
    packets_received: number;
    timer_misses: number;
    timer_error: { mean: number; max: number; stddev: number };
    rtt: { median: number };
    server_processing_time: { mean: number };
  };
  round_trips: {
    lost: string;
    timestamps: {
      client: { send?: Stamp; receive?: Stamp };
      server: { send?: Stamp; receive?: Stamp };
    };
    delay: { rtt?: number };
  }[];
}

/**
 * irtt 0.9 client and server (processes watched the same way). Its timer error is how late its
 * timer woke (n, mean, max, stddev only: no p99). Its RTT excludes the server's processing;
 * its wall-clock stamps (ns) give t1..t4 like ours, hence its θ and one-way split.
 */
export async function runIrtt(s: TickSettings, planned: number) {
  const port = await freeUdpPort();
  const dir = mkdtempSync(join(os.tmpdir(), 'timeswarm-bench-irtt-'));
  const server = spawn('irtt', ['server', '-b', `127.0.0.1:${port}`], { stdio: 'ignore' });
  const serverCost = watchProcess(server.pid!);
  try {
    await sleep(300);
    const out = join(dir, 'irtt.json');
    const client = spawn(
      'irtt',
      [
        'client',
        '-Q',
        '-i',
        `${s.intervalMs}ms`,
        '-d',
        `${s.durationMs}ms`,
        '-o',
        out,
        `127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const clientCost = watchProcess(client.pid!);
    const code = await waitExit(client, s.durationMs + 60_000);
    const clientFigures = clientCost.stop();
    if (code !== 0) throw new Error(`irtt client exited ${code}`);
    const json = JSON.parse(readFileSync(out, 'utf8')) as IrttJson;
    const st = json.stats;
    const answered = json.round_trips.filter((r) => r.lost === 'false');
    const rtts = answered.filter((r) => r.delay.rtt !== undefined).map((r) => r.delay.rtt! / 1e6);
    const stamped = answered
      .map((r) => ({
        t1: (r.timestamps.client.send?.wall ?? Number.NaN) / 1000,
        t2: (r.timestamps.server.receive?.wall ?? Number.NaN) / 1000,
        t3: (r.timestamps.server.send?.wall ?? Number.NaN) / 1000,
        t4: (r.timestamps.client.receive?.wall ?? Number.NaN) / 1000,
      }))
      .filter((r) => Number.isFinite(r.t1 + r.t2 + r.t3 + r.t4));
    server.kill('SIGTERM');
    await waitExit(server, 5000);
    return {
      planned,
      sent: st.packets_sent,
      missed: st.timer_misses,
      timerErrMean: st.timer_error.mean / 1e6,
      timerErrP99: Number.NaN,
      timerErrMax: st.timer_error.max / 1e6,
      rttMedian: st.rtt.median / 1e6,
      rttP99: quantile(rtts, 0.99),
      lost: st.packets_sent - st.packets_received,
      ...(stamped.length > 0 ? exchangeFigures(stamped) : {}),
      rttNetMedian: st.rtt.median / 1e6,
      timerErrStddevMs: st.timer_error.stddev / 1e6,
      serverProcessingMeanMs: st.server_processing_time.mean / 1e6,
      client: clientFigures,
      server: serverCost.stop(),
    } satisfies Figures & Record<string, unknown>;
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
