/**
 * The diagnosis of a log: the stable JSON contract of `bpflens diagnose --format json`
 * (documented in docs/diagnose-json.md) and the data every front end (LSP, CLI) renders.
 */
import { LineKind, type Generation, type KernelDiagnostic } from '../log/model';
import { eventIndexAtLine, lineText, sourceNoteAt } from '../log/parse';
import type { LogSummary, SummaryError } from '../log/summary';
import { causalPath } from './causal-path';
import { mcpuV4Fix } from './fixes/build-flag';
import { explainError, explainJitFailure, type Category } from './messages';

export interface SourceRef {
  file: string;
  line: number;
  column: number | null;
}

/**
 * A quick fix: text edits (0-based lines and columns, like LSP), in the C source or in the build
 * file. No edits: the title is advice no file beside the program could carry (e.g. a build flag).
 */
export interface Fix {
  title: string;
  edits: { file: string; range: { start: { line: number; column: number }; end: { line: number; column: number } }; newText: string }[];
}

export interface DiagnosedError {
  message: string;
  category: Category;
  code: string;
  /** Failing instruction index (verifier numbering), or null when the error precedes the walk. */
  insn: number | null;
  /** 1-based line of the log where the error message starts. */
  logLine: number;
  /** From the kernel's `At:` (7.3+) or the nearest `; … @ file:N` note; null when the log has none. */
  source: SourceRef | null;
  explanation: string;
  /** Kernel-aware notes: where the message or the verdict differs between kernel versions. */
  hints: string[];
  fixes: Fix[];
  /** With an object: innermost first, the inlined helper that failed up to the program. */
  inlineChain?: ChainFrame[];
  /** How the failing register got its type and range, oldest first, ending at the failing instruction. */
  causalPath: CausalPathStep[];
}

export interface CausalPathStep {
  kind: 'origin' | 'derive' | 'narrow' | 'fail';
  insn: number;
  /** 1-based log line of the instruction. */
  logLine: number;
  /** The log's note for the instruction, or the DWARF line with an object. */
  source: SourceRef | null;
  text: string;
}

export interface ChainFrame {
  function: string;
  file: string | null;
  line: number | null;
  column: number | null;
}

/** With `--object`: which program the log was matched to, or why it was not. */
export interface ObjectMatchInfo {
  file: string;
  program: string | null;
  matched: boolean;
  /** Instructions of the log compared with the object, and how many agreed. */
  checked: number;
  agreed: number;
  problem: string | null;
  warnings: string[];
}

export interface Diagnosis {
  verdict: 'rejected' | 'accepted' | 'unknown';
  generation: Generation;
  truncated: boolean;
  errors: DiagnosedError[];
  stats: {
    processedInsns: number | null;
    totalStates: number | null;
    peakStates: number | null;
    verificationTimeUsec: number | null;
  };
  object?: ObjectMatchInfo;
}

function sourceOf(e: SummaryError, kd: KernelDiagnostic | null): SourceRef | null {
  if (kd?.at) return { file: kd.at.file, line: kd.at.line, column: kd.at.column };
  if (e.note?.file && e.note.sourceLine !== null) return { file: e.note.file, line: e.note.sourceLine, column: null };
  return null;
}

function causalPathOf(s: LogSummary, e: SummaryError): CausalPathStep[] {
  const log = s.walk;
  return causalPath(log, e.walkError).map((st) => {
    const ev = eventIndexAtLine(log, st.line);
    const n = ev >= 0 ? log.events.note[ev] : -1;
    const note = n >= 0 ? sourceNoteAt(log, n) : null;
    return {
      kind: st.kind, insn: st.insn, logLine: st.line + s.walkLineOffset + 1, text: st.text,
      source: note?.file && note.sourceLine !== null ? { file: note.file, line: note.sourceLine, column: null } : null,
    };
  });
}

const ENOTSUPP = 524;
/** 7.3 prints the patch that failed; earlier kernels print nothing after the stats line. */
const PATCH_FAILED = /^insn (\d+) cannot be patched due to 16-bit range/;
const LOAD_FAILED = /failed to load: -(?:524|ENOTSUPP)\b/;

/**
 * A load that failed with errno 524 after the verifier finished (the stats line is there, and no
 * error but 7.3's failed patch): the JIT could not compile the program. The error starts at that
 * patch line, else at the loader's failure line, else at the stats line (a bare log from a runner
 * whose errno came from the syscall).
 */
function jitFailure(s: LogSummary, errno: number | null): DiagnosedError | null {
  if (errno !== ENOTSUPP || s.stats.line === null || s.errors.some((e) => !PATCH_FAILED.test(e.headline))) return null;
  const log = s.walk;
  const patched = s.errors[0] ?? null;
  let line = patched ? patched.startLine - s.walkLineOffset : -1;
  for (let l = log.lineCount - 1; line < 0 && l >= 0; l--) {
    if (log.lineKinds[l] === LineKind.Loader && LOAD_FAILED.test(lineText(log, l))) line = l;
  }
  if (line < 0) line = s.stats.line - s.walkLineOffset;
  const ex = explainJitFailure(patched ? Number(PATCH_FAILED.exec(patched.headline)![1]) : null);
  return {
    message: lineText(log, line).trim(), category: ex.category, code: ex.code, insn: null, logLine: line + s.walkLineOffset + 1,
    source: null, explanation: ex.explanation, hints: ex.hints, fixes: [mcpuV4Fix(null)], causalPath: [],
  };
}

/**
 * `loadErrno`: the errno of the load when it is known apart from the log (a runner's syscall);
 * the loader's text in the log, when there, says it too.
 */
export function diagnose(s: LogSummary, loadErrno: number | null = null): Diagnosis {
  const jit = jitFailure(s, s.loader.errno ?? loadErrno);
  return {
    verdict: jit ? 'rejected' : s.verdict,
    generation: s.generation,
    truncated: s.truncated,
    errors: jit ? [jit] : s.errors.map((e, i) => {
      const ex = explainError(e.message.split('\n'), e.headline);
      const kd = i === 0 ? s.kernelDiagnostic : null;
      return {
        message: e.message,
        category: ex.category === 'Unknown' && kd?.category ? (kd.category as Category) : ex.category,
        code: ex.code,
        insn: e.insn,
        logLine: e.startLine + 1,
        source: sourceOf(e, kd),
        explanation: kd?.reason && ex.code === 'unknown' ? kd.reason : ex.explanation,
        hints: ex.hints,
        fixes: [],
        causalPath: causalPathOf(s, e),
      };
    }),
    stats: {
      processedInsns: s.stats.processedInsns,
      totalStates: s.stats.totalStates,
      peakStates: s.stats.peakStates,
      verificationTimeUsec: s.stats.verificationTimeUsec,
    },
  };
}

/** Human-readable rendering for the terminal. */
export function renderText(file: string, d: Diagnosis): string {
  const out: string[] = [];
  const st = d.stats;
  out.push(`${file}: ${d.verdict.toUpperCase()} (verifier ${d.generation}${d.truncated ? ', log truncated' : ''})` +
    (st.processedInsns !== null ? ` — ${st.processedInsns} insns processed, ${st.totalStates ?? '?'} states (peak ${st.peakStates ?? '?'})` : ''));
  for (const e of d.errors) {
    const where = e.source ? `${e.source.file}:${e.source.line}${e.source.column ? ':' + e.source.column : ''}` : `${file}:${e.logLine}`;
    out.push('');
    out.push(`${where}: error[${e.code}] ${e.category}${e.insn !== null ? ` at insn ${e.insn}` : ''}`);
    for (const l of e.message.split('\n')) out.push(`  | ${l}`);
    if (e.causalPath.length > 1) {
      out.push('  causal path:');
      for (const st of e.causalPath) {
        const where = st.source ? ` [${st.source.file}:${st.source.line}${st.source.column ? ':' + st.source.column : ''}]` : '';
        out.push(`    ${st.kind.padEnd(6)} ${st.text}${where}`);
      }
    }
    if (e.inlineChain && e.inlineChain.length > 1) {
      out.push('  inline chain:');
      for (const f of e.inlineChain) out.push(`    ${f.function} at ${f.file ?? '?'}:${f.line ?? '?'}${f.column ? ':' + f.column : ''}`);
    }
    out.push(`  = ${e.explanation}`);
    for (const h of e.hints.slice(0, 2)) out.push(`  note: ${h}`);
    for (const f of e.fixes) out.push(`  fix: ${f.title}`);
    out.push(`  (log line ${e.logLine})`);
  }
  if (d.object) {
    out.push('');
    out.push(d.object.matched
      ? `object: ${d.object.file}, program ${d.object.program} (${d.object.agreed}/${d.object.checked} instructions agree with the log)`
      : `object not used: ${d.object.problem}`);
    for (const w of d.object.warnings) out.push(`  warning: ${w}`);
  }
  return out.join('\n') + '\n';
}
