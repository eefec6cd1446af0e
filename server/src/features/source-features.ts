/**
 * Features that join a log to its object: C variables in log hovers, what the verifier knew on a
 * C line, navigation between instructions and C lines, and the C-side squiggle of each error.
 * Plain terms only (0-based lines); `lsp/` converts.
 */
import * as path from 'path';
import type { InlineFrame, LiveVar } from '../mapping/dwarf';
import { sameFile, type InsnSource, type ProgramSourceMap } from '../mapping/source-map';
import type { VerifierLog } from '../log/model';
import { eventAt, eventIndexAtLine } from '../log/parse';
import { slotAt } from './log-features';

/** An open log whose program was matched to an object. */
export interface MappedLog {
  uri: string;
  log: VerifierLog;
  map: ProgramSourceMap;
  /** DWARF file name → path on disk (or the name itself when not found). */
  resolve(dwarfPath: string): string;
}

function varLabel(v: LiveVar): string {
  return `${v.name}${v.type ? ` (${v.type})` : ''}${v.kind === 'val' && v.offset ? ` = R${v.reg}${v.offset > 0 ? '+' : ''}${v.offset}` : ''}`;
}

/** The C variables held by the register or stack slot under the cursor, e.g. `eth (struct ethhdr *)`. */
export function variableAt(m: MappedLog, line: number, character: number): string | null {
  const at = slotAt(m.log, line, character);
  const e = eventIndexAtLine(m.log, line);
  if (!at || e < 0) return null;
  const insn = m.log.events.insn[e];
  const vars = at.name.startsWith('R')
    ? m.map.variablesIn(insn, Number(at.name.slice(1)))
    : [m.map.variableAtStack(insn, Number(at.name.slice(3)))].filter((v): v is LiveVar => v !== null);
  return vars.length ? vars.map(varLabel).join(', ') : null;
}

/** C location of the instruction on a log line (instruction lines only). */
export function sourceOfLogLine(m: MappedLog, line: number): InsnSource | null {
  const e = eventIndexAtLine(m.log, line);
  if (e < 0 || m.log.events.line[e] !== line) return null;
  return m.map.at(m.log.events.insn[e]);
}

export function describeFrames(frames: InlineFrame[], resolve: (f: string) => string): string[] {
  return frames.map((f, i) => {
    const where = f.line !== null ? `${path.basename(resolve(f.file ?? '?'))}:${f.line}${f.column ? ':' + f.column : ''}` : 'compiler-generated code';
    return `${i === 0 ? '' : 'inlined into '}\`${f.function}\` at ${where}`;
  });
}

/** Log lines of the instructions a C line compiled to, in every mapped log. */
export function logLinesOfC(logs: MappedLog[], file: string, line: number): { uri: string; line: number }[] {
  const out: { uri: string; line: number }[] = [];
  for (const m of logs) {
    const insns = new Set(m.map.insnsAt(file, line));
    if (insns.size === 0) continue;
    for (let e = 0; e < m.log.events.count; e++) if (insns.has(m.log.events.insn[e])) out.push({ uri: m.uri, line: m.log.events.line[e] });
  }
  return out;
}

const MAX_INSNS_SHOWN = 12;

/** What the verifier knew on a C line: per instruction, registers named by the variables they hold. */
export function cLineHover(logs: MappedLog[], file: string, line: number): string | null {
  const parts: string[] = [];
  for (const m of logs) {
    const insns = m.map.insnsAt(file, line);
    if (insns.length === 0) continue;
    parts.push(`**${m.map.program}** — ${path.basename(m.uri)}: ${insns.length} instruction(s) on this line`);
    for (const insn of insns.slice(0, MAX_INSNS_SHOWN)) {
      // The last time the verifier walked this instruction is the one that led to the verdict.
      let e = -1;
      for (let k = m.log.events.count - 1; k >= 0; k--) if (m.log.events.insn[k] === insn) { e = k; break; }
      if (e < 0) {
        parts.push(`- insn ${insn}: not reached by the verifier in this log`);
        continue;
      }
      const ev = eventAt(m.log, e);
      const st = m.log.states.before(e);
      const regs = st.slots.filter((s) => s.frame === st.frame && s.name !== 'R10').map((s) => {
        const names = s.name.startsWith('R') ? m.map.variablesIn(insn, Number(s.name.slice(1))).filter((v) => v.kind === 'reg').map((v) => v.name) : [];
        return `${s.name}${names.length ? ` (${names.join(', ')})` : ''}=\`${s.raw}\``;
      });
      parts.push(`- insn ${insn} \`${ev.text}\` (log line ${ev.line + 1}): ${regs.join(' ') || 'no registers known'}`);
    }
    if (insns.length > MAX_INSNS_SHOWN) parts.push(`- … ${insns.length - MAX_INSNS_SHOWN} more`);
  }
  return parts.length ? parts.join('\n') : null;
}

export interface CError {
  file: string;
  line: number;
  /** 0-based start column and end column (exclusive) on the C line. */
  start: number;
  end: number;
  insn: number;
  chain: string[];
}

/**
 * The C range of a failing instruction: DWARF's column starts it; it runs to the end of the
 * expression, approximated by the end of the statement on that line.
 */
export function cErrorRange(sourceText: string | null, line: number, column: number | null): { start: number; end: number } {
  const text = sourceText?.split('\n')[line - 1] ?? '';
  const start = column ? column - 1 : text.search(/\S|$/);
  let end = text.length;
  const semi = text.indexOf(';', start);
  if (semi >= 0) end = semi;
  else {
    const trimmed = text.trimEnd().length;
    end = trimmed > start ? trimmed : text.length;
  }
  return { start: Math.max(0, start), end: Math.max(start + 1, end) };
}

export function cErrorOf(m: MappedLog, insn: number, readSource: (file: string) => string | null): CError | null {
  const src = m.map.at(insn);
  if (!src?.location) return null;
  const file = m.resolve(src.location.file);
  const { start, end } = cErrorRange(readSource(file), src.location.line, src.location.column);
  return { file, line: src.location.line - 1, start, end, insn, chain: describeFrames(src.inlineChain, m.resolve) };
}

/** Whether `file` (an editor path) is a source of the mapped log. */
export function mapsFile(m: MappedLog, file: string): boolean {
  return m.map.match.object.dwarf?.files.some((f) => sameFile(m.resolve(f), file) || sameFile(f, file)) ?? false;
}

