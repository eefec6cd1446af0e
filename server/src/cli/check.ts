/**
 * `bpflens check`: real loads of objects on a matrix of kernels (the runner's VMs), each verdict
 * diagnosed and mapped to C, reported as a table, JSON, SARIF 2.1.0 (code scanning) or JUnit.
 */
import * as path from 'path';
import { diagnose, type DiagnosedError } from '../diagnose/diagnosis';
import { withObject } from '../diagnose/with-object';
import { parseLog } from '../log/parse';
import { summaryOf } from '../log/summary';
import { loadObject, type MappedObject } from '../mapping/mapped-object';
import { readText, sourcePathsFor } from './diagnose-file';
import { runHost } from '../../../runner/src/host';
import { runMatrix, VARIANTS, type Cell } from '../../../runner/src/vm';

export { VARIANTS };

export interface CheckedCell {
  kernel: string;
  variant: string;
  object: string;
  program: string;
  verdict: Cell['verdict'];
  errno: number;
  errnoName: string;
  /** The first error, diagnosed and mapped through the object; null when accepted. */
  error: DiagnosedError | null;
  vmProblem: string | null;
}

export async function check(objects: string[], kernels: string[], variants: string[], logLevel: 1 | 2, programs?: string[]): Promise<CheckedCell[]> {
  const mapped = new Map<string, MappedObject>();
  for (const o of objects) mapped.set(o, await loadObject(o));
  const chosen = variants.map((v) => VARIANTS[v]);
  const vmKernels = kernels.filter((k) => k !== 'host');
  const cells = [
    ...(kernels.includes('host') ? runHost({ objects, logLevel, variants: chosen, programs }) : []),
    ...(vmKernels.length ? await runMatrix({ objects, kernels: vmKernels, logLevel, variants: chosen, programs }) : []),
  ];
  return cells.map((c) => {
    let error: DiagnosedError | null = null;
    if (c.verdict === 'rejected' && c.log) {
      const log = parseLog(c.log);
      const object = mapped.get(c.object)!;
      const resolveFile = sourcePathsFor(c.object);
      const d = withObject(diagnose(summaryOf(log), c.errno), log, [object], { program: c.program, read: readText, resolveFile });
      error = d.errors[0] ?? null;
    }
    return {
      kernel: c.kernelRelease || c.kernel, variant: c.variant, object: c.object, program: c.program, verdict: c.verdict,
      errno: c.errno, errnoName: c.errnoName, error, vmProblem: c.vmProblem ?? null,
    };
  });
}

export function renderTable(cells: CheckedCell[]): string {
  const rows = cells.map((c) => [
    c.program || path.basename(c.object), c.kernel, c.variant,
    c.verdict === 'accepted' ? 'PASS' : c.verdict === 'rejected' ? `FAIL ${c.errnoName}` : 'ERROR',
    c.error ? `${c.error.code}${c.error.source ? ` ${c.error.source.file}:${c.error.source.line}` : ''}` : c.vmProblem ?? '',
  ]);
  const head = ['program', 'kernel', 'variant', 'verdict', 'first error'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((x, i) => x.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

/** SARIF 2.1.0: one result per rejected cell, located at the failing C line. */
export function renderSarif(cells: CheckedCell[]): object {
  const failed = cells.filter((c) => c.error);
  const rules = [...new Map(failed.map((c) => [c.error!.code, c.error!])).values()];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'bpflens',
          informationUri: 'https://bpflens.dev',
          rules: rules.map((e) => ({
            id: e.code,
            shortDescription: { text: `${e.category}: ${e.code}` },
            properties: { category: e.category },
          })),
        },
      },
      results: failed.map((c) => {
        const e = c.error!;
        const region = e.source ? { startLine: e.source.line, ...(e.source.column ? { startColumn: e.source.column } : {}) } : undefined;
        return {
          ruleId: e.code,
          level: 'error',
          message: { text: `${c.program} is rejected by kernel ${c.kernel} (${c.variant}): ${e.message.split('\n').at(-1)} — ${e.explanation}` },
          locations: e.source ? [{ physicalLocation: { artifactLocation: { uri: e.source.file.split(path.sep).join('/') }, region } }] : [],
          properties: { kernel: c.kernel, variant: c.variant, insn: e.insn, errno: c.errnoName },
        };
      }),
    }],
  };
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML: a suite per kernel and variant, a test case per program. */
export function renderJunit(cells: CheckedCell[]): string {
  const suites = new Map<string, CheckedCell[]>();
  for (const c of cells) {
    const k = `${c.kernel} ${c.variant}`;
    suites.set(k, [...(suites.get(k) ?? []), c]);
  }
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="bpflens check" tests="${cells.length}" failures="${cells.filter((c) => c.verdict !== 'accepted').length}">`];
  for (const [name, list] of suites) {
    out.push(`  <testsuite name="${xml(name)}" tests="${list.length}" failures="${list.filter((c) => c.verdict !== 'accepted').length}">`);
    for (const c of list) {
      out.push(`    <testcase classname="${xml(path.basename(c.object))}" name="${xml(c.program || path.basename(c.object))}">`);
      if (c.verdict !== 'accepted') {
        const msg = c.error ? `${c.error.code}: ${c.error.message.split('\n').at(-1)}` : c.vmProblem ?? `${c.verdict} ${c.errnoName}`;
        const where = c.error?.source ? ` at ${c.error.source.file}:${c.error.source.line}` : '';
        out.push(`      <failure message="${xml(msg + where)}">${xml(c.error ? `${c.error.explanation}\n${c.error.message}` : msg)}</failure>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

