import { clearScreenDown } from 'node:readline';
import { MultiBar, Presets } from 'cli-progress';
import { displayWidth, fitParts, terminalWidth } from './layout';

/** One live bar: what it measures and the text beside it. */
export interface BarState {
  /** Stable identity across refreshes (one bar per key). */
  key: string;
  label: string;
  value: number;
  total: number;
  /**
   * The text beside the bar; as parts, most important first, the last ones are left out
   * until the line fits the terminal.
   */
  detail: string | readonly string[];
}

export interface LiveBarsOptions {
  /** A TTY stream; default process.stderr. */
  stream?: NodeJS.WriteStream;
  redrawMs?: number;
  /** No bar: `{label} | {detail}` only (a status line). */
  barless?: boolean;
}

/** Bar length for a terminal `width` columns wide: 20 on a wide one, down to 8. */
export function barSize(width: number): number {
  return Math.max(8, Math.min(20, Math.round(width * 0.15)));
}

/**
 * Live progress bars (cli-progress `MultiBar`), one per item that `items()` returns, refreshed
 * every `redrawMs`. Each line fits the terminal's width: the bar shortens on a narrow one and
 * the detail keeps its most important parts. Anything else written to the stream meanwhile
 * (log lines) is printed above the bars instead of tearing through them. Generic, so file
 * transfers can show theirs too. Returns a function that draws the last state, stops and
 * gives the stream back.
 */
export function showLiveBars(items: () => BarState[], options: LiveBarsOptions = {}): () => void {
  const stream = options.stream ?? process.stderr;
  const originalWrite = stream.write;
  const width = () => terminalWidth(stream);
  const barsize = barSize(width());
  // cli-progress draws through this stand-in; everything else goes through multibar.log.
  const drawStream = {
    isTTY: true,
    get columns() {
      return width();
    },
    write: (...args: unknown[]) =>
      (originalWrite as (...a: unknown[]) => boolean).apply(stream, args),
  } as unknown as NodeJS.WriteStream;
  const multibar = new MultiBar(
    {
      stream: drawStream,
      format: options.barless ? '{label} | {detail}' : '{label} {bar} {percentage}% | {detail}',
      barsize,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      fps: 10,
      // Redraw unchanged bars too: after log lines the area below is cleared.
      forceRedraw: true,
    },
    Presets.shades_classic,
  );
  // cli-progress clears only the first line before printing logged lines; clear everything
  // below the cursor instead, or longer bar lines leave fragments behind.
  let logged = false;
  multibar.on('redraw-pre', () => {
    if (logged) clearScreenDown(drawStream);
    logged = false;
  });
  let pending = '';
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
    const end = pending.lastIndexOf('\n');
    if (end >= 0) {
      multibar.log(pending.slice(0, end + 1));
      logged = true;
      pending = pending.slice(end + 1);
    }
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;

  const bars = new Map<string, ReturnType<MultiBar['create']>>();
  const refresh = () => {
    for (const item of items()) {
      // Room for the detail: the width less the label, the bar, ` 100% | ` and one spare
      // column (a line that reaches the last column wraps on some terminals).
      const fixed = displayWidth(item.label) + (options.barless ? 3 : barsize + 9) + 1;
      const parts = typeof item.detail === 'string' ? [item.detail] : item.detail;
      const payload = { label: item.label, detail: fitParts(parts, width() - fixed) };
      const total = Math.max(1, item.total);
      const bar = bars.get(item.key);
      if (!bar) bars.set(item.key, multibar.create(total, Math.min(item.value, total), payload));
      else {
        bar.setTotal(total);
        bar.update(Math.min(item.value, total), payload);
      }
    }
  };
  refresh();
  const timer = setInterval(refresh, options.redrawMs ?? 250);
  timer.unref();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    refresh();
    // Draw once more so that lines logged since the last frame are printed, then stop.
    (multibar as unknown as { update(): void }).update();
    multibar.stop();
    stream.write = originalWrite;
    if (pending) stream.write(pending);
  };
}
