/**
 * Puts the object's truth into a diagnosis: the failing instruction's DWARF line replaces the
 * log's nearest note (which may belong to another statement), and the inline chain is added.
 */
import type { VerifierLog } from '../log/model';
import type { MappedObject } from '../mapping/mapped-object';
import { matchLog } from '../mapping/match';
import { ProgramSourceMap } from '../mapping/source-map';
import type { Diagnosis } from './diagnosis';
import { fixesFor } from './fixes';
import { jitFixFor } from './fixes/build-flag';

export interface ObjectOptions {
  /** Reads C sources for quick fixes; without it no fixes are offered. */
  read?: (file: string) => string | null;
  /** Program name given by the user; defaults to the one the loader text names. */
  program?: string | null;
  /** Turns a DWARF file name into the path the user sees (e.g. resolved on disk). */
  resolveFile?: (dwarfPath: string) => string;
}

export function withObject(diagnosis: Diagnosis, log: VerifierLog, objects: MappedObject[], opts: ObjectOptions = {}): Diagnosis {
  const program = opts.program ?? log.loader.programName;
  const resolve = opts.resolveFile ?? ((f: string) => f);
  const jitFix = opts.read && diagnosis.errors.some((e) => e.code === 'jit-failed') ? jitFixFor(objects, program, () => resolve, opts.read) : null;
  const d = jitFix ? { ...diagnosis, errors: diagnosis.errors.map((e) => (e.code === 'jit-failed' ? { ...e, fixes: [jitFix] } : e)) } : diagnosis;
  const res = matchLog(log, objects, program);
  const best = res.match ?? res.candidates[0] ?? null;
  const file = (best?.object ?? objects[0])?.file ?? '';
  const info = {
    file,
    program: res.match?.program ?? null,
    matched: res.match !== null,
    checked: best?.checked ?? 0,
    agreed: best?.matched ?? 0,
    problem: res.problem,
    warnings: objects.flatMap((o) => (o.dwarfProblem ? [o.dwarfProblem, ...o.warnings] : o.warnings)),
  };
  if (!res.match) return { ...d, object: info };
  const map = new ProgramSourceMap(res.match);
  const section = res.match.object.object.programs.find((p) => p.name === res.match!.program)?.section ?? '';
  return {
    ...d,
    object: info,
    errors: d.errors.map((e) => {
      const src = e.insn === null ? null : map.at(e.insn);
      if (!src) return e;
      const fixes = opts.read ? fixesFor({ error: e, map, resolve, read: opts.read, section }) : [];
      return {
        ...e,
        fixes,
        causalPath: e.causalPath.map((st) => {
          const loc = map.at(st.insn)?.location;
          return loc ? { ...st, source: { file: resolve(loc.file), line: loc.line, column: loc.column } } : st;
        }),
        source: src.location ? { file: resolve(src.location.file), line: src.location.line, column: src.location.column } : e.source,
        inlineChain: src.inlineChain.map((f) => ({ function: f.function, file: f.file && resolve(f.file), line: f.line, column: f.column })),
      };
    }),
  };
}
