/**
 * How far a rebuild is: a cli-progress bar on a terminal (events done / total, events/s, ETA),
 * a plain line every few seconds otherwise (a log, a CI job), both on stderr so stdout stays
 * for the result. The total may be unknown (a partial replay): then only done and rate show.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number | undefined): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  stream: NodeJS.WritableStream;
  tty: boolean;
  /** Plain lines: how often. */
  intervalMs?: number;
}

export function createProgress({ label, stream, tty, intervalMs = 2000 }: ProgressOptions): Progress {
  const rate = eventsPerSecond();
  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} events | {rate} events/s | ETA {eta_formatted}`,
        stream,
        fps: 5,
        etaBuffer: 50,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        const shown = Math.max(total ?? done, done, 1);
        if (!started) bar.start(shown, done, { rate: '0' });
        started = true;
        bar.setTotal(shown);
        bar.update(done, { rate: rate(done).toFixed(0) });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastLine = 0;
  let latest: { done: number; total: number | undefined } | undefined;
  const print = () => {
    if (!latest) return;
    const { done, total } = latest;
    const perSecond = rate(done);
    const known = total !== undefined && total >= done && total > 0;
    const eta = known && perSecond > 0 ? `, ETA ${Math.ceil((total - done) / perSecond)} s` : '';
    stream.write(
      `${label}: ${done}${known ? `/${total} events (${Math.floor((100 * done) / total)}%)` : ' events'}, ${perSecond.toFixed(0)} events/s${eta}\n`,
    );
  };
  return {
    update(done, total) {
      latest = { done, total };
      if (Date.now() - lastLine >= intervalMs) {
        lastLine = Date.now();
        print();
      }
    },
    stop() {
      print();
    },
  };
}

/** Events per second over the last ten seconds or so. */
function eventsPerSecond(): (done: number) => number {
  const samples: { at: number; done: number }[] = [];
  return (done) => {
    const now = Date.now();
    samples.push({ at: now, done });
    while (samples.length > 2 && now - samples[0]!.at > 10_000) samples.shift();
    const first = samples[0]!;
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? (done - first.done) / seconds : 0;
  };
}
