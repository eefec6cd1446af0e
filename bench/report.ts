/**
 * Timing, formatting and the results table shared by the bench sections. Every performance
 * claim is a row: measured, the baseline measured in the same run, their ratio, the target.
 */
const gcFn = (globalThis as { gc?: () => void }).gc;
export function gcAvailable(): boolean {
  return gcFn !== undefined;
}
export function gc(): void {
  if (gcFn) gcFn();
}

export function now(): bigint {
  return process.hrtime.bigint();
}
export function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function min(xs: number[]): number {
  return Math.min(...xs);
}
/** Nearest-rank percentile of an ascending array. */
export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export { rng } from '../test/helpers/random';

export const fmtMs = (ms: number): string => (ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(3)} ms`);
export const fmtMB = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;
export const fmtX = (r: number): string => (r >= 0.1 ? `${r.toFixed(2)}×` : `${r.toPrecision(2)}×`);

// ---------------------------------------------------------------------------------------------
// Results table

export type Status = 'PASS' | 'FAIL' | 'info';
export interface Row {
  metric: string;
  measured: string;
  baseline: string;
  ratio: string;
  target: string;
  status: Status;
}
export const rows: Row[] = [];
export const notes: string[] = [];

export function row(metric: string, measured: string, baseline: string, ratio: string, target: string, status: Status): void {
  rows.push({ metric, measured, baseline, ratio, target, status });
}
/** A ratio row: PASS when ratio ≤ limit (limit null → informational). */
export function ratioRow(metric: string, measured: string, baseline: string, ratio: number, limit: number | null, target?: string): void {
  const status: Status = limit === null ? 'info' : ratio <= limit ? 'PASS' : 'FAIL';
  row(metric, measured, baseline, fmtX(ratio), target ?? (limit === null ? '—' : `≤ ${limit}×`), status);
}
export function failRow(metric: string, err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  row(metric, 'error', '—', '—', '—', 'FAIL');
  notes.push(`${metric}: ${msg.split('\n')[0]}`);
}

export function printTable(): void {
  const head: Row = { metric: 'metric', measured: 'measured', baseline: 'baseline', ratio: 'ratio', target: 'target', status: 'PASS' };
  const cols: (keyof Row)[] = ['metric', 'measured', 'baseline', 'ratio', 'target', 'status'];
  const all = [head, ...rows];
  const width = (c: keyof Row): number => Math.max(...all.map((r) => [...(c === 'status' && r === head ? 'result' : r[c])].length));
  const w = cols.map(width);
  const cell = (s: string, i: number): string => s + ' '.repeat(Math.max(0, w[i] - [...s].length));
  const line = (r: Row): string => cols.map((c, i) => cell(c === 'status' && r === head ? 'result' : r[c], i)).join(' | ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

export function section(title: string): void {
  console.log(`\n== ${title}`);
}

