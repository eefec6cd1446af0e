/**
 * Two verifier walks of one program side by side (two kernels, two variants), aligned by
 * instruction, with the first place where they diverge.
 *
 * The logs may come from different generations, so neither their lines nor their register
 * spellings can be compared as text: a walk step is keyed by instruction index and opcode, and the
 * register an instruction writes is compared through `describeValue` (words, the same for every
 * spelling). The sequences are aligned with a Myers diff (jsdiff), so an extra pruned path or a
 * branch explored in another order shows as a gap, not as every later row differing.
 */
import { diffArrays } from 'diff';
import type { VerifierLog } from '../log/model';
import { eventAt } from '../log/parse';
import { describeValue, type RegValue } from '../log/value';
import { writtenRegs } from './log-features';

/** One step of a walk: an instruction, a `from X to Y` path start, or the verdict at the end. */
export interface WalkStep {
  key: string;
  /** 0-based log line. */
  line: number;
  insn: number | null;
  text: string;
  /** What the step established: the written register in words, or the verdict. */
  detail: string;
  /** `detail` in a form that compares equal across generations (see `comparable`). */
  fact: string;
}

export interface AlignedRow {
  left: WalkStep | null;
  right: WalkStep | null;
}

export interface Divergence {
  row: number;
  /** `walk`: one side visits a step the other does not; `state`: same step, different result; `verdict`. */
  kind: 'walk' | 'state' | 'verdict';
  reason: string;
}

export interface AlignedLogs {
  rows: AlignedRow[];
  divergence: Divergence | null;
  /** False when the walks were too different to align within the edit budget: rows are then paired in order. */
  aligned: boolean;
}

const U64_MAX = 2n ** 64n - 1n;
const S64_MAX = 2n ** 63n - 1n;
const S64_MIN = -(2n ** 63n);
const SIGN = 2n ** 63n;
const max = (x: bigint, y: bigint) => (x > y ? x : y);
const min = (x: bigint, y: bigint) => (x < y ? x : y);
const signed = (u: bigint) => (u >= SIGN ? u - 2n ** 64n : u);

/** A bound as printed: decimal or hex (newer kernels print masks in hex), possibly negative. */
function num(text: string): bigint {
  const neg = text.startsWith('-');
  try {
    const n = BigInt(neg ? text.slice(1) : text);
    return neg ? -n : n;
  } catch {
    return 0n;
  }
}

/**
 * What a value means, independent of how a generation prints it. Older kernels leave out signed
 * bounds equal to the unsigned ones (and 7.3 prints them merged), so the signed range is derived
 * the way the verifier itself does when the unsigned range stays below 2^63. Ids are numbering,
 * not meaning, and differ between kernels for the same walk.
 */
export function comparable(v: RegValue): string {
  const a = v.attrs;
  if (v.type === 'scalar') {
    if (v.constant !== null) return `=${num(v.constant)}`;
    let umin = num(a.umin ?? '0');
    let umax = a.umax !== undefined ? num(a.umax) : U64_MAX;
    const small = umax <= S64_MAX;
    let smin = a.smin !== undefined ? num(a.smin) : small ? umin : S64_MIN;
    let smax = a.smax !== undefined ? num(a.smax) : small ? umax : S64_MAX;
    // Newer kernels also leave out bounds that the known bits imply (reg_bounds_sync's tnum step).
    const t = /^\((\S+); (\S+)\)$/.exec(a.var_off ?? '');
    if (t) {
      const [value, mask] = [num(t[1]), num(t[2])];
      umin = max(umin, value);
      umax = min(umax, value | mask);
      smin = max(smin, signed(value | (mask & SIGN)));
      smax = min(smax, value | (mask & S64_MAX));
    }
    return `s[${smin},${smax}] u[${umin},${umax}] ${a.var_off ?? ''}`;
  }
  const off = Number(a.off ?? 0) + Number(a.imm ?? 0);
  return [v.modifiers.join(''), v.type, v.maybeNull ? 'null?' : '', off, a.r ?? '', a.umax ?? '', a.var_off ?? '', a.ref_obj_id && a.ref_obj_id !== '0' ? 'ref' : ''].join(' ');
}

/** Beyond this many differing steps, or this long, the walks are paired in order instead (keeps huge logs bounded). */
const MAX_EDITS = 20_000;
const MAX_DIFF_MS = 3_000;

export function walkSteps(log: VerifierLog): WalkStep[] {
  const steps: WalkStep[] = [];
  let p = 0;
  const pushPathsBefore = (line: number) => {
    for (; p < log.paths.length && log.paths[p].line <= line; p++) {
      const path = log.paths[p];
      if (path.fromInsn === null) continue;
      steps.push({
        key: `p${path.fromInsn}>${path.toInsn}${path.pruned ? 's' : ''}`, line: path.line, insn: path.toInsn,
        text: `from ${path.fromInsn} to ${path.toInsn}${path.pruned ? ': safe' : ''}`, detail: '', fact: '',
      });
    }
  };
  for (let e = 0; e < log.events.count; e++) {
    const ev = eventAt(log, e);
    pushPathsBefore(ev.line);
    // The failing instruction wrote nothing: its "after" state is the state it was rejected in.
    const reg = e === log.errors[0]?.event ? undefined : writtenRegs(ev.text)[0];
    const slot = reg === undefined ? undefined : log.states.after(e).get(`R${reg}`);
    // Only what the kernel printed for this step: the store does not execute instructions, so an
    // unprinted write (e.g. right before `15: safe`) would show the register's older value.
    const value = slot && slot.line >= ev.line ? slot.value() : undefined;
    steps.push({
      key: `i${ev.insn}:${ev.opcode}`, line: ev.line, insn: ev.insn, text: `${ev.insn}: ${ev.text}`,
      detail: value ? `R${reg} = ${describeValue(value)}` : '', fact: value ? `R${reg} ${comparable(value)}` : '',
    });
  }
  pushPathsBefore(Number.MAX_SAFE_INTEGER);
  const error = log.errors[0];
  steps.push({
    key: 'end',
    line: error ? error.startLine : log.stats.line ?? Math.max(0, log.lineCount - 1),
    insn: error?.insn ?? null,
    text: error ? `rejected: ${error.headline}` : log.verdict === 'accepted' ? `accepted (${log.stats.processedInsns ?? '?'} insns processed)` : `verdict ${log.verdict}`,
    detail: log.verdict,
    fact: log.verdict,
  });
  return steps;
}

function pairInOrder(a: WalkStep[], b: WalkStep[]): AlignedRow[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => ({ left: a[i] ?? null, right: b[i] ?? null }));
}

function align(a: WalkStep[], b: WalkStep[]): AlignedRow[] | null {
  // The verdict rows are paired by hand: they always correspond, even when their keys would match nothing else.
  const changes = diffArrays(a.slice(0, -1).map((s) => s.key), b.slice(0, -1).map((s) => s.key), { maxEditLength: MAX_EDITS, timeout: MAX_DIFF_MS });
  if (!changes) return null;
  const rows: AlignedRow[] = [];
  let i = 0;
  let j = 0;
  for (const c of changes) {
    for (let k = 0; k < c.count!; k++) {
      if (c.added) rows.push({ left: null, right: b[j++] });
      else if (c.removed) rows.push({ left: a[i++], right: null });
      else rows.push({ left: a[i++], right: b[j++] });
    }
  }
  rows.push({ left: a[a.length - 1], right: b[b.length - 1] });
  return rows;
}

function describeStep(s: WalkStep): string {
  return s.insn !== null && s.key.startsWith('i') ? `insn ${s.text}` : s.text;
}

function firstDivergence(rows: AlignedRow[]): Divergence | null {
  for (let r = 0; r < rows.length; r++) {
    const { left, right } = rows[r];
    if (!left || !right) {
      const only = (left ?? right)!;
      const [quiet, busy] = left ? ['right', 'left'] as const : ['left', 'right'] as const;
      // A side with no step left but its verdict stopped here: say why it stopped, not just that the other went on.
      const rest = rows.slice(r + 1, -1);
      if (rest.every((x) => !x[quiet])) {
        const end = rows[rows.length - 1];
        return {
          row: r, kind: end.left!.fact === end.right!.fact ? 'walk' : 'verdict',
          reason: `the ${quiet} walk ends here (${end[quiet]!.text}); the ${busy} goes on at ${describeStep(only)}`,
        };
      }
      return { row: r, kind: 'walk', reason: `only the ${busy} log visits ${describeStep(only)}` };
    }
    if (left.key === 'end' && left.fact !== right.fact) {
      return { row: r, kind: 'verdict', reason: `left ${left.text}; right ${right.text}` };
    }
    if (left.key !== right.key) {
      return { row: r, kind: 'walk', reason: `the walks part: left at ${describeStep(left)}, right at ${describeStep(right)}` };
    }
    // A side that printed nothing for the step knows no less; only two printed facts can disagree.
    if (left.fact && right.fact && left.fact !== right.fact) {
      return { row: r, kind: 'state', reason: `after insn ${left.insn}: left ${left.detail || 'nothing'}; right ${right.detail || 'nothing'}` };
    }
  }
  return null;
}

export function alignLogs(left: VerifierLog, right: VerifierLog): AlignedLogs {
  const a = walkSteps(left);
  const b = walkSteps(right);
  const aligned = align(a, b);
  const rows = aligned ?? pairInOrder(a, b);
  return { rows, divergence: firstDivergence(rows), aligned: aligned !== null };
}

/** One side as text, a line per row (blank where the other side has a step), for a diff editor. */
export function renderSide(rows: readonly AlignedRow[], side: 'left' | 'right'): string {
  // No column padding: in a side-by-side diff each half is narrow, and the value is the news.
  return rows.map((r) => {
    const s = r[side];
    if (!s) return '';
    // Equal meaning, equal text: a diff editor then marks only the rows that really differ.
    const detail = r.left && r.right && r.left.fact && r.left.fact === r.right.fact ? r.left.detail : s.detail;
    return detail && s.key !== 'end' ? `${s.text}  ; ${detail}` : s.text;
  }).join('\n') + '\n';
}
