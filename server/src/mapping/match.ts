/**
 * Which program of which object a log belongs to. The log's disassembly is always checked
 * against the object: every instruction the verifier printed carries its opcode byte, and the
 * object laid out as libbpf loads it (main program, then appended `.text` subprograms) must have
 * the same opcode at the same index. A wrong object is reported, never silently used.
 */
import type { VerifierLog } from '../log/model';
import type { MappedObject } from './mapped-object';
import { libbpfLayout, type LayoutSlot } from './programs';
import { ObjectReadError } from './read-error';

export interface ProgramMatch {
  object: MappedObject;
  program: string;
  layout: LayoutSlot[];
  /** Distinct instruction indices of the log compared with the object. */
  checked: number;
  matched: number;
  firstMismatch: { insn: number; logOpcode: number; objectOpcode: number | null } | null;
}

export interface MatchResult {
  match: ProgramMatch | null;
  /** Why no program was accepted, naming the files and the first disagreement. */
  problem: string | null;
  candidates: ProgramMatch[];
}

/** Share of the log's instructions that must agree for a match; libbpf never changes opcodes. */
const MIN_AGREEMENT = 0.98;

function logOpcodes(log: VerifierLog): Map<number, number> {
  const m = new Map<number, number>();
  for (let e = 0; e < log.events.count; e++) m.set(log.events.insn[e], log.events.opcode[e]);
  return m;
}

function compare(object: MappedObject, program: string, ops: Map<number, number>): ProgramMatch | null {
  let layout: LayoutSlot[];
  try {
    layout = libbpfLayout(object.object.elf, program, object.object.programs);
  } catch (e) {
    if (e instanceof ObjectReadError) return null;
    throw e;
  }
  let matched = 0;
  let firstMismatch: ProgramMatch['firstMismatch'] = null;
  const sorted = [...ops.keys()].sort((a, b) => a - b);
  for (const insn of sorted) {
    const slot = layout[insn];
    const objectOpcode = slot ? object.object.elf.sections[slot.sectionIndex].data()[slot.offset] ?? null : null;
    if (objectOpcode === ops.get(insn)) matched++;
    else if (!firstMismatch) firstMismatch = { insn, logOpcode: ops.get(insn)!, objectOpcode };
  }
  return { object, program, layout, checked: sorted.length, matched, firstMismatch };
}

const hex = (n: number | null) => (n === null ? 'nothing' : `(${n.toString(16).padStart(2, '0')})`);

/**
 * Finds the program the log was verified from. `hint` is a program name from the user or the
 * loader text; without it every program of every object is tried and the best agreement wins.
 */
export function matchLog(log: VerifierLog, objects: MappedObject[], hint: string | null = log.loader.programName): MatchResult {
  const ops = logOpcodes(log);
  if (ops.size === 0) return { match: null, problem: 'the log shows no instructions to compare with an object', candidates: [] };
  const candidates: ProgramMatch[] = [];
  for (const o of objects) {
    for (const p of o.object.programs) {
      if (p.isSubprog) continue;
      if (hint && p.name !== hint && p.section !== hint) continue;
      const m = compare(o, p.name, ops);
      if (m) candidates.push(m);
    }
  }
  candidates.sort((a, b) => b.matched / b.checked - a.matched / a.checked);
  const best = candidates[0];
  if (best && best.matched / best.checked >= MIN_AGREEMENT) return { match: best, problem: null, candidates };
  if (!best) {
    const files = objects.map((o) => o.file).join(', ') || 'no object';
    return { match: null, problem: hint ? `${files}: no program named '${hint}'` : `${files}: no program to compare with`, candidates };
  }
  const mm = best.firstMismatch!;
  return {
    match: null,
    candidates,
    problem: `${best.object.file}: the log does not come from program '${best.program}' of this object: insn ${mm.insn} is ${hex(mm.logOpcode)} in the log but ${hex(mm.objectOpcode)} in the object (${best.matched} of ${best.checked} instructions agree)`,
  };
}
