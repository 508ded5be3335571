/**
 * Where a run's CPU went: the user + system time each process of a deployment used over a
 * measured interval, read from /proc (Linux), and the whole machine's busy time from /proc/stat.
 *
 * A bench that runs every process on one small machine uses it to hold its throughput against
 * what the machine can give at all: if one unit of work (a checkout, an order) costs C ms of CPU
 * summed over every process, N cores can do at most N × 1000 / C of them per second, whatever the
 * parallelism. That bound, measured in the same run, tells a design limit from a machine limit.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Clock ticks per second of /proc's times: 100 on every Linux this runs on (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) `pid` has used, in ms; undefined where /proc cannot tell (not Linux, process gone). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: the fields after it start past its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The machine's busy and total CPU time over every core, in ms (from /proc/stat's first line). */
function machineCpuMs(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [, ...ticks] = line.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are the not-busy ones.
    const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: ((total - idle) * 1000) / TICKS_PER_SECOND, total: (total * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

export interface CpuUse {
  /** ms of CPU each named process used over the interval (missing where /proc could not tell). */
  readonly byProcess: Readonly<Record<string, number>>;
  /** Their sum. */
  readonly processesMs: number;
  /** The whole machine's busy share over the interval (0..1, every core counted), with other processes (PostgreSQL, NATS) too. */
  readonly machineBusyShare: number | undefined;
  readonly wallMs: number;
  readonly cores: number;
}

/** Starts measuring the named processes now; `stop()` answers what each used since. */
export function startCpuMeter(processes: Readonly<Record<string, number>>): { stop(): CpuUse } {
  const startedAt = performance.now();
  const before = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, processCpuMs(pid)]));
  const machineBefore = machineCpuMs();
  return {
    stop() {
      const byProcess: Record<string, number> = {};
      for (const [name, pid] of Object.entries(processes)) {
        const start = before[name];
        const end = processCpuMs(pid);
        if (start !== undefined && end !== undefined) byProcess[name] = end - start;
      }
      const machineAfter = machineCpuMs();
      const machineBusyShare =
        machineBefore && machineAfter && machineAfter.total > machineBefore.total
          ? (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)
          : undefined;
      return {
        byProcess,
        processesMs: Object.values(byProcess).reduce((sum, value) => sum + value, 0),
        machineBusyShare,
        wallMs: performance.now() - startedAt,
        cores: availableParallelism(),
      };
    },
  };
}

/** "saga 4.1, emulator 2.2, driver 0.9 ms": each process's CPU per unit of work. */
export function perUnit(use: CpuUse, units: number): Record<string, number> {
  return Object.fromEntries(Object.entries(use.byProcess).map(([name, ms]) => [name, +(ms / units).toFixed(2)]));
}

/** The most units per second the machine's cores could do at `msPerUnit` of CPU each, were the work spread perfectly. */
export function machineBound(use: CpuUse, msPerUnit: number): number {
  return (use.cores * 1000) / msPerUnit;
}
