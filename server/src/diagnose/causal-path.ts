/**
 * The causal path of an error on every kernel, from the rebuilt states: starting at the failing
 * instruction, walk back along the verified path to where the failing register got its type and
 * range, through every instruction it was derived from, and the branches that narrowed (or failed
 * to narrow) it. E.g. `r1 = *(u32 *)(r1 +0)` made R1 a packet pointer, `r3 = r1; r3 += 14;
 * if r3 > r2` proved 14 bytes, the read at offset 23 is past them.
 */
import { writtenRegs } from '../features/log-features';
import type { LogError, VerifierLog } from '../log/model';
import { eventAt } from '../log/parse';
import { parseValue, describeValue } from '../log/value';

export type StepKind = 'origin' | 'derive' | 'narrow' | 'fail';

export interface CausalStep {
  kind: StepKind;
  insn: number;
  /** 0-based log line of the instruction. */
  line: number;
  /** The instruction and what it did to the register, in words. */
  text: string;
  register: string;
}

const MAX_STEPS = 12;
const MAX_WALK = 4096;

/**
 * The register the error is about: the first `Rn` of the reason line (or of the line before it,
 * e.g. `invalid access to packet, …, R1(…)`), never of the `cur state:` context lines.
 */
export function failingRegister(err: LogError): number | null {
  const lines = err.message.split('\n').filter((l) => !/^(?:cur|old) state:/.test(l));
  for (const l of [err.headline, ...lines]) {
    const m = /\bR(\d{1,2})\b/.exec(l);
    if (m) return Number(m[1]);
  }
  return null;
}

/** Registers an instruction reads to compute what it writes. */
function sources(text: string, dst: number): number[] {
  const out = new Set<number>();
  const alu = /^[rw](\d+) ([-+*/%&|^]|<<|>>|s>>)?= (.*)$/.exec(text);
  if (alu) {
    if (alu[2]) out.add(dst);
    for (const m of alu[3].matchAll(/\b[rw](\d+)\b/g)) out.add(Number(m[1]));
  }
  return [...out];
}

function jumpOperands(text: string): number[] {
  const m = /^if ([rw])(\d+) \S+ (?:([rw])(\d+)|\S+) goto/.exec(text);
  if (!m) return [];
  return m[4] !== undefined ? [Number(m[2]), Number(m[4])] : [Number(m[2])];
}

function stateText(log: VerifierLog, e: number, reg: number, when: 'before' | 'after'): string | null {
  const st = when === 'after' ? log.states.after(e) : log.states.before(e);
  const s = st.get(`R${reg}`);
  return s ? `R${reg}=${s.raw} (${describeValue(parseValue(s.raw))})` : null;
}

/**
 * Whether a branch can narrow the failing register: it compares it, or, for packet pointers, it
 * compares a pointer of the same packet with its end (which proves bytes for every pointer of
 * that packet). Without printed states (sparse level-1 logs of old kernels) a register-register
 * comparison is assumed to be such a check.
 */
function relevantBranch(log: VerifierLog, e: number, operands: number[], interest: Set<number>, failingType: string | null): boolean {
  if (operands.some((r) => interest.has(r))) return true;
  if (failingType !== 'pkt' || operands.length < 2) return false;
  const before = log.states.before(e);
  const after = log.states.after(e);
  const types = operands.map((r) => (after.get(`R${r}`) ?? before.get(`R${r}`))?.value().type ?? null);
  if (types.every((t) => t === null)) return true;
  return types.includes('pkt_end') || types.filter((t) => t === 'pkt').length === 2;
}

/** A reference leak: from the instruction that took the reference to the exit that leaked it. */
function leakPath(log: VerifierLog, err: LogError): CausalStep[] {
  const m = /alloc_insn=(\d+)/.exec(err.message);
  if (!m || err.event === null) return [];
  const alloc = Number(m[1]);
  const steps: CausalStep[] = [];
  for (let e = err.event; e >= 0; e--) {
    if (log.events.insn[e] !== alloc) continue;
    const ev = eventAt(log, e);
    const r0 = stateText(log, e, 0, 'after');
    steps.push({ kind: 'origin', insn: ev.insn, line: ev.line, register: 'R0', text: `insn ${ev.insn}: ${ev.text} — takes the reference${r0 ? `: ${r0}` : ''}` });
    break;
  }
  const exit = eventAt(log, err.event);
  steps.push({ kind: 'fail', insn: exit.insn, line: exit.line, register: 'R0', text: `insn ${exit.insn}: ${exit.text} — the program ends on this path still holding it` });
  return steps;
}

/**
 * Errors about an instruction rather than a register: the failing instruction, and for a loop
 * the verifier found to repeat, the instruction it kept coming back to.
 */
function loopOrSingle(log: VerifierLog, err: LogError, event: number): CausalStep[] {
  const ev = eventAt(log, event);
  const fail: CausalStep = { kind: 'fail', insn: ev.insn, line: ev.line, register: '', text: `insn ${ev.insn}: ${ev.text} — ${err.headline}` };
  const loop = /infinite loop detected at insn (\d+)/.exec(err.message);
  if (!loop) return [fail];
  const head = Number(loop[1]);
  for (let e = event; e >= 0; e--) {
    if (log.events.insn[e] !== head) continue;
    const h = eventAt(log, e);
    return [{ kind: 'origin', insn: h.insn, line: h.line, register: '', text: `insn ${h.insn}: ${h.text} — reached again with the same state: nothing the loop does moves it towards its exit` }, fail];
  }
  return [fail];
}

export function causalPath(log: VerifierLog, err: LogError): CausalStep[] {
  if (/Unreleased reference|reference leak/.test(err.message)) return leakPath(log, err);
  if (err.event === null) return [];
  const reg = failingRegister(err);
  if (reg === null) return loopOrSingle(log, err, err.event);
  const failing = eventAt(log, err.event);
  const failingState = log.states.before(err.event).get(`R${reg}`);
  const failingType = failingState ? failingState.value().type : null;
  const steps: CausalStep[] = [{
    kind: 'fail', insn: failing.insn, line: failing.line, register: `R${reg}`,
    text: `insn ${failing.insn}: ${failing.text} — fails with ${failingState ? `R${reg}=${failingState.raw}` : `R${reg} not initialised`}`,
  }];
  const interest = new Set([reg]);
  let path = log.events.path[err.event];
  let walked = 0;
  for (let e = err.event - 1; e >= 0 && steps.length < MAX_STEPS && walked++ < MAX_WALK; e--) {
    if (log.events.path[e] !== path) {
      // The path started at a branch: continue from that branch's most recent occurrence.
      const p = log.paths[path];
      if (!p || p.fromInsn === null) break;
      let k = e;
      while (k >= 0 && log.events.insn[k] !== p.fromInsn) k--;
      if (k < 0) break;
      e = k;
      path = log.events.path[k];
    }
    const ev = eventAt(log, e);
    const written = writtenRegs(ev.text).filter((r) => interest.has(r));
    if (written.length && !ev.text.startsWith('call')) {
      const dst = written[0];
      const src = sources(ev.text, dst);
      const after = stateText(log, e, dst, 'after');
      const origin = src.length === 0 || /= \*\(/.test(ev.text) || /^[rw]\d+ = (?:0x[0-9a-f]+|-?\d+)$/.test(ev.text);
      steps.push({
        kind: origin ? 'origin' : 'derive', insn: ev.insn, line: ev.line, register: `R${dst}`,
        text: `insn ${ev.insn}: ${ev.text}${after ? ` — ${after}` : ''}`,
      });
      if (!src.includes(dst)) interest.delete(dst);
      for (const r of src) if (r !== 10) interest.add(r);
      if (origin && interest.size === 0) break;
      continue;
    }
    if (ev.text.startsWith('call') && written.length) {
      steps.push({ kind: 'origin', insn: ev.insn, line: ev.line, register: 'R0', text: `insn ${ev.insn}: ${ev.text}${stateText(log, e, 0, 'after') ? ` — ${stateText(log, e, 0, 'after')}` : ''}` });
      break;
    }
    const ops = jumpOperands(ev.text);
    if (ops.length && relevantBranch(log, e, ops, interest, failingType)) {
      // The compared registers' states after the branch show what it proved (`r=14`); other
      // registers of the same packet are updated too but printed only when next used.
      const st = log.states.after(e);
      const shown = ops.map((r) => st.get(`R${r}`)).filter((x) => x !== undefined).map((x) => `${x!.name}=${x!.raw}`);
      steps.push({ kind: 'narrow', insn: ev.insn, line: ev.line, register: `R${ops[0]}`, text: `insn ${ev.insn}: ${ev.text}${shown.length ? ` — on the path taken: ${shown.join(' ')}` : ''}` });
    }
  }
  return steps.reverse();
}
