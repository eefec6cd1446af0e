/** A return inside a bpf_spin_lock-ed region: unlock on every return the lock is held at. */
import type { Fix } from '../diagnosis';
import { enclosingFunctionStart, guardStatement, leakingReturns } from './c-source';
import type { FixContext } from './context';

export function unlockRegionFix(ctx: FixContext): Fix | null {
  const { error, map } = ctx;
  if (error.insn === null || !/bpf_spin_lock/.test(error.message)) return null;
  const loc = map.at(error.insn)?.location;
  if (!loc) return null;
  const file = ctx.resolve(loc.file);
  const lines = ctx.read(file)?.split('\n');
  if (!lines) return null;
  // The exit is often attributed to the function's closing line: search the whole function.
  const from = enclosingFunctionStart(lines, Math.max(0, loc.line - 2));
  for (let l = from + 1; l < lines.length && !lines[l].startsWith('}'); l++) {
    const lock = /\bbpf_spin_lock\s*\(\s*([^)]+?)\s*\)/.exec(lines[l]);
    if (!lock) continue;
    const target = lock[1];
    const escaped = target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const edits = leakingReturns(lines, l + 1, new RegExp(`\\bbpf_spin_unlock\\s*\\(\\s*${escaped}\\s*\\)`))
      .map((r) => ({ file, ...guardStatement(lines, r, [`bpf_spin_unlock(${target});`]) }));
    if (!edits.length) return null;
    return { title: `Unlock ${target} on every return inside the locked region: bpf_spin_unlock(${target});`, edits };
  }
  return null;
}
