/**
 * What a log says at a glance — verdict, errors, stats, generation — computed from the head and
 * the tail only. The verifier stops at the first error and prints it last, so the tail holds the
 * error, the failing instruction and usually its source note; the head holds the start-of-log
 * signals (rotation, generation). Cost is independent of the log's size apart from one newline
 * count to turn tail lines into absolute lines.
 */
import { GenerationSignals } from './generation';
import type { Generation, KernelDiagnostic, LoaderInfo, LogError, SourceNoteInfo, Stats, VerifierLog } from './model';
import { decodeSourceNote, parseLog, sourceNoteAt } from './parse';

export interface SummaryError {
  message: string;
  headline: string;
  /** 0-based lines of the whole log. */
  startLine: number;
  endLine: number;
  insn: number | null;
  /** 0-based line of the failing instruction, or null. */
  insnLine: number | null;
  /** Nearest source note above the failing instruction, as printed. */
  note: SourceNoteInfo | null;
  /** The error as found in `LogSummary.walk` (whose lines start at `walkLineOffset`). */
  walkError: LogError;
}

export interface LogSummary {
  generation: Generation;
  verdict: VerifierLog['verdict'];
  truncated: boolean;
  errors: SummaryError[];
  stats: Stats;
  kernelDiagnostic: KernelDiagnostic | null;
  loader: LoaderInfo;
  lineCount: number | null;
  /**
   * The model the errors were read from: the whole log, or its tail window. Findings that walk
   * back from the error (the causal path) use it; its line `l` is line `l + walkLineOffset` of the log.
   */
  walk: VerifierLog;
  walkLineOffset: number;
}

const HEAD_BYTES = 64 * 1024;
const TAIL_BYTES = 256 * 1024;
/** Up to this size a log is simply parsed whole. */
export const SMALL_LOG_CHARS = HEAD_BYTES + TAIL_BYTES;

function shift<T extends { line: number }>(x: T, by: number): T {
  return { ...x, line: x.line + by };
}

export function summaryOf(log: VerifierLog): LogSummary {
  return {
    generation: log.generation,
    verdict: log.verdict,
    truncated: log.truncated,
    errors: log.errors.map((e) => {
      const noteIdx = e.event === null ? -1 : log.events.note[e.event];
      return {
        message: e.message, headline: e.headline, startLine: e.startLine, endLine: e.endLine, insn: e.insn,
        insnLine: e.event === null ? null : log.events.line[e.event],
        note: noteIdx >= 0 ? sourceNoteAt(log, noteIdx) : null,
        walkError: e,
      };
    }),
    stats: log.stats,
    kernelDiagnostic: log.kernelDiagnostic,
    loader: log.loader,
    lineCount: log.lineCount,
    walk: log,
    walkLineOffset: 0,
  };
}

/**
 * The log's bytes or characters, read only where needed: a 40 MB file is never decoded whole
 * to find its error.
 */
export interface LogSource {
  readonly length: number;
  slice(start: number, end: number): string;
  /** Number of '\n' in [0, end). */
  countNewlines(end: number): number;
  /** Position of the last `needle` starting before `before`, or -1. */
  lastIndexOf(needle: string, before: number): number;
  indexOf(needle: string, from: number): number;
}

export function stringSource(text: string): LogSource {
  return {
    length: text.length,
    slice: (a, b) => text.slice(a, b),
    countNewlines: (end) => {
      let n = 0;
      for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
      return n;
    },
    lastIndexOf: (needle, before) => text.lastIndexOf(needle, before),
    indexOf: (needle, from) => text.indexOf(needle, from),
  };
}

export function bufferSource(buf: Buffer): LogSource {
  return {
    length: buf.length,
    slice: (a, b) => buf.toString('utf8', a, b),
    countNewlines: (end) => {
      let n = 0;
      for (let i = buf.indexOf(10); i >= 0 && i < end; i = buf.indexOf(10, i + 1)) n++;
      return n;
    },
    lastIndexOf: (needle, before) => buf.lastIndexOf(needle, before),
    indexOf: (needle, from) => buf.indexOf(needle, from),
  };
}

/** Nearest `; …` line that starts before `offset`. */
function noteBefore(src: LogSource, offset: number, baseLine: number): SourceNoteInfo | null {
  const i = src.lastIndexOf('\n;', offset - 1);
  const start = i < 0 ? (src.slice(0, 1) === ';' ? 0 : -1) : i + 1;
  if (start < 0) return null;
  let end = src.indexOf('\n', start);
  if (end < 0) end = src.length;
  const line = baseLine - (src.countNewlines(offset) - src.countNewlines(start));
  return decodeSourceNote(src.slice(start, end).replace(/\r$/, ''), line);
}

export function summarizeLog(input: string | LogSource): LogSummary {
  const src = typeof input === 'string' ? stringSource(input) : input;
  if (src.length <= SMALL_LOG_CHARS) return summaryOf(parseLog(src.slice(0, src.length)));
  let headEnd = src.indexOf('\n', HEAD_BYTES);
  headEnd = headEnd < 0 ? HEAD_BYTES : headEnd + 1;
  const head = parseLog(src.slice(0, headEnd));
  let tailStart = src.indexOf('\n', src.length - TAIL_BYTES);
  tailStart = tailStart < 0 ? headEnd : tailStart + 1;
  const tail = parseLog(src.slice(tailStart, src.length));
  const baseLine = src.countNewlines(tailStart);
  const signals = new GenerationSignals();
  const gen = (g: Generation): void => {
    if (g === '7.3+') signals.diagBlock = true;
    else if (g === '6.x') signals.scalar = true;
    else if (g === '4.x') signals.old4 = true;
    else if (g === '5.x') signals.inv = true;
  };
  gen(head.generation);
  gen(tail.generation);
  const s = summaryOf(tail);
  const errors = s.errors.map((e) => {
    let note = e.note ? shift(e.note, baseLine) : null;
    if (!note && e.insnLine !== null) note = noteBefore(src, tailStart, baseLine);
    return {
      ...e, note, startLine: e.startLine + baseLine, endLine: e.endLine + baseLine,
      insnLine: e.insnLine === null ? null : e.insnLine + baseLine,
    };
  });
  const kd = tail.kernelDiagnostic;
  return {
    generation: signals.decide(),
    verdict: tail.verdict,
    truncated: head.truncatedStart || tail.truncatedEnd,
    errors,
    stats: tail.stats.line === null ? tail.stats : { ...tail.stats, line: tail.stats.line + baseLine },
    kernelDiagnostic: kd && {
      ...kd, startLine: kd.startLine + baseLine, endLine: kd.endLine + baseLine,
      causalPath: kd.causalPath.map((c) => shift(c, baseLine)),
    },
    loader: {
      loaders: [...new Set([...head.loader.loaders, ...tail.loader.loaders])],
      programName: head.loader.programName ?? tail.loader.programName,
      errno: tail.loader.errno ?? head.loader.errno,
    },
    lineCount: null,
    walk: tail,
    walkLineOffset: baseLine,
  };
}
