import { Command, Option } from 'commander';
import { errorLine, type LogLevel, oneLineError, parseLogLevel } from '../options';
import { registerAnalyzeCommand } from './commands/analyze';
import { registerClientCommand } from './commands/client';
import { registerServerCommand } from './commands/server';
import { registerShareCommand } from './commands/share';

/**
 * The `timeswarm` program. Declaring it loads commander and the option parsers only; each
 * command loads its implementation (XState, RxJS, zod, winston, msgpackr, …) when it runs,
 * so `--help` costs little more than starting Node (see BENCHMARKS.md, "Start-up").
 */
export function createProgram(version: string): Command {
  const program = new Command('timeswarm')
    .description(
      'Timestamp server and clients over TCP (msgpack frames, XState actors), peer-to-peer\n' +
        'sharing of the resulting files, and measurement of round-trip time and clock offset.',
    )
    .version(version)
    .addOption(
      new Option('--log-level <level>', 'error, warn, info, verbose, debug or silent')
        .argParser(parseLogLevel)
        .default('info'),
    )
    // Every bad flag is one line on stderr (then exit 1): commander's message, with any
    // suggestion on the same line, what was typed escaped, and where to look.
    .configureOutput({ outputError: (text, write) => write(oneLineError(text)) })
    .hook('preAction', (command) => {
      const { configureLogging } = require('../index') as typeof import('../index');
      configureLogging(command.opts<{ logLevel: LogLevel }>().logLevel);
    });
  registerServerCommand(program);
  registerClientCommand(program);
  registerShareCommand(program);
  registerAnalyzeCommand(program);
  return program;
}

/** Parses `argv` and runs the command; a failure prints `timeswarm: message (CODE)` and exits 1. */
export function runCli(argv: string[], version: string): void {
  createProgram(version)
    .parseAsync(argv)
    .catch((error: Error & { code?: string }) => {
      process.stderr.write(errorLine(error));
      process.exit(1);
    });
}
