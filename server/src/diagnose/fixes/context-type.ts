/**
 * A context field this program type does not have, because the function takes another program
 * type's context: load it as the program type whose context it takes (its verdicts then need
 * that type's values).
 */
import type { Fix } from '../diagnosis';
import type { FixContext } from './context';

/** Context struct → the section (program type) that passes it. */
const CONTEXT_SECTION: Record<string, string> = {
  'struct __sk_buff': 'tc',
  'struct xdp_md': 'xdp',
  'struct pt_regs': 'kprobe',
  'struct bpf_sock_addr': 'cgroup/connect4',
  'struct bpf_sock_ops': 'sockops',
  'struct sk_msg_md': 'sk_msg',
};

export function contextTypeFix(ctx: FixContext): Fix | null {
  const { error, map } = ctx;
  if (error.insn === null) return null;
  const first = map.at(0);
  const param = first?.vars.find((v) => v.param && v.kind === 'reg' && v.reg === 1);
  const struct = param?.type?.replace(/\s*\*$/, '') ?? '';
  const wanted = CONTEXT_SECTION[struct];
  const current = ctx.section.split('/')[0];
  if (!param || !wanted || wanted.split('/')[0] === current || !first?.location) return null;
  const file = ctx.resolve(first.location.file);
  const lines = ctx.read(file)?.split('\n');
  if (!lines) return null;
  // The SEC() just above the program's definition.
  for (let l = first.location.line - 1; l >= 0 && l > first.location.line - 6; l--) {
    const m = /SEC\(\s*"([^"]*)"\s*\)/.exec(lines[l]);
    if (!m) continue;
    const start = m.index + m[0].indexOf('"') + 1;
    return {
      title: `${param.name} is a ${struct} *, the context of ${wanted} programs, not of ${ctx.section}: load it with SEC("${wanted}") (and return ${wanted} verdicts)`,
      edits: [{ file, range: { start: { line: l, column: start }, end: { line: l, column: start + m[1].length } }, newText: wanted }],
    };
  }
  return null;
}
