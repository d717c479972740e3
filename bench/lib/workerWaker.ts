import { Worker } from 'node:worker_threads';
import type { Waker } from '../../src/time/tickGrid';

/**
 * Sub-millisecond wake-ups without spinning a core.
 *
 * Node's timers have millisecond resolution: a 10 ms grid that relies on them alone is late by
 * 0–1 ms on every slot. The grid's old answer was to wake 1 ms early and spin the main thread
 * (yielding to I/O with setImmediate) until the slot: tens of µs of error, but a 10% core on a
 * 10 ms grid. A waker instead asks a worker thread that sleeps in `Atomics.wait` (a futex with a
 * timeout, microsecond resolution) to post a message at the wanted time; the main thread then
 * spins only the last `leadMs` (the time a message takes to wake it). Measured in
 * BENCHMARKS.md ("Timer: spin or worker"): under load the two wake-ups in a row (worker, then
 * main thread) were later and missed more slots than the spin, so the product keeps the spin;
 * this stays as the benchmark's alternative.
 *
 * One waker serves one grid at a time (a client session): a wake request replaces the pending
 * one. The worker is unref'd: it never keeps a process alive, and `close()` ends it.
 */
export interface WorkerWaker extends Waker {
  close(): void;
}

// The worker: sleeps on a futex for the requested time, then says so. A newer request (or
// `close`) bumps the shared generation and notifies it, which ends the current sleep early.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const cell = new Int32Array(workerData);
parentPort.on('message', ({ generation, ms }) => {
  if (ms > 0) Atomics.wait(cell, 0, generation, ms);
  if (Atomics.load(cell, 0) === generation) parentPort.postMessage(generation);
});
`;

/** A {@link Waker} on a worker thread. */
export function createWorkerWaker(): WorkerWaker {
  const shared = new SharedArrayBuffer(4);
  const cell = new Int32Array(shared);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: shared });
  worker.unref();
  let generation = 0;
  let pending: (() => void) | null = null;
  let closed = false;
  worker.on('message', (answered: number) => {
    if (answered !== generation || !pending) return;
    const fn = pending;
    pending = null;
    fn();
  });
  // A worker that dies (it should not) must not take the process with it; a grid whose waker
  // died stops ticking, which the session's reply timeout and summary then show.
  worker.on('error', () => undefined);
  const bump = () => {
    generation = (generation + 1) | 0;
    Atomics.store(cell, 0, generation);
    Atomics.notify(cell, 0);
  };
  return {
    wakeIn(ms, fn) {
      if (closed) return;
      bump();
      pending = fn;
      worker.postMessage({ generation, ms });
    },
    cancel() {
      pending = null;
      bump();
    },
    close() {
      if (closed) return;
      closed = true;
      pending = null;
      bump();
      void worker.terminate();
    },
  };
}
