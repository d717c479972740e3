import { Command, Option } from 'commander';
import { configureLogging, type LogLevel } from '../log/logger';
import { registerAnalyzeCommand } from './commands/analyze';
import { registerClientCommand } from './commands/client';
import { registerServerCommand } from './commands/server';
import { registerShareCommand } from './commands/share';
import { parseLogLevel } from './options';

const program = new Command('timeswarm')
  .description(
    'Timestamp server and clients over TCP (msgpack frames, XState actors), peer-to-peer\n' +
      'sharing of the resulting files, and measurement of round-trip time and clock offset.',
  )
  .version('0.1.0')
  .addOption(
    new Option('--log-level <level>', 'error, warn, info, verbose, debug or silent')
      .argParser(parseLogLevel)
      .default('info'),
  )
  .showHelpAfterError('(run with --help for usage)')
  .hook('preAction', (command) =>
    configureLogging(command.opts<{ logLevel: LogLevel }>().logLevel),
  );

registerServerCommand(program);
registerClientCommand(program);
registerShareCommand(program);
registerAnalyzeCommand(program);

program.parseAsync(process.argv).catch((error: Error & { code?: string }) => {
  process.stderr.write(`timeswarm: ${error.message}${error.code ? ` (${error.code})` : ''}\n`);
  process.exit(1);
});
