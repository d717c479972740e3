/**
 * The benchmark suite (see BENCHMARKS.md):
 *
 *   npm run bench                      tick, capacity, writer, p2p (the default set)
 *   npm run bench -- tick [flags…]     one benchmark, flags passed on
 *   npm run bench -- all               the default set and memory (5 more minutes)
 *   npm run bench -- list
 *
 * Each benchmark runs in its own process, prints its table and writes JSON into
 * bench/results/. Benchmarks only talk to 127.0.0.0/8 and are bounded in time; they are
 * not tests (jest's roots do not include bench/).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCHMARKS: Record<string, { file: string; about: string }> = {
  tick: {
    file: 'tickFidelity.ts',
    about: '30 s at 10 ms on loopback: our client+server vs irtt 0.9',
  },
  capacity: {
    file: 'serverCapacity.ts',
    about: 'most clients at 100 Hz one server holds, vs a raw TCP echo',
  },
  writer: {
    file: 'writerThroughput.ts',
    about: 'rows/s through fileWriterMachine vs a raw fs write stream',
  },
  memory: {
    file: 'memory.ts',
    about: 'server RSS with 100 clients after 10 s vs after 5 min (long)',
  },
  startup: {
    file: 'startup.ts',
    about: 'timeswarm --version, --help and a 1 s client session vs node -e 0 (whole process)',
  },
  stalls: {
    file: 'loopStalls.ts',
    about:
      'event-loop stalls and GC pauses with a server and 3 clients in one process (the example)',
  },
  timer: {
    file: 'timerOptions.ts',
    about: 'tick grid timing options (spin vs a worker in Atomics.wait): error, missed, CPU',
  },
  signatures: {
    file: 'signatures.ts',
    about: 'v2 trust costs: sign/verify of manifests, records, handshakes vs hashing the file',
  },
  p2p: {
    file: 'p2pExchange.ts',
    about: 'k peers share 4 MB files under an upload cap vs the (k−1)·S/B lower bound',
  },
};
const DEFAULT_SET = ['tick', 'capacity', 'writer', 'p2p'];

function runOne(name: string, args: string[]): number {
  const bench = BENCHMARKS[name]!;
  console.log(`\n=== bench ${name}: ${bench.about} ===`);
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(__dirname, bench.file), ...args],
    {
      stdio: 'inherit',
    },
  );
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function main(): number {
  const [first, ...rest] = process.argv.slice(2);
  if (first === 'list' || first === '--help' || first === '-h') {
    for (const [name, bench] of Object.entries(BENCHMARKS))
      console.log(`${name.padEnd(9)} ${bench.about}`);
    console.log(`\ndefault set: ${DEFAULT_SET.join(', ')}; 'all' adds memory`);
    return 0;
  }
  if (first === undefined || first === 'all') {
    const names = first === 'all' ? Object.keys(BENCHMARKS) : DEFAULT_SET;
    if (rest.length > 0) {
      console.error('flags go to one benchmark at a time: npm run bench -- <name> [flags]');
      return 2;
    }
    let failures = 0;
    for (const name of names) if (runOne(name, []) !== 0) failures += 1;
    return failures === 0 ? 0 : 1;
  }
  if (!BENCHMARKS[first]) {
    console.error(
      `unknown benchmark ${first}; one of: ${Object.keys(BENCHMARKS).join(', ')}, all, list`,
    );
    return 2;
  }
  return runOne(first, rest);
}

process.exitCode = main();
