/** Readings of the machine a benchmark runs on: what it is, how busy it was, what CPU a process used. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Linux CPU pressure (PSI "some", in %), a reading of how much other work competed; null without /proc. */
export function cpuPressure(window: 'avg10' | 'avg60' = 'avg60'): number | null {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? '';
    const match = new RegExp(`${window}=([\\d.]+)`).exec(line);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system, in ms) a process has used so far, from /proc; null where there is no /proc. */
export function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted from after the command name: indexes 11 and 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

export const loadAverage = () => loadavg().map((l) => Number(l.toFixed(2)));

export const coreCount = () => cpus().length;

export interface Machine {
  date: string;
  node: string;
  cpu: string;
  platform: string;
  loadAverageAtStart: number[];
  /** Filled in by `machineAtEnd`. */
  loadAverageAtEnd: number[];
}

/** The machine as the run starts, for the results file and the heading. */
export function machineAtStart(date: Date): Machine {
  const cpu = cpus();
  return {
    date: date.toISOString(),
    node: process.version,
    cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadAverage(),
    loadAverageAtEnd: [],
  };
}

/** The first two lines of a benchmark's output. */
export function printHeading(title: string, machine: Machine) {
  console.log(`${title} — ${machine.date}`);
  console.log(`Node ${machine.node}, ${machine.platform}, CPU: ${machine.cpu}`);
}

/**
 * A note for the output when the load average went above the number of cores at the start or the end:
 * other processes competed for the CPU. `atEnd` follows the load average at the end, `effect` the sentence.
 */
export function busyNote(machine: Machine, atEnd = '', effect = ''): string | null {
  const busiest = Math.max(machine.loadAverageAtStart[0] ?? 0, machine.loadAverageAtEnd[0] ?? 0);
  const cores = coreCount();
  if (busiest <= cores) return null;
  return `Note: load average reached ${busiest} on ${cores} cores (${machine.loadAverageAtEnd.join(', ')} at the end${atEnd}): other processes competed for the CPU${effect}.`;
}

/** A CPU pressure reading as the tail of a load sentence (nothing when the kernel gives none). */
export const pressureNote = (p: number | null) =>
  p === null ? '' : `; CPU pressure (PSI some, avg60) ${p.toFixed(0)} %`;
