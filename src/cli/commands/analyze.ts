import type { Command } from 'commander';
import { parsePath } from '../../options';

/** The implementation, loaded when the command runs: `--help` and `--version` stay light. */
const load = () => require('./runAnalyze') as typeof import('./runAnalyze');

export interface AnalyzeOptions {
  json?: boolean;
  html?: string;
  title?: string;
}

/** `timeswarm analyze PATH… [--json] [--html report.html]` */
export function registerAnalyzeCommand(program: Command): void {
  program
    .command('analyze')
    .description(
      'Statistics of a run: loss, missed slots, RTT, clock offset (NTP), jitter, timer error',
    )
    .argument(
      '<paths...>',
      'run folders and/or files (client_N_TimeData.txt, .exchanges.csv, serverTimeData.txt)',
    )
    .option('--json', 'print the statistics as one JSON document on stdout')
    .option('--html <file>', 'also write a self-contained HTML report with plots', parsePath)
    .option('--title <text>', 'title of the HTML report')
    .addHelpText(
      'after',
      '\nOffset θ = ((t2−t1)+(t3−t4))/2 is the server clock minus the client clock: positive means the\n' +
        'server is ahead (a server run with --skew 25ms shows θ ≈ +25 ms). Delay δ = (t4−t1)−(t3−t2).\n' +
        'Timing needs the .exchanges.csv sidecars; the server table splits loss by direction.\n\n' +
        'Example: timeswarm analyze out/demo --html out/demo/report.html',
    )
    .action((paths: string[], options: AnalyzeOptions) => load().runAnalyze(paths, options));
}
