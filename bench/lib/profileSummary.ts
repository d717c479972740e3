/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time per function, and time
 * per source area (our src/ folders, node_modules packages, node internals, GC, idle).
 *
 *   tsx bench/lib/profileSummary.ts file.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  name: string;
  where: string;
  area: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time not idle (the process did something). */
  busyMs: number;
  functions: ProfileEntry[];
  areas: { area: string; selfMs: number; percent: number }[];
}

function areaOf(url: string, name: string): string {
  if (name === '(idle)') return '(idle)';
  if (name === '(garbage collector)') return '(garbage collector)';
  if (name === '(program)') return '(program: native, not JS)';
  if (!url) return '(native / builtin)';
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return `npm: ${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const src = url.indexOf('/src/');
  if (src >= 0) {
    const parts = url.slice(src + 1).split('/');
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.includes('/bench/')) return 'bench';
  return url;
}

export function summarizeProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const functions = new Map<string, ProfileEntry>();
  const areas = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of self) {
    const frame = byId.get(id)!.callFrame;
    const name = frame.functionName || '(anonymous)';
    const file = frame.url.replace(/^file:\/\//, '');
    const where = file ? `${relative(process.cwd(), file)}:${frame.lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const area = areaOf(file, name);
    totalMs += ms;
    if (name === '(idle)') idleMs += ms;
    const entry = functions.get(key) ?? { name, where, area, selfMs: 0, percent: 0 };
    entry.selfMs += ms;
    functions.set(key, entry);
    areas.set(area, (areas.get(area) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const pct = (ms: number) => (100 * ms) / Math.max(1e-9, busyMs);
  return {
    totalMs,
    busyMs,
    functions: [...functions.values()]
      .filter((f) => f.name !== '(idle)')
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((f) => ({ ...f, percent: pct(f.selfMs) })),
    areas: [...areas.entries()]
      .filter(([area]) => area !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([area, selfMs]) => ({ area, selfMs, percent: pct(selfMs) })),
  };
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profileSummary.ts file.cpuprofile [top]');
    process.exit(2);
  }
  const summary = summarizeProfile(file, Number(top ?? 25));
  console.log(
    `busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms sampled (percentages are of busy time)`,
  );
  console.log('\nself time by area:');
  for (const a of summary.areas.slice(0, 20))
    console.log(`  ${a.percent.toFixed(1).padStart(5)} %  ${a.area}`);
  console.log('\ntop functions by self time:');
  for (const f of summary.functions) {
    console.log(`  ${f.percent.toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`);
  }
}
