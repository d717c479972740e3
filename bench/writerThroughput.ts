/**
 * Writer throughput: rows/s written through fileWriterMachine (rows handed to its RecordSink,
 * timestampTableFormat) against a raw fs.createWriteStream writing the same formatted lines.
 *
 *   npm run bench -- writer [--rows 2000000] [--runs 3] [--batch 10000] [--only line,ours,batch,slab]
 *                           [--flush-interval 200ms]   (the writer's flushIntervalMs; 200 ms is the default)
 *                           [--profile]   (CPU-profile our writer's first run)
 *
 * Rows are emitted in batches of `--batch` per macrotask (setImmediate between batches), as
 * a busy server would, so the writer's flush timer and the stream's drain both get to run.
 * The clock starts once the file is open and stops when it is finished (footer, fsync,
 * close) for every variant. Variants alternate within each run; medians are reported.
 *
 * Also measured: `sketch: slab appender`, the fix suggested for the writer's appender (see
 * slabSketch), to show what it would gain.
 *
 * Baselines: `raw stream, per line` (one ws.write per formatted line, awaiting 'drain'
 * when asked — the plain way to use a write stream) and `raw stream, per batch` (the lines
 * of a batch joined into one write — the fastest plain way).
 */
import {
  closeSync,
  createWriteStream,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { createActor, fromCallback, toPromise } from 'xstate';
import {
  type FileWriterNotification,
  fileWriterMachine,
  type RecordSink,
} from '../src/actors/writer';
import { type TimestampRow, timestampTableFormat } from '../src/storage';
import { benchArgs, duration, positiveInt } from './lib/args';
import { startProfile, stopProfile } from './lib/profiler';
import { type ProfileSummary, summarizeProfile } from './lib/profileSummary';
import { fmt, median, printTable, RESULTS_DIR, ratio, writeResults } from './lib/report';

const BASE_MICROS = Date.UTC(2026, 10, 24) * 1000;
const row = (i: number): TimestampRow =>
  i % 2 === 0
    ? { senderIp: '127.0.0.2', receiverIp: '127.0.0.1', timeMicros: BASE_MICROS + i * 5000 }
    : { senderIp: '127.0.0.1', receiverIp: '127.0.0.2', timeMicros: BASE_MICROS + i * 5000 + 300 };

interface Measured {
  variant: string;
  ms: number;
  rowsPerSecond: number;
  bytes: number;
  records: number;
}

async function ours(
  path: string,
  rows: number,
  batch: number,
  flushIntervalMs: number,
): Promise<Measured> {
  // The writer hands its sink to whoever it notifies once the file is open.
  let resolveSink: (sink: RecordSink<TimestampRow>) => void = () => undefined;
  const opened = new Promise<RecordSink<TimestampRow>>((resolve) => {
    resolveSink = resolve;
  });
  const owner = createActor(
    fromCallback<FileWriterNotification>(({ receive }) => {
      receive((event) => {
        if (event.type === 'writer.opened') resolveSink(event.sink);
      });
    }),
  ).start();
  const actor = createActor(fileWriterMachine, {
    input: { path, format: timestampTableFormat, flushIntervalMs, notify: owner },
  });
  const done = toPromise(actor);
  actor.start();
  const sink = await opened;
  const started = performance.now();
  for (let i = 0; i < rows; ) {
    const end = Math.min(rows, i + batch);
    for (; i < end; i++) sink.write(row(i));
    await nextMacrotask();
  }
  actor.send({ type: 'writer.close', end: { durationMs: 0 } });
  const output = await done;
  const ms = performance.now() - started;
  owner.stop();
  if (output.error) throw new Error(`writer failed: ${output.error.message}`);
  return {
    variant: 'fileWriterMachine',
    ms,
    rowsPerSecond: (rows / ms) * 1000,
    bytes: statSync(path).size,
    records: output.records,
  };
}

/**
 * A sketch of the fix suggested for src/storage/batchedAppender.ts (bench-only code): each
 * line is encoded at once into a 64 KiB Buffer slab (off the JS heap) instead of being kept
 * as a string until the next flush, and the slabs are written with one writev per flush
 * interval. Same flush interval and fsync as the real writer.
 */
async function slabSketch(
  path: string,
  rows: number,
  batch: number,
  flushIntervalMs: number,
): Promise<Measured> {
  const SLAB_BYTES = 64 * 1024;
  const handle = await open(path, 'w');
  const format = timestampTableFormat;
  let slab = Buffer.allocUnsafe(SLAB_BYTES);
  let used = 0;
  let full: Buffer[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  let written = 0;
  const append = (text: string) => {
    if (used + text.length * 3 > SLAB_BYTES) {
      full.push(slab.subarray(0, used));
      slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, text.length * 3));
      used = 0;
    }
    used += slab.write(text, used);
  };
  const flush = () => {
    if (used > 0) {
      full.push(slab.subarray(0, used));
      slab = Buffer.allocUnsafe(SLAB_BYTES);
      used = 0;
    }
    const buffers = full;
    full = [];
    if (buffers.length > 0) {
      chain = chain.then(async () => {
        written += (await handle.writev(buffers)).bytesWritten;
      });
    }
    return chain;
  };
  append(format.header);
  const timer = setInterval(() => void flush(), flushIntervalMs);
  const started = performance.now();
  let records = 0;
  for (let i = 0; i < rows; ) {
    const end = Math.min(rows, i + batch);
    for (; i < end; i++) {
      records += 1;
      append(format.line(row(i), records));
    }
    await nextMacrotask();
  }
  clearInterval(timer);
  append(format.footer({ durationMs: 0 }));
  await flush();
  await handle.sync();
  await handle.close();
  const ms = performance.now() - started;
  return {
    variant: 'sketch: slab appender',
    ms,
    rowsPerSecond: (rows / ms) * 1000,
    bytes: Math.max(written, statSync(path).size),
    records,
  };
}

async function raw(
  path: string,
  rows: number,
  batch: number,
  joinBatch: boolean,
): Promise<Measured> {
  const fd = openSync(path, 'w');
  const stream = createWriteStream('', { fd, autoClose: false });
  const format = timestampTableFormat;
  stream.write(format.header);
  const started = performance.now();
  for (let i = 0; i < rows; ) {
    const end = Math.min(rows, i + batch);
    let ok = true;
    if (joinBatch) {
      let text = '';
      for (; i < end; i++) text += format.line(row(i), i + 1);
      ok = stream.write(text);
    } else {
      for (; i < end; i++) ok = stream.write(format.line(row(i), i + 1));
    }
    if (!ok) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    else await nextMacrotask();
  }
  stream.write(format.footer({ durationMs: 0 }));
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
  fsyncSync(fd);
  closeSync(fd);
  const ms = performance.now() - started;
  return {
    variant: joinBatch ? 'raw stream, per batch' : 'raw stream, per line',
    ms,
    rowsPerSecond: (rows / ms) * 1000,
    bytes: statSync(path).size,
    records: rows,
  };
}

async function main(): Promise<void> {
  const args = benchArgs(
    ['rows', 'runs', 'batch', 'only', 'flush-interval'] as const,
    ['profile'] as const,
  );
  const flushIntervalMs = duration(args['flush-interval'] ?? '200ms');
  const rows = positiveInt(args.rows ?? '2000000');
  const runs = positiveInt(args.runs ?? '3');
  const batch = positiveInt(args.batch ?? '10000');
  const dir = mkdtempSync(join(os.tmpdir(), 'timeswarm-bench-writer-'));
  const results: Measured[] = [];
  let profilePath: string | null = null;
  try {
    for (let run = 1; run <= runs; run++) {
      // Alternate the order so that neither side always runs on a warmer (or busier) machine.
      const order =
        run % 2 === 1 ? ['line', 'ours', 'batch', 'slab'] : ['slab', 'batch', 'ours', 'line'];
      for (const variant of order.filter((v) => !args.only || args.only.split(',').includes(v))) {
        const path = join(dir, `${variant}-${run}.txt`);
        const profiling = args.profile && run === 1 && variant === 'ours';
        if (profiling) await startProfile();
        const measured =
          variant === 'ours'
            ? await ours(path, rows, batch, flushIntervalMs)
            : variant === 'slab'
              ? await slabSketch(path, rows, batch, flushIntervalMs)
              : await raw(path, rows, batch, variant === 'batch');
        if (profiling) {
          mkdirSync(RESULTS_DIR, { recursive: true });
          profilePath = join(RESULTS_DIR, 'writerThroughput-ours.cpuprofile');
          await stopProfile(profilePath);
        }
        results.push(measured);
        rmSync(path);
        console.log(
          `run ${run}/${runs}: ${measured.variant.padEnd(22)} ${fmt(measured.rowsPerSecond)} rows/s (${fmt(measured.ms)} ms)`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const by = (variant: string) => results.filter((r) => r.variant === variant);
  const med = (variant: string) => median(by(variant).map((r) => r.rowsPerSecond));
  const oursRate = med('fileWriterMachine');
  const perLine = med('raw stream, per line');
  const perBatch = med('raw stream, per batch');
  const slab = med('sketch: slab appender');
  const bytes = results[0]!.bytes;
  const sameSize = results.every((r) => Math.abs(r.bytes - bytes) < 200); // footers differ slightly
  const allRecords = by('fileWriterMachine').every((r) => r.records === rows);
  const mibps = (rate: number) => fmt((rate * bytes) / rows / 2 ** 20, 1);
  printTable(
    `Writer throughput, ${fmt(rows)} rows (${fmt(bytes / 2 ** 20, 0)} MiB), median of ${runs} runs (baseline: raw stream, per line)`,
    ['variant', 'rows/s', 'MiB/s', 'ratio to baseline'],
    [
      [
        'fileWriterMachine (ours)',
        fmt(oursRate),
        mibps(oursRate),
        fmt(ratio(oursRate, perLine), 2),
      ],
      ['raw stream, per line (baseline)', fmt(perLine), mibps(perLine), '1.00'],
      ['raw stream, per batch', fmt(perBatch), mibps(perBatch), fmt(ratio(perBatch, perLine), 2)],
      [
        'sketch: slab appender (suggested fix)',
        fmt(slab),
        mibps(slab),
        fmt(ratio(slab, perLine), 2),
      ],
    ],
  );
  console.log(
    `files the same size: ${sameSize}; every row counted by the writer: ${allRecords}; target ratio ≥ 0.8`,
  );
  let profile: ProfileSummary | null = null;
  if (profilePath) {
    profile = summarizeProfile(profilePath, 25);
    printTable(
      `fileWriterMachine self time (run 1, profiled: slower than unprofiled), busy ${fmt(profile.busyMs)} ms`,
      ['function', 'where (source line)', 'self %'],
      profile.functions.map((f) => [f.name, f.where, fmt(f.percent, 1)]),
    );
  }
  writeResults('writerThroughput', {
    flushIntervalMs,
    profile,
    rows,
    runs,
    batch,
    bytes,
    sameSize,
    allRecords,
    medianRowsPerSecond: {
      ours: oursRate,
      rawPerLine: perLine,
      rawPerBatch: perBatch,
      slabSketch: slab,
    },
    ratio: { vsPerLine: ratio(oursRate, perLine), vsPerBatch: ratio(oursRate, perBatch) },
    runsDetail: results,
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
