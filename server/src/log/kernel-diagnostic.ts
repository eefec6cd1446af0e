/**
 * Reads the kernel ≥ 7.3 `Verification failed:` block:
 *
 *   Verification failed: Memory Safety: Access outside bounds
 *   Reason:
 *     The verifier cannot prove … (wrapped at 100 columns)
 *   At:
 *     xdp_nobounds @ xdp_nobounds.c:22:10        (or `insn 11` without line info)
 *     Source context: … >>> 22 | … ^-- error: …
 *     Instruction context: … >>> 11 | (71) r1 = …
 *   Causal path:
 *     <func @ file:line:col, Source context, Instruction context with `^-- update:`/`^-- branch:`>…
 *   Suggestion:
 *     …
 * The text is not UAPI, so every field is optional and unknown sections are kept as text.
 */
import type { KernelCausalStep, KernelDiagnostic, SourceLocation } from './model';

const LOCATION = /^\s*(\S+) @ (\S+?):(\d+)(?::(\d+))?\s*$/;
const INSN_AT = /^\s*insn (\d+)\s*$/;
const MARKED_INSN = /^\s*>>>\s*(\d+) \|/;
const MARK_NOTE = /\^--\s*(.*)$/;

function location(line: string): SourceLocation | null {
  const m = LOCATION.exec(line);
  return m ? { function: m[1], file: m[2], line: Number(m[3]), column: m[4] ? Number(m[4]) : null } : null;
}

export function parseKernelDiagnostic(lines: readonly string[], firstLine: number): KernelDiagnostic {
  const head = /^Verification failed:\s*([^:]+?):\s*(.*)$/.exec(lines[0] ?? '');
  const diag: KernelDiagnostic = {
    category: head?.[1]?.trim() ?? '',
    problem: head?.[2]?.trim() ?? (lines[0] ?? '').replace(/^Verification failed:\s*/, ''),
    reason: '',
    at: null,
    atInsn: null,
    causalPath: [],
    suggestion: '',
    startLine: firstLine,
    endLine: firstLine + lines.length - 1,
  };
  let section = '';
  const reason: string[] = [];
  const suggestion: string[] = [];
  let step: KernelCausalStep | null = null;
  let inInsnContext = false;
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i];
    const header = /^(Reason|At|Causal path|Suggestion):\s*$/.exec(text);
    if (header) { section = header[1]; inInsnContext = false; continue; }
    if (section === 'Reason') { if (text.trim()) reason.push(text.trim()); continue; }
    if (section === 'Suggestion') { if (text.trim()) suggestion.push(text.trim()); continue; }
    if (section !== 'At' && section !== 'Causal path') continue;
    if (/^\s*Instruction context:/.test(text)) { inInsnContext = true; continue; }
    if (/^\s*Source context:/.test(text)) { inInsnContext = false; continue; }
    const loc = location(text);
    const insnAt = INSN_AT.exec(text);
    if (loc || insnAt) {
      inInsnContext = false;
      if (section === 'At') {
        diag.at = loc;
        if (insnAt) diag.atInsn = Number(insnAt[1]);
      } else {
        step = { location: loc, insn: insnAt ? Number(insnAt[1]) : null, text: '', line: firstLine + i };
        diag.causalPath.push(step);
      }
      continue;
    }
    const note = MARK_NOTE.exec(text);
    if (note && section === 'Causal path' && step && !step.text) step.text = note[1].trim();
    const marked = MARKED_INSN.exec(text);
    if (marked && inInsnContext) {
      if (section === 'At') diag.atInsn = Number(marked[1]);
      else if (step && step.insn === null) step.insn = Number(marked[1]);
    }
  }
  diag.reason = reason.join(' ');
  diag.suggestion = suggestion.join(' ');
  return diag;
}
