/** CPU and memory of processes, read from /proc (Linux). */
import fs from 'node:fs';

const CLK_TCK = 100; // Linux USER_HZ

/** utime + stime of `pid` in ms; 0 for a process that is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

export function rssKb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** CPU used by a set of processes between `start()` and `stop()`, and their peak summed RSS. */
export class ProcessMeter {
  private before = new Map<number, number>();
  private peakKb = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly pids: () => number[]) {}

  start(): void {
    for (const pid of this.pids()) this.before.set(pid, cpuMs(pid));
    this.timer = setInterval(() => (this.peakKb = Math.max(this.peakKb, this.rssNow())), 100);
  }

  stop(): { cpuMs: number; peakRssMb: number } {
    clearInterval(this.timer);
    this.peakKb = Math.max(this.peakKb, this.rssNow());
    let cpu = 0;
    for (const pid of this.pids()) cpu += cpuMs(pid) - (this.before.get(pid) ?? 0);
    return { cpuMs: cpu, peakRssMb: +(this.peakKb / 1024).toFixed(1) };
  }

  private rssNow(): number {
    return this.pids().reduce((sum, pid) => sum + rssKb(pid), 0);
  }
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}
