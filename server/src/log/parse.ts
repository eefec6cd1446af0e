/**
 * Entry points of the log layer.
 * - `parseLog`: the whole log through the grammar into the model (chunked, so the lexer never
 *   holds more than a chunk's tokens).
 * - `summarizeLog`: verdict, error, stats and generation from the head and the tail only. The
 *   error is at the end of a log, so this answers in milliseconds whatever the size; the editor
 *   publishes it first and the CLI needs nothing more.
 */
import { ModelBuilder, INFO_LINE } from './builder';
import { parseKernelDiagnostic } from './kernel-diagnostic';
import { logLexer } from './lexer';
import { readLoaderLines } from './loaders';
import {
  LineKind, type EventTable, type InsnEvent, type LogError, type Region, type SourceNoteInfo, type Verdict, type VerifierLog,
} from './model';
import { LogParser } from './parser';

const CHUNK = 1 << 16;
let sharedParser: LogParser | null = null;

function parser(): LogParser {
  return (sharedParser ??= new LogParser());
}

export function computeLineStarts(text: string): Uint32Array {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  const starts = new Uint32Array(n + 1);
  let k = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts[k++] = i + 1;
  starts[n] = text.length + 1;
  return starts;
}

export function lineText(log: Pick<VerifierLog, 'text' | 'lineStarts'>, line: number): string {
  const s = log.lineStarts[line];
  let e = log.lineStarts[line + 1] - 1;
  if (e > s && log.text.charCodeAt(e - 1) === 13) e--;
  return log.text.slice(s, e);
}

/** Lexes and parses `text[from, to)` (whole lines) into the builder. */
function feed(b: ModelBuilder, text: string, from: number, to: number, lineStarts: Uint32Array): void {
  const p = parser();
  p.sink = b;
  let pos = from;
  while (pos < to) {
    let end = Math.min(to, pos + CHUNK);
    if (end < to) {
      const nl = text.indexOf('\n', end);
      end = nl < 0 || nl >= to ? to : nl + 1;
    }
    feedChunk(b, p, text, pos, end, lineStarts);
    pos = end;
  }
}

function feedChunk(b: ModelBuilder, p: LogParser, text: string, from: number, to: number, lineStarts: Uint32Array): void {
  const endLine = lineOf(lineStarts, to - 1) + 1;
  let pos = from;
  while (pos < to) {
    b.base = pos;
    const lexed = logLexer.tokenize(text.slice(pos, to));
    p.input = lexed.tokens;
    p.log();
    if (p.errors.length === 0 && lexed.errors.length === 0) return;
    // The grammar stopped on a line it cannot read: that line is unrecognised, go on after it.
    if (b.line >= endLine) return;
    b.single({ image: lineText({ text, lineStarts }, b.line), tokenType: undefined } as never);
    pos = lineStarts[b.line];
  }
}

function lineOf(lineStarts: Uint32Array, offset: number): number {
  let lo = 0, hi = lineStarts.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** Error lines that give context rather than the reason (the reason is the line before). */
const CONTEXT_LINE = /^(?:cur|old) state:|^verification time|^processed /;

interface Classified {
  errors: LogError[];
  truncatedStart: boolean;
}

/** Free-text lines become info, error or unrecognised once the walk's extent is known. */
function classifyText(b: ModelBuilder, kinds: Uint8Array, log: Pick<VerifierLog, 'text' | 'lineStarts'>): Classified {
  const errors: LogError[] = [];
  let current: LogError | null = null;
  const evCount = b.evLine.length;
  const lastEvent = evCount - 1;
  for (const line of b.textLines) {
    const text = lineText(log, line).trim();
    // A log buffer dumped whole ends in NULs: padding, not text.
    if (text.replace(/\0/g, '').trim() === '') { kinds[line] = LineKind.Blank; continue; }
    if (b.diagStart >= 0 && line > b.diagStart && line <= b.diagEnd) continue;
    if (INFO_LINE.test(text) || (line < b.firstWalkLine && line !== b.firstKernelLine)) { kinds[line] = LineKind.Info; continue; }
    // Partial first line of a rotated log: text before the walk that the walk continues after.
    if (line === b.firstKernelLine && b.lastWalkLine > line) { kinds[line] = LineKind.Unrecognised; continue; }
    if (line < b.lastWalkLine) { kinds[line] = LineKind.Unrecognised; continue; }
    kinds[line] = LineKind.Error;
    if (current && line - current.endLine <= 2 && onlyQuietBetween(kinds, current.endLine, line)) {
      current.message += '\n' + text;
      current.endLine = line;
      if (!CONTEXT_LINE.test(text)) current.headline = text;
    } else {
      const e = lastEvent >= 0 && b.evLine.get(lastEvent) < line ? lastEvent : null;
      current = { message: text, headline: text, startLine: line, endLine: line, insn: e === null ? null : b.evInsn.get(e), event: e };
      errors.push(current);
    }
  }
  const k = b.firstKernelKind;
  const truncatedStart = b.firstKernelLine >= 0 && b.lastWalkLine >= 0 && (
    k === LineKind.Bookkeeping || k === LineKind.LiveRegsRow || k === LineKind.PathStart || k === LineKind.CallReturn ||
    ((k === LineKind.Instruction || k === LineKind.State) && b.firstKernelInsn > 0) ||
    (kinds[b.firstKernelLine] === LineKind.Unrecognised && b.firstKernelLine < b.lastWalkLine));
  return { errors, truncatedStart };
}

function onlyQuietBetween(kinds: Uint8Array, a: number, b: number): boolean {
  for (let i = a + 1; i < b; i++) if (kinds[i] !== LineKind.Blank && kinds[i] !== LineKind.Info) return false;
  return true;
}

function regionsOf(kinds: Uint8Array, b: ModelBuilder, log: Pick<VerifierLog, 'text' | 'lineStarts'>): Region[] {
  const regions: Region[] = [];
  const runs: [LineKind, Region['kind'], string][] = [
    [LineKind.Bookkeeping, 'bookkeeping', 'precision/liveness bookkeeping'],
    [LineKind.LiveRegsRow, 'liveRegs', 'Live regs before insn'],
    [LineKind.DiagnosticBlock, 'diagnosticBlock', 'kernel diagnostic'],
    [LineKind.Loader, 'loader', 'loader output'],
    [LineKind.CallReturn, 'callReturn', 'return from callee'],
    [LineKind.Prepass, 'prepass', 'static pre-pass'],
  ];
  for (const [kind, name, label] of runs) {
    let start = -1;
    for (let i = 0; i <= kinds.length; i++) {
      const match = i < kinds.length && (kinds[i] === kind || (kind === LineKind.LiveRegsRow && kinds[i] === LineKind.LiveRegsHeader));
      if (match && start < 0) start = i;
      else if (!match && start >= 0) {
        if (i - 1 > start) regions.push({ kind: name, startLine: start, endLine: i - 1, label: `${label} (${i - start} lines)` });
        start = -1;
      }
    }
  }
  const walkEnd = b.stats.line ?? (b.lastWalkLine >= 0 ? b.lastWalkLine : kinds.length - 1);
  for (let i = 0; i < b.paths.length; i++) {
    const p = b.paths[i];
    const next = i + 1 < b.paths.length ? b.paths[i + 1].line - 1 : walkEnd;
    let end = Math.max(p.line, next);
    while (end > p.line && (kinds[end] === LineKind.Blank || kinds[end] === LineKind.Stats)) end--;
    if (end > p.line) {
      const head = p.fromInsn === null ? lineText(log, p.line).slice(0, 60) : `from ${p.fromInsn} to ${p.toInsn}`;
      regions.push({ kind: 'path', startLine: p.line, endLine: end, label: `path ${i}: ${head}` });
    }
  }
  return regions.sort((x, y) => x.startLine - y.startLine);
}

function verdictOf(errors: LogError[], hasStats: boolean, hasDiag: boolean): Verdict {
  if (errors.length > 0 || hasDiag) return 'rejected';
  return hasStats ? 'accepted' : 'unknown';
}

/** Builds the whole model. */
export function parseLog(text: string): VerifierLog {
  const lineStarts = computeLineStarts(text);
  const lineCount = lineStarts.length - 1;
  const b = new ModelBuilder(lineCount);
  feed(b, text, 0, text.length, lineStarts);
  return finish(b, text, lineStarts);
}

function finish(b: ModelBuilder, text: string, lineStarts: Uint32Array): VerifierLog {
  const lineCount = lineStarts.length - 1;
  // A text ending in '\n' has an empty last line the grammar never sees.
  while (b.kinds.length < lineCount) b.kinds.push(LineKind.Blank);
  const kinds = b.kinds.freeze();
  const base = { text, lineStarts };
  const { errors, truncatedStart } = classifyText(b, kinds, base);
  const generation = b.signals.decide();
  const diagLines: string[] = [];
  if (b.diagStart >= 0) for (let i = b.diagStart; i <= b.diagEnd; i++) diagLines.push(lineText(base, i));
  const kernelDiagnostic = b.diagStart >= 0 ? parseKernelDiagnostic(diagLines, b.diagStart) : null;
  const events: EventTable = {
    count: b.evInsn.length,
    insn: b.evInsn.freeze(),
    line: b.evLine.freeze(),
    opcode: b.evOpcode.freeze(),
    frame: b.evFrame.freeze(),
    path: b.evPath.freeze(),
    note: b.evNote.freeze(),
  };
  const truncatedEnd = b.stats.processedInsns === null && events.count > 0;
  return {
    text,
    generation,
    verdict: verdictOf(errors, b.stats.processedInsns !== null, kernelDiagnostic !== null),
    truncated: truncatedStart || truncatedEnd,
    truncatedStart,
    truncatedEnd,
    lineCount,
    lineStarts,
    lineKinds: kinds,
    events,
    paths: b.paths,
    sourceNotes: b.notes.freeze(),
    subprogs: b.subprogs,
    regions: regionsOf(kinds, b, base),
    errors,
    kernelDiagnostic,
    stats: b.stats,
    loader: readLoaderLines(b.loaderLines.map((l) => lineText(base, l))),
    states: b.states.freeze(text, generation),
  };
}

export function eventAt(log: VerifierLog, i: number): InsnEvent {
  const ev = log.events;
  const line = ev.line[i];
  const t = lineText(log, line);
  const head = /^\s*\d+: \([0-9a-f]{2}\) /.exec(t);
  let body = head ? t.slice(head[0].length) : t;
  const semi = body.indexOf(';');
  const jump = body.search(/[ \t]\d+: (?:R\d|frame\d|fp)/);
  const cut = semi < 0 ? jump : jump < 0 ? semi : Math.min(semi, jump);
  if (cut >= 0) body = body.slice(0, cut);
  return {
    index: i, insn: ev.insn[i], line, opcode: ev.opcode[i], text: body.trimEnd(), frame: ev.frame[i], path: ev.path[i], note: ev.note[i],
  };
}

export function sourceNoteAt(log: VerifierLog, i: number): SourceNoteInfo {
  const line = log.sourceNotes[i];
  return decodeSourceNote(lineText(log, line), line);
}

export function decodeSourceNote(text: string, line: number): SourceNoteInfo {
  let body = text.trim();
  if (body.startsWith(';')) body = body.slice(1);
  const at = / @ (\S+):(\d+)$/.exec(body);
  if (at) body = body.slice(0, at.index);
  return { line, text: body.trim(), file: at ? at[1] : null, sourceLine: at ? Number(at[2]) : null };
}

/** Index of the last event at or before `line`, or -1. */
export function eventIndexAtLine(log: VerifierLog, line: number): number {
  const a = log.events.line;
  let lo = 0, hi = log.events.count - 1, ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= line) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

