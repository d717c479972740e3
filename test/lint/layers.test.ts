/**
 * The layer rule in biome.json bites: wrong imports written into a scratch tree with the
 * project's Biome configuration are refused by `noRestrictedImports`, right ones pass.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/simulation';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');

/** A file importing `from`, and whether the layer rule must refuse it. */
const PROBES: Array<{ file: string; from: string; refused: boolean }> = [
  { file: 'src/transport/probe.ts', from: 'xstate', refused: true },
  { file: 'src/transport/probe.ts', from: '../actors/shared', refused: true },
  { file: 'src/transport/probe.ts', from: '..', refused: true },
  { file: 'src/transport/probe.ts', from: '../time', refused: false },
  { file: 'src/storage/probe.ts', from: 'xstate/actors', refused: true },
  { file: 'src/storage/probe.ts', from: '../runtime/start', refused: true },
  { file: 'src/time/probe.ts', from: '../actors/errors', refused: true },
  { file: 'src/p2p/identity/probe.ts', from: '../../actors/peer/peer.machine', refused: true },
  { file: 'src/p2p/identity/probe.ts', from: '../../index', refused: true },
  { file: 'src/p2p/probe.ts', from: '../assignment', refused: true },
  { file: 'src/p2p/probe.ts', from: '../storage', refused: false },
  { file: 'src/actors/probe.ts', from: '../cli/commands/share', refused: true },
  { file: 'src/actors/client/probe.ts', from: '../../runtime', refused: true },
  { file: 'src/actors/client/probe.ts', from: 'xstate', refused: false },
  { file: 'src/runtime/probe.ts', from: '../terminal', refused: true },
  { file: 'src/runtime/probe.ts', from: '../actors/server.machine', refused: false },
  { file: 'src/assignment/probe.ts', from: '../cli/main', refused: true },
  { file: 'src/terminal/probe.ts', from: '../cli/commands/share', refused: true },
  { file: 'src/cli/probe.ts', from: '../runtime', refused: true },
  { file: 'src/cli/probe.ts', from: '../index', refused: false },
  { file: 'src/cli/commands/probe.ts', from: '../../transport', refused: true },
  { file: 'src/cli/commands/probe.ts', from: '../../index', refused: false },
  { file: 'src/cli/commands/probe.ts', from: './share', refused: false },
  { file: 'src/cli/commands/probe.ts', from: '../../options', refused: false },
  { file: 'src/cli/commands/probe.ts', from: '../../terminal/options', refused: true },
  { file: 'examples/probe.ts', from: '../src/runtime/start', refused: true },
  { file: 'examples/probe.ts', from: '../test/helpers/simulation', refused: true },
  { file: 'examples/probe.ts', from: '../src', refused: false },
  { file: 'examples/probe.ts', from: '../src/options', refused: false },
  { file: 'examples/probe.test.ts', from: '../test/helpers/simulation', refused: false },
  { file: 'examples/probe.test.ts', from: '../src/storage', refused: true },
];

test('biome refuses imports that run against the layers, and only those', async () => {
  const scratch = await tempDir('timeswarm-layers-');
  try {
    const config = JSON.parse(await readFile(join(ROOT, 'biome.json'), 'utf8'));
    delete config.$schema;
    config.vcs = { enabled: false };
    await writeFile(join(scratch.path, 'biome.json'), JSON.stringify(config));
    // One file per probe, so that every line under test is line 1 of its own file.
    const files = PROBES.map((probe, i) => ({
      ...probe,
      path: probe.file.replace(/probe(\.test)?\.ts$/, `probe${i}$1.ts`),
    }));
    for (const probe of files) {
      await mkdir(join(scratch.path, dirname(probe.path)), { recursive: true });
      await writeFile(
        join(scratch.path, probe.path),
        `import * as probe from '${probe.from}';\nexport const used = probe;\n`,
      );
    }
    const output = await run(BIOME, ['lint', '--reporter=json', '--max-diagnostics=none', '.'], {
      cwd: scratch.path,
      maxBuffer: 16 * 1024 * 1024,
    }).then(
      (ok) => ok.stdout,
      (failed: { stdout: string }) => failed.stdout,
    );
    const report = JSON.parse(output) as {
      diagnostics: Array<{ category: string; location: { path: string } }>;
    };
    const refused = new Set(
      report.diagnostics
        .filter((d) => d.category === 'lint/style/noRestrictedImports')
        .map((d) => d.location.path),
    );
    expect(files.map((p) => ({ ...p, refused: refused.has(p.path) }))).toEqual(files);
  } finally {
    await scratch.remove();
  }
});
