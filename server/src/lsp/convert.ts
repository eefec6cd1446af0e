/** Conversions from the core's plain results to LSP types. */
import { DiagnosticSeverity, Location, type Diagnostic, type DiagnosticRelatedInformation, type Range } from 'vscode-languageserver/node';
import { pathToFileURL } from 'url';
import type { Diagnosis, Fix } from '../diagnose/diagnosis';
import type { CError } from '../features/source-features';
import type { LogSummary } from '../log/summary';

/** LSP positions are uinteger (≤ 2^31 - 1); a client clamps it to the line's end. */
export const END_OF_LINE = 2 ** 31 - 1;

export function lineRange(line: number): Range {
  return { start: { line, character: 0 }, end: { line, character: END_OF_LINE } };
}

export function fileUri(file: string): string {
  return pathToFileURL(file).href;
}

/** The log's own diagnostics; `cErrors[i]` (when mapped) adds the C location and inline chain. */
export function logDiagnostics(uri: string, s: LogSummary, d: Diagnosis, cErrors: (CError | null)[] = [], fixes: Fix[][] = []): Diagnostic[] {
  return d.errors.map((e, i) => {
    // A JIT failure is the diagnosis's own error: the verifier's log may hold none (6.x prints only stats).
    const err = s.errors[i] as LogSummary['errors'][number] | undefined;
    const start = err?.startLine ?? e.logLine - 1;
    const related: DiagnosticRelatedInformation[] = [];
    const c = cErrors[i];
    if (c) {
      related.push({ location: Location.create(fileUri(c.file), { start: { line: c.line, character: c.start }, end: { line: c.line, character: c.end } }), message: `C: ${c.chain.join(', ')}` });
    }
    if (err && err.insnLine !== null) related.push({ location: Location.create(uri, lineRange(err.insnLine)), message: `failing instruction ${err.insn}` });
    if (err?.note) {
      related.push({
        location: Location.create(uri, lineRange(err.note.line)),
        message: `source: ${err.note.text}${err.note.file ? ` @ ${err.note.file}:${err.note.sourceLine}` : ''}`,
      });
    }
    for (const step of e.causalPath) {
      related.push({ location: Location.create(uri, lineRange(step.logLine - 1)), message: `causal path (${step.kind}): ${step.text}` });
    }
    for (const step of s.kernelDiagnostic?.causalPath ?? []) {
      related.push({ location: Location.create(uri, lineRange(step.line)), message: `kernel causal path: ${step.text}` });
    }
    return {
      range: { start: { line: start, character: 0 }, end: { line: err?.endLine ?? start, character: END_OF_LINE } },
      severity: DiagnosticSeverity.Error,
      source: 'bpflens',
      code: e.code,
      message: `${err?.headline ?? e.message}\n${e.category}: ${e.explanation}`,
      relatedInformation: related,
      data: { category: e.category, insn: e.insn, source: e.source, fixes: fixes[i] ?? [] },
    };
  });
}

/** The squiggle on the failing C line, with the inline chain and the log line as related places. */
export function cDiagnostic(logUri: string, s: LogSummary, d: Diagnosis, i: number, c: CError, chainLocations: Location[], fixes: Fix[]): Diagnostic {
  const e = d.errors[i];
  const related: DiagnosticRelatedInformation[] = chainLocations.map((loc, k) => ({ location: loc, message: c.chain[k] ?? '' }));
  related.push({ location: Location.create(logUri, lineRange(s.errors[i].startLine)), message: `verifier log: insn ${c.insn}` });
  return {
    range: { start: { line: c.line, character: c.start }, end: { line: c.line, character: c.end } },
    severity: DiagnosticSeverity.Error,
    source: 'bpflens',
    code: e.code,
    message: `${s.errors[i].headline} (insn ${c.insn})\n${e.category}: ${e.explanation}${c.chain.length > 1 ? `\nInline chain: ${c.chain.join(', ')}` : ''}`,
    relatedInformation: related,
    data: { category: e.category, insn: e.insn, log: logUri, fixes },
  };
}
