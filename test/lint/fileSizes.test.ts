import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkFileSizes, countLines } from '../../scripts/checkFileSizes';
import { tempDir } from '../helpers/simulation';

const lines = (n: number) => 'x\n'.repeat(n);

test('counts lines as wc -l does, plus an unterminated last line', () => {
  expect([countLines(''), countLines('a'), countLines('a\n'), countLines('a\nb')]).toEqual([
    0, 1, 1, 2,
  ]);
});

test('lists files over the limit, tolerates allow-listed ones, and flags stale entries', async () => {
  const root = await tempDir('timeswarm-sizes-');
  try {
    await mkdir(join(root.path, 'src', 'deep'), { recursive: true });
    await mkdir(join(root.path, 'examples'), { recursive: true });
    await writeFile(join(root.path, 'src', 'small.ts'), lines(400));
    await writeFile(join(root.path, 'src', 'deep', 'big.ts'), lines(401));
    await writeFile(join(root.path, 'src', 'listed.ts'), lines(500));
    await writeFile(join(root.path, 'src', 'shrunk.ts'), lines(10));
    await writeFile(join(root.path, 'examples', 'big.test.ts'), lines(900)); // tests are exempt
    const report = checkFileSizes(root.path, {
      'src/listed.ts': 'to split',
      'src/shrunk.ts': 'split already',
      'src/deleted.ts': 'gone',
    });
    expect(report).toEqual({
      offenders: [{ file: 'src/deep/big.ts', lines: 401 }],
      tolerated: [{ file: 'src/listed.ts', lines: 500 }],
      stale: ['src/deleted.ts', 'src/shrunk.ts'],
    });
  } finally {
    await root.remove();
  }
});

test('the repository passes its own check (new offenders split, stale entries removed)', () => {
  const report = checkFileSizes(join(__dirname, '..', '..'));
  expect({ offenders: report.offenders, stale: report.stale }).toEqual({
    offenders: [],
    stale: [],
  });
});
