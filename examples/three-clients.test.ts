import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { storage } from '../src';
import { tempDir } from '../test/helpers/simulation';

const run = promisify(execFile);

test('npm run example:three-clients writes the documented layout, parseable, complete', async () => {
  const dir = await tempDir('timeswarm-example-');
  try {
    const out = join(dir.path, 'demo');
    const { stdout } = await run(
      process.execPath,
      [
        require.resolve('tsx/cli'),
        join(__dirname, 'three-clients.ts'),
        '--duration',
        '1s',
        '--out',
        out,
        '--port',
        '0',
        '--quiet',
        '--json',
        '--log-level',
        'warn',
      ],
      { timeout: 60_000 },
    );
    const result = JSON.parse(stdout) as {
      clients: { clientId: number; ticksSent: number; replies: number }[];
    };
    expect(result.clients.map((c) => c.clientId)).toEqual([1, 2, 3]);

    expect(await readdir(join(out, 'server'))).toContain('serverTimeData.txt');
    let total = 0;
    for (const client of result.clients) {
      const name = `client_${client.clientId}_TimeData.txt`;
      const table = storage.parseTimestampTable(
        await readFile(join(out, `client_${client.clientId}`, name), 'utf8'),
      );
      expect(table.rows).toHaveLength(client.ticksSent + client.replies);
      expect(client.replies).toBe(client.ticksSent);
      expect(table.endedAbruptly).toBe(false);
      total += table.rows.length;
    }
    const server = storage.parseTimestampTable(
      await readFile(join(out, 'server', 'serverTimeData.txt'), 'utf8'),
    );
    expect(server.rows).toHaveLength(total);
  } finally {
    await dir.remove();
  }
});

test('a bad flag is refused with a clear message and a non-zero exit', async () => {
  const failure = run(
    process.execPath,
    [require.resolve('tsx/cli'), join(__dirname, 'three-clients.ts'), '--duration', 'soon'],
    {
      timeout: 30_000,
    },
  );
  await expect(failure).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringContaining('--duration'),
  });
});
