/**
 * Editor features over a parsed log, computed in plain terms (0-based line/character, markdown
 * strings). `lsp/` converts them to protocol types; nothing here knows about LSP or VS Code.
 */
import { LineKind, type VerifierLog } from '../log/model';
import { eventAt, eventIndexAtLine, lineText } from '../log/parse';
import type { MachineState, SlotState } from '../log/state';
import { describeStackSlot, describeValue } from '../log/value';

export interface Span { line: number; start: number; end: number }

/** A register (`R1`, `r1`, `w1`) or stack slot (`fp-8`) under the cursor. */
export interface SlotAt extends Span {
  name: string;
  /** The occurrence is in the instruction text (a use/def), not in a printed state. */
  inInstruction: boolean;
}

/** `R1`, `r1`, `w1`, `fp-8`, and the stack offset of `(r10 -8)` in an instruction. */
const SLOT_RE = /\b(?:[Rrw](\d{1,2})|fp-(\d+))(?:_[rwD]+)?\b|(?<=\(r10 )-(\d+)(?=\))/g;

export function slotAt(log: VerifierLog, line: number, character: number): SlotAt | null {
  if (line < 0 || line >= log.lineCount) return null;
  const text = lineText(log, line);
  SLOT_RE.lastIndex = 0;
  for (let m = SLOT_RE.exec(text); m; m = SLOT_RE.exec(text)) {
    if (character < m.index || character > m.index + m[0].length) continue;
    const reg = m[1] !== undefined ? Number(m[1]) : null;
    if (reg !== null && reg > 10) return null;
    // The verifier tracks the stack in 8-byte slots named by their lowest offset: -4 is in fp-8.
    const name = reg !== null ? `R${reg}` : m[2] !== undefined ? `fp-${m[2]}` : `fp-${Math.ceil(Number(m[3]) / 8) * 8}`;
    const kind = log.lineKinds[line];
    const semi = text.search(/[ \t];|[ \t]\d+: (?:R\d|frame\d|fp)/);
    const inInstruction = kind === LineKind.Instruction && (semi < 0 || m.index < semi);
    return { line, start: m.index, end: m.index + m[0].length, name, inInstruction };
  }
  return null;
}

/** The state the verifier had for a hovered slot, or null when the line holds no state. */
function stateFor(log: VerifierLog, at: SlotAt): { state: MachineState; when: string } | null {
  const kind = log.lineKinds[at.line];
  if (kind === LineKind.Instruction) {
    const e = eventIndexAtLine(log, at.line);
    if (e < 0) return null;
    const ev = eventAt(log, e);
    return at.inInstruction
      ? { state: log.states.before(e), when: `before insn ${ev.insn}` }
      : { state: log.states.after(e), when: `after insn ${ev.insn}` };
  }
  if (kind === LineKind.State || kind === LineKind.PathStart || kind === LineKind.CallReturn) {
    const st = log.states.atLine(at.line);
    return st ? { state: st, when: `at log line ${at.line + 1}` } : null;
  }
  return null;
}

function describeSlot(s: SlotState): string {
  if (s.name === 'refs') return `references held: ${s.raw || 'none'} (each must be released before exit)`;
  return s.name.startsWith('fp') ? describeStackSlot(s.raw) : describeValue(s.value());
}

export function hover(log: VerifierLog, line: number, character: number): { markdown: string; span: Span } | null {
  const at = slotAt(log, line, character);
  if (!at) return null;
  const found = stateFor(log, at);
  if (!found) return null;
  const { state, when } = found;
  const slot = state.get(at.name);
  const out: string[] = [];
  if (slot) {
    out.push(`**${at.name}** = \`${slot.raw}\` ${when}${state.frame ? ` (frame ${state.frame})` : ''}`);
    out.push('');
    out.push(describeSlot(slot) + '.');
    if (slot.line !== at.line) out.push('', `Printed on log line ${slot.line + 1}.`);
  } else {
    out.push(`**${at.name}** ${when}: not initialised on this path (the verifier rejects reads of it).`);
  }
  const others = state.slots.filter((s) => s.frame === state.frame && s !== slot);
  if (others.length) {
    out.push('', '| slot | value |', '|---|---|');
    for (const s of others.slice(0, 24)) out.push(`| ${s.name} | \`${s.raw.replace(/\|/g, '\\|')}\` |`);
  }
  return { markdown: out.join('\n'), span: at };
}

/** Registers an instruction writes, from its disassembly. */
export function writtenRegs(text: string): number[] {
  if (/^call /.test(text)) return [0, 1, 2, 3, 4, 5];
  const m = /^[rw](\d+) (?:[-+*/%&|^]|<<|>>|s>>)?= /.exec(text) ?? /^[rw](\d+) = /.exec(text);
  if (m) return [Number(m[1])];
  const xchg = /r(\d+) = atomic(?:64)?_(?:xchg|cmpxchg|fetch)/.exec(text);
  return xchg ? [Number(xchg[1])] : [];
}

/** The instruction that last wrote the register used at `line`, walking back on the same path. */
export function definition(log: VerifierLog, line: number, character: number): Span | null {
  const at = slotAt(log, line, character);
  if (!at || !at.name.startsWith('R')) return null;
  const reg = Number(at.name.slice(1));
  let e = eventIndexAtLine(log, line);
  if (e < 0) return null;
  // On the instruction's own line the use is read before its write: start from the previous one.
  if (log.events.line[e] === line) e--;
  const path = log.events.path[log.events.line[e + 1] === line ? e + 1 : Math.max(e, 0)];
  let wantPath = path;
  for (; e >= 0; e--) {
    if (log.events.path[e] !== wantPath) {
      // A path resumes at a branch: continue from the most recent occurrence of its origin insn.
      const p = log.paths[wantPath];
      if (!p || p.fromInsn === null) return null;
      let k = e;
      while (k >= 0 && log.events.insn[k] !== p.fromInsn) k--;
      if (k < 0) return null;
      e = k;
      wantPath = log.events.path[k];
    }
    const ev = eventAt(log, e);
    if (writtenRegs(ev.text).includes(reg)) {
      return { line: ev.line, start: 0, end: lineText(log, ev.line).length };
    }
  }
  return null;
}

export interface SymbolInfo {
  name: string;
  detail: string;
  kind: 'function' | 'path' | 'error' | 'stats' | 'block';
  line: number;
  endLine: number;
}

const MAX_PATH_SYMBOLS = 2000;

export function symbols(log: VerifierLog): SymbolInfo[] {
  const out: SymbolInfo[] = [];
  if (log.loader.programName) {
    const first = log.events.count ? log.events.line[0] : 0;
    out.push({ name: log.loader.programName, detail: `program (${log.verdict})`, kind: 'function', line: first, endLine: Math.max(first, log.lineCount - 1) });
  }
  for (const sp of log.subprogs) {
    out.push({ name: sp.name ?? `func#${sp.id}`, detail: `subprogram starting at insn ${sp.startInsn}`, kind: 'function', line: sp.line, endLine: sp.line });
  }
  for (const e of log.errors) {
    out.push({ name: e.headline, detail: e.insn !== null ? `error at insn ${e.insn}` : 'error', kind: 'error', line: e.startLine, endLine: e.endLine });
  }
  if (log.kernelDiagnostic) {
    const k = log.kernelDiagnostic;
    out.push({ name: `${k.category}: ${k.problem}`, detail: 'kernel diagnostic', kind: 'block', line: k.startLine, endLine: k.endLine });
  }
  const pathRegions = log.regions.filter((r) => r.kind === 'path');
  for (const r of pathRegions.slice(0, MAX_PATH_SYMBOLS)) {
    out.push({ name: r.label, detail: `${r.endLine - r.startLine + 1} lines`, kind: 'path', line: r.startLine, endLine: r.endLine });
  }
  if (log.stats.line !== null) {
    out.push({ name: `processed ${log.stats.processedInsns} insns`, detail: `${log.stats.totalStates ?? '?'} states`, kind: 'stats', line: log.stats.line, endLine: log.stats.line });
  }
  return out.sort((a, b) => a.line - b.line);
}
