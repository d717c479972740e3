import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** One reading of a process from /proc: CPU seconds so far (user + system) and VmHWM. */
function read(pid: number): { cpuSeconds: number; peakMiB: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    if (!hwm) return null; // a zombie: exited, not yet reaped
    return {
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
      peakMiB: hwm ? Number(hwm[1]) / 1024 : Number.NaN,
    };
  } catch {
    return null; // gone
  }
}

/** What a process cost while it was watched. */
export interface ProcessCost {
  /** CPU seconds per second of wall time after start-up (`settleMs` after spawn) to the end. */
  cpuPerSecond: number;
  /** CPU seconds of the whole process, start-up included (last reading). */
  cpuSeconds: number;
  /** Peak resident memory (VmHWM), MiB. */
  peakMiB: number;
}

/**
 * Watches a process from /proc every `everyMs` (whole-process accounting, as `time` would, but
 * also after start-up): call `stop()` at the end (after the process exited, its last reading
 * stands). CPU per session-second leaves start-up out: it counts from the first reading after
 * `settleMs`.
 */
export function watchProcess(pid: number, settleMs = 1000, everyMs = 50) {
  const started = performance.now();
  let settled: { at: number; cpuSeconds: number } | null = null;
  let last: { at: number; cpuSeconds: number; peakMiB: number } | null = null;
  const sample = () => {
    const now = performance.now();
    const reading = read(pid);
    if (!reading) return;
    last = { at: now, ...reading };
    if (!settled && now - started >= settleMs)
      settled = { at: now, cpuSeconds: reading.cpuSeconds };
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop(): ProcessCost {
      clearInterval(timer);
      sample();
      const end = last as { at: number; cpuSeconds: number; peakMiB: number } | null;
      const from = settled as { at: number; cpuSeconds: number } | null;
      return {
        cpuPerSecond:
          end && from && end.at > from.at
            ? (end.cpuSeconds - from.cpuSeconds) / ((end.at - from.at) / 1000)
            : Number.NaN,
        cpuSeconds: end?.cpuSeconds ?? Number.NaN,
        peakMiB: end?.peakMiB ?? Number.NaN,
      };
    },
  };
}
