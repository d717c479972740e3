/**
 * The `timeswarm` command line. `--version` answers before anything else is loaded; all the
 * rest goes through the commander program (`program.ts`).
 *
 * package.json is two folders up from both `src/cli/` and `dist/cli/`; it is read at run time
 * (not imported) so the version is never copied into the build.
 */
const { version } = require('../../package.json') as { version: string };

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${version}\n`);
} else {
  (require('./program') as typeof import('./program')).runCli(process.argv, version);
}
