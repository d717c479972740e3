import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import { ask, forkTs, machineCpuTicks, nextMessage, ofType, waitExit } from './children';
import { type GeneratorConnected, type GeneratorRan, RTT_BUCKET_US } from './loadGenerator';
import type { ServerKind, ServerStats, ServerStopped } from './serverChild';

const SERVER_CHILD = join(__dirname, 'serverChild.ts');
const GENERATOR_CHILD = join(__dirname, 'loadGenerator.ts');

/** A server process under test. */
export interface ServerProcess {
  kind: ServerKind;
  child: ChildProcess;
  port: number;
  stats(gc?: boolean): Promise<ServerStats>;
  /** Stops the server (it finishes its file first) and waits for the process to exit. */
  stop(): Promise<ServerStopped>;
}

export async function startServerProcess(
  kind: ServerKind,
  options: { nodeFlags?: string[]; args?: string[] } = {},
): Promise<ServerProcess> {
  const child = forkTs(
    SERVER_CHILD,
    [kind, ...(options.args ?? [])],
    options.nodeFlags ? { nodeFlags: options.nodeFlags } : {},
  );
  const ready = await nextMessage(child, ofType<{ type: 'ready'; port: number }>('ready'), 30_000);
  return {
    kind,
    child,
    port: ready.port,
    stats: (gc = false) => ask<ServerStats>(child, { type: 'stats', gc }, 'stats'),
    async stop() {
      const stopped = await ask<ServerStopped>(child, { type: 'stop' }, 'stopped', 60_000);
      await waitExit(child);
      return stopped;
    },
  };
}

/** A load generator process. */
export interface GeneratorProcess {
  child: ChildProcess;
  connect(port: number, clients: number, mode: ServerKind): Promise<GeneratorConnected>;
  run(durationMs: number, intervalMs: number, drainMs: number): Promise<GeneratorRan>;
  close(): Promise<void>;
}

export async function startGenerator(): Promise<GeneratorProcess> {
  const child = forkTs(GENERATOR_CHILD, []);
  await nextMessage(child, ofType<{ type: 'ready' }>('ready'), 30_000);
  return {
    child,
    connect: (port, clients, mode) =>
      ask<GeneratorConnected>(
        child,
        { type: 'connect', host: '127.0.0.1', port, clients, mode },
        'connected',
        120_000,
      ),
    run: (durationMs, intervalMs, drainMs) =>
      ask<GeneratorRan>(
        child,
        { type: 'run', durationMs, intervalMs, drainMs },
        'ran',
        durationMs + drainMs + 60_000,
      ),
    async close() {
      await ask(child, { type: 'close' }, 'closed', 30_000);
      await waitExit(child);
    },
  };
}

/** Percentile (0..1) from a merged RTT histogram, in ms. */
export function histogramQuantileMs(histogram: Map<number, number>, q: number): number {
  let total = 0;
  for (const count of histogram.values()) total += count;
  if (total === 0) return Number.NaN;
  const target = q * total;
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bucket)!;
    if (seen >= target) return ((bucket + 0.5) * RTT_BUCKET_US) / 1000;
  }
  return Number.NaN;
}

/** What one load step (N clients, one server kind) measured. */
export interface LoadStepResult {
  server: ServerKind;
  clients: number;
  connected: number;
  connectFailed: number;
  connectError: string | null;
  durationMs: number;
  slots: number;
  sent: number;
  replies: number;
  /** Ticks sent that got no reply before the drain deadline. */
  repliesLost: number;
  missed: number;
  missedPercent: number;
  /** Rows in the server's table vs the 2 per tick it should hold (timeswarm only). */
  serverRows: number | null;
  rowsLost: number | null;
  /** How the server says its client connections ended, by code ('OK' = the client said bye). */
  serverCloseCodes: Record<string, number>;
  verified: number;
  mismatched: number;
  socketErrors: number;
  /** Replies per second over the tick phase. */
  messagesPerSecond: number;
  rttMedianMs: number;
  rttP99Ms: number;
  /** Server process CPU during the run, in cores (1 = one core busy). */
  serverCpuCores: number;
  /** Server CPU per reply, µs. */
  serverCpuUsPerMessage: number;
  serverElu: number;
  serverRssMiB: number;
  /** The server's RSS before any client connected. */
  serverIdleRssMiB: number;
  generatorCpuCores: number;
  generatorElu: number;
  generatorLateMeanMs: number;
  generatorLateP99Ms: number;
  machineBusyPercent: number;
  /** CPU used by everything else on the machine during the run, in cores. */
  othersCpuCores: number;
  clean: boolean;
}

export interface LoadStepOptions {
  server: ServerKind;
  clients: number;
  durationMs: number;
  intervalMs?: number;
  drainMs?: number;
  generators?: number;
  serverNodeFlags?: string[];
  /** Our server's tick-burst limit (ExchangeLimits.tickBurst); the product default if absent. */
  tickBurst?: number;
  /** CPU-profile the server during the tick phase only, into this .cpuprofile file. */
  profilePath?: string;
  /** Called while the load runs (e.g. to sample the server's memory). */
  during?: (server: ServerProcess) => Promise<void>;
}

/** Starts a fresh server, loads it with N clients for a while, and takes everything down. */
export async function runLoadStep(options: LoadStepOptions): Promise<LoadStepResult> {
  const intervalMs = options.intervalMs ?? 10;
  const drainMs = options.drainMs ?? 2000;
  const generatorCount = Math.max(1, Math.min(options.generators ?? 1, options.clients));
  const server = await startServerProcess(options.server, {
    ...(options.serverNodeFlags ? { nodeFlags: options.serverNodeFlags } : {}),
    ...(options.tickBurst !== undefined
      ? { args: ['--tick-burst', String(options.tickBurst)] }
      : {}),
  });
  const generators = await Promise.all(
    Array.from({ length: generatorCount }, () => startGenerator()),
  );
  try {
    const idle = await server.stats();
    const shares = generators.map(
      (_, i) =>
        Math.floor(options.clients / generatorCount) +
        (i < options.clients % generatorCount ? 1 : 0),
    );
    const connected: GeneratorConnected[] = [];
    // One generator at a time: the server sees a steady stream of handshakes.
    for (const [i, generator] of generators.entries()) {
      connected.push(await generator.connect(server.port, shares[i]!, options.server));
    }
    if (options.profilePath) await ask(server.child, { type: 'profile-start' }, 'profile-started');
    const before = await server.stats();
    const machineBefore = machineCpuTicks();
    const runs = Promise.all(generators.map((g) => g.run(options.durationMs, intervalMs, drainMs)));
    if (options.during) await options.during(server);
    const ran = await runs;
    const machineAfter = machineCpuTicks();
    const after = await server.stats();
    if (options.profilePath) {
      await ask(
        server.child,
        { type: 'profile-stop', path: options.profilePath },
        'profile-stopped',
        120_000,
      );
    }
    await Promise.all(generators.map((g) => g.close()));
    const stopped = await server.stop();

    const sum = (pick: (r: GeneratorRan) => number) => ran.reduce((a, r) => a + pick(r), 0);
    const histogram = new Map<number, number>();
    for (const r of ran)
      for (const [bucket, count] of r.rttHistogram)
        histogram.set(bucket, (histogram.get(bucket) ?? 0) + count);
    const elapsedS = Math.max(...ran.map((r) => r.elapsedMs)) / 1000;
    const sent = sum((r) => r.sent);
    const replies = sum((r) => r.replies);
    const slots = sum((r) => r.slots);
    const missed = sum((r) => r.missed);
    const serverRows = stopped.rows;
    const rowsLost = serverRows === null ? null : 2 * sent - serverRows;
    const serverCpu = after.cpuSeconds - before.cpuSeconds;
    const serverActive = after.eluActive - before.eluActive;
    const serverIdle = after.eluIdle - before.eluIdle;
    const connectedCount = connected.reduce((a, c) => a + c.clients, 0);
    const missedPercent = slots > 0 ? (100 * missed) / slots : 100;
    const result: LoadStepResult = {
      server: options.server,
      clients: options.clients,
      connected: connectedCount,
      connectFailed: connected.reduce((a, c) => a + c.failed, 0),
      connectError: connected.find((c) => c.firstError)?.firstError ?? null,
      durationMs: options.durationMs,
      slots,
      sent,
      replies,
      repliesLost: sent - replies,
      missed,
      missedPercent,
      serverRows,
      rowsLost,
      serverCloseCodes: stopped.closeCodes,
      verified: sum((r) => r.verified),
      mismatched: sum((r) => r.mismatched),
      socketErrors: sum((r) => r.socketErrors),
      messagesPerSecond: replies / (options.durationMs / 1000),
      rttMedianMs: histogramQuantileMs(histogram, 0.5),
      rttP99Ms: histogramQuantileMs(histogram, 0.99),
      serverCpuCores: serverCpu / elapsedS,
      serverCpuUsPerMessage: replies > 0 ? (serverCpu * 1e6) / replies : Number.NaN,
      serverElu: serverActive / Math.max(1e-9, serverActive + serverIdle),
      serverRssMiB: after.rssMiB,
      serverIdleRssMiB: idle.rssMiB,
      generatorCpuCores: sum((r) => r.cpuSeconds) / elapsedS,
      generatorElu: Math.max(...ran.map((r) => r.elu)),
      generatorLateMeanMs: Math.max(...ran.map((r) => r.lateMeanMs)),
      generatorLateP99Ms: Math.max(...ran.map((r) => r.lateP99Ms)),
      machineBusyPercent:
        (100 * (machineAfter.busy - machineBefore.busy)) /
        Math.max(1, machineAfter.total - machineBefore.total),
      othersCpuCores: 0,
      clean: false,
    };
    result.othersCpuCores = Math.max(
      0,
      (result.machineBusyPercent / 100) * os.cpus().length -
        result.serverCpuCores -
        result.generatorCpuCores,
    );
    result.clean =
      result.connectFailed === 0 &&
      result.repliesLost === 0 &&
      (result.rowsLost === null || result.rowsLost === 0) &&
      result.mismatched === 0 &&
      Object.keys(result.serverCloseCodes).every((code) => code === 'OK') &&
      missedPercent <= 1;
    return result;
  } finally {
    for (const g of generators) if (g.child.exitCode === null) g.child.kill('SIGKILL');
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
}
