/** A reference still held at an exit: release it (ring-buffer records are discarded) before that return. */
import type { Fix } from '../diagnosis';
import type { FixContext } from './context';
import { guardStatement, leakingReturns } from './c-source';

const RELEASE: [RegExp, (v: string) => string][] = [
  [/\b([A-Za-z_]\w*)\s*=\s*bpf_ringbuf_reserve\s*\(/, (v) => `bpf_ringbuf_discard(${v}, 0);`],
  [/\b([A-Za-z_]\w*)\s*=\s*bpf_sk_lookup_(?:tcp|udp)\s*\(/, (v) => `bpf_sk_release(${v});`],
  [/\b([A-Za-z_]\w*)\s*=\s*bpf_skc_lookup_tcp\s*\(/, (v) => `bpf_sk_release(${v});`],
];

export function releaseReferenceFix(ctx: FixContext): Fix | null {
  const { error, map } = ctx;
  const origin = error.causalPath.find((s) => s.kind === 'origin');
  const exit = error.causalPath.find((s) => s.kind === 'fail');
  if (!origin || !exit) return null;
  const oloc = map.at(origin.insn)?.location;
  if (!oloc) return null;
  const file = ctx.resolve(oloc.file);
  const lines = ctx.read(file)?.split('\n');
  if (!lines) return null;
  const acquire = lines[oloc.line - 1];
  const rule = RELEASE.find(([re]) => re.test(acquire));
  if (!rule) return null;
  const v = rule[0].exec(acquire)![1];
  // Every return between the acquisition and the first release leaks, except those where the
  // pointer is NULL (`if (!e) return …;`). (The exit's own DWARF line says little: compilers merge
  // equal returns.)
  const release = new RegExp(`\\bbpf_(?:ringbuf_(?:submit|discard)|sk_release)\\s*\\(\\s*${v}\\b`);
  const nullCheck = new RegExp(`!\\s*${v}\\b|\\b${v}\\s*==\\s*(?:NULL|0)\\b`);
  const edits = leakingReturns(lines, oloc.line, release, nullCheck).map((l) => ({ file, ...guardStatement(lines, l, [rule[1](v)]) }));
  if (!edits.length) return null;
  return { title: `Release ${v} on every return that leaks it: ${rule[1](v)}`, edits };
}
