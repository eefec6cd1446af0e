/**
 * A return value the source already bounds, rejected at exit all the same: the compiler returned
 * a register the bounds checks never narrowed (e.g. the int it loaded, while the checks ran on a
 * sign-extended copy). A second clamp in the return statement is compiled from the same register
 * (test/fixtures/vm-src/lsm_long_ret.c: into shifts and masks the verifier cannot follow either);
 * barrier_var(v) before the return makes the compiler hand over the checked value itself.
 */
import type { Fix } from '../diagnosis';
import { enclosingFunctionStart, guardStatement, includeEdit } from './c-source';
import { returnStatement, type FixContext } from './context';

/** A comparison of `v` with something (`v > 0`, `-4095 <= v`), not a shift and not a member `p->v`. */
function compares(v: string): RegExp {
  return new RegExp(`(?<!->\\s*|\\.\\s*)\\b${v}\\s*(?:<=?|>=?)(?![<>])|(?<![-<>])(?:<=?|>=?)\\s*${v}\\b`);
}

export function barrierVarFix(ctx: FixContext): Fix | null {
  const { error, map } = ctx;
  if (error.insn === null || !/should have been in \[/.test(error.message)) return null;
  const ret = returnStatement(ctx);
  if (!ret || !/^[A-Za-z_]\w*$/.test(ret.expr)) return null;
  const v = ret.expr;
  const { file, lines, line } = ret;
  // The code before the return must bound the variable (otherwise nothing does, and the
  // return-range fix applies), and DWARF must know it as a variable where it is compared.
  const from = enclosingFunctionStart(lines, line);
  const bound = compares(v);
  const checks: number[] = [];
  for (let i = from + 1; from >= 0 && i < line; i++) if (bound.test(lines[i])) checks.push(i);
  const dwarf = checks.flatMap((l) => map.insnsAt(ret.dwarfFile, l + 1)).map((i) => map.at(i)?.vars.find((x) => x.name === v)).find((x) => x);
  if (!dwarf) return null;
  const include = lines.some((l) => /#\s*define\s+barrier_var\b/.test(l)) ? null : includeEdit(lines, 'bpf/bpf_helpers.h');
  return {
    title: `Return ${v} (${dwarf.type ?? 'variable'}) as checked: barrier_var(${v}); before return ${v}; ` +
      `(the compiled code returns a register the bounds checks on ${v} did not narrow)`,
    edits: [
      ...(include ? [{ file, ...include }] : []),
      { file, ...guardStatement(lines, line, [`barrier_var(${v});`]) },
    ],
  };
}
