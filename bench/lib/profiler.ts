import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { findSourceMap } from 'node:module';

/**
 * In-process V8 CPU profiling of a chosen stretch of time (not start-up, not tsx compiling
 * the sources), written as a .cpuprofile whose positions are mapped back to the TypeScript
 * sources through tsx's source maps, so `bench/lib/profileSummary.ts` shows real lines.
 */
let session: Session | null = null;

const post = (method: string, params: object = {}) =>
  new Promise<unknown>((resolve, reject) =>
    session!.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );

interface CallFrame {
  url: string;
  lineNumber: number;
  columnNumber: number;
}

function mapToSources(profile: { nodes: { callFrame: CallFrame }[] }): void {
  for (const { callFrame } of profile.nodes) {
    if (!callFrame.url || callFrame.url.startsWith('node:') || callFrame.lineNumber < 0) continue;
    const path = callFrame.url.replace(/^file:\/\//, '');
    try {
      const entry = findSourceMap(path)?.findEntry(callFrame.lineNumber, callFrame.columnNumber) as
        | { originalLine?: number; originalColumn?: number }
        | undefined;
      if (entry?.originalLine !== undefined) {
        callFrame.lineNumber = entry.originalLine;
        callFrame.columnNumber = entry.originalColumn ?? 0;
      }
    } catch {
      // no source map for this file: keep the compiled position
    }
  }
}

/** Starts sampling every `intervalUs` microseconds. */
export async function startProfile(intervalUs = 500): Promise<void> {
  if (session) throw new Error('a profile is already running');
  session = new Session();
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: intervalUs });
  await post('Profiler.start');
}

/** Stops sampling and writes the profile to `path`. */
export async function stopProfile(path: string): Promise<void> {
  if (!session) throw new Error('no profile is running');
  const { profile } = (await post('Profiler.stop')) as {
    profile: { nodes: { callFrame: CallFrame }[] };
  };
  session.disconnect();
  session = null;
  mapToSources(profile);
  writeFileSync(path, JSON.stringify(profile));
}
