/**
 * Number and text formatting shared by the markdown report and the chart. The locale is fixed (en-US) so the
 * report reads the same on every machine and its tests do not depend on the runner's locale.
 */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const twoDecimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A rate as a whole number with thousands separators (`47,619`); one decimal below 10, where it matters. */
export function formatRate(perSecond: number): string {
  return Math.abs(perSecond) < 10 ? oneDecimal.format(perSecond) : integer.format(perSecond);
}

/** A ratio with two decimals and a multiplication sign (`0.67×`). */
export function formatRatio(ratio: number): string {
  return `${twoDecimals.format(ratio)}×`;
}

/** Milliseconds as a whole number (`177 ms`): sub-millisecond precision is noise at these latencies. */
export function formatMs(ms: number): string {
  return `${integer.format(ms)} ms`;
}

/** A count with thousands separators (`100,000`). */
export function formatCount(count: number): string {
  return integer.format(count);
}

/** A value with one decimal and thousands separators (`1,024.9`), for MiB and CPU seconds. */
export function formatOneDecimal(value: number): string {
  return oneDecimal.format(value);
}

/** Seconds with two decimals below 10 (`1.42`), where a baseline's short run needs them, else one (`21.7`). */
export function formatSeconds(seconds: number): string {
  return seconds < 10 ? twoDecimals.format(seconds) : oneDecimal.format(seconds);
}

/** A signed slope with one decimal (`+0.8`, `-1.7`), so a flat lag reads as near zero either way. */
export function formatSlope(perSecond: number): string {
  const text = oneDecimal.format(perSecond);
  return perSecond > 0 ? `+${text}` : text;
}

/** A load fraction as a percentage (`50%`). */
export function formatLoad(fraction: number): string {
  return `${integer.format(fraction * 100)}%`;
}

/** A duration as `48 s`, `2 min`, `21 min 8 s` or `1 h 02 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** An ISO instant as `2026-11-24 07:30 UTC`: minutes are enough to tell runs apart in a report. */
export function formatInstant(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The first 7 characters of a commit, as git abbreviates it. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 7);
}

/** A measured or goal value of a target in its unit: a ratio (`0.67×`) or milliseconds (`177 ms`). */
export function formatTargetValue(value: number, unit: 'x' | 'ms'): string {
  return unit === 'x' ? formatRatio(value) : formatMs(value);
}

/** The machine in one line: `bench-runner-1: 8 cores, AMD EPYC 7B13, 31.3 GiB, Linux 6.8.0 x64`. */
export function formatMachine(machine: {
  hostname: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
}): string {
  const cores = `${machine.cpus} ${machine.cpus === 1 ? 'core' : 'cores'}`;
  return `${machine.hostname}: ${cores}, ${machine.cpuModel}, ${oneDecimal.format(machine.memoryGiB)} GiB, ${machine.os}`;
}
