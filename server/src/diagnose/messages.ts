/**
 * Known verifier messages: category (the kernel's seven), a stable code, and an explanation
 * with this occurrence's values filled in. Patterns cover the spellings of 4.x to 7.3.
 * The catalogue generated from kernel sources (a later step) extends this table; codes are
 * stable once published because the CLI's JSON carries them.
 */

import { explainFromCatalogue } from './catalogue/index';

export type Category =
  | 'Register Type Safety' | 'Memory Safety' | 'Resource Lifetime Safety' | 'Call Type Safety'
  | 'Execution Context Safety' | 'Program Structure' | 'Policy' | 'Unknown';

export interface MessageRule {
  code: string;
  category: Category;
  pattern: RegExp;
  explain(m: RegExpExecArray): string;
}

const reg = (r: string) => `register ${r}`;

export const MESSAGE_RULES: MessageRule[] = [
  {
    code: 'pkt-out-of-bounds', category: 'Memory Safety',
    pattern: /^(R\d+) (?:offset|min value|max value) is outside of the packet/,
    explain: (m) => `The program reads or writes through ${reg(m[1])}, a packet pointer, beyond the bytes a bounds check has proven to exist. Compare the pointer plus the access size with data_end (e.g. \`if ((void *)(hdr + 1) > data_end) return …;\`) before this access.`,
  },
  {
    code: 'pkt-access', category: 'Memory Safety',
    pattern: /^invalid access to packet, off=(-?\d+) size=(\d+), (R\d+)\(([^)]*)\)/,
    explain: (m) => `Access of ${m[2]} byte(s) at offset ${m[1]} from the packet start through ${m[3]} (${m[4]}): \`r=\` is how many bytes a bounds check has proven readable, and the access ends past it.`,
  },
  {
    code: 'map-value-access', category: 'Memory Safety',
    pattern: /^invalid access to map value, value_size=(\d+) off=(-?\d+) size=(\d+)/,
    explain: (m) => `The map value is ${m[1]} bytes; an access of ${m[3]} byte(s) at offset ${m[2]} does not fit. Clamp the index so offset + size ≤ ${m[1]}.`,
  },
  {
    code: 'mem-out-of-range', category: 'Memory Safety',
    pattern: /^(R\d+) (min|max) value is outside of the allowed memory range/,
    explain: (m) => `The ${m[2] === 'min' ? 'smallest' : 'largest'} offset ${reg(m[1])} may hold puts the access outside the object it points to. Bound the index or offset (e.g. \`if (i >= N) return …;\` or mask it) so every possible value stays inside.`,
  },
  {
    code: 'mem-unbounded', category: 'Memory Safety',
    pattern: /^(R\d+) unbounded memory access/,
    explain: (m) => `${reg(m[1])} is used as an offset without an upper bound the verifier can see. Add a check against the object size right before the access.`,
  },
  {
    code: 'mem-negative', category: 'Memory Safety',
    pattern: /^(R\d+) min value is negative/,
    explain: (m) => `${reg(m[1])} may be negative when used as an offset or size. Use an unsigned type or check \`>= 0\` before use.`,
  },
  {
    code: 'null-deref', category: 'Register Type Safety',
    pattern: /^(R\d+) invalid mem access '(\w*_or_null|ptr_or_null_\w+|map_value_or_null)'/,
    explain: (m) => `${reg(m[1])} holds a pointer that may be NULL (${m[2]}), e.g. the result of bpf_map_lookup_elem(). Check it against NULL before dereferencing it.`,
  },
  {
    code: 'scalar-deref', category: 'Register Type Safety',
    pattern: /^(R\d+) invalid mem access '(scalar|inv|imm)'/,
    explain: (m) => `${reg(m[1])} holds a plain number (${m[2]}), not a pointer the verifier can check, and it is dereferenced. Only pointers the verifier tracks (context fields, packet, map values, stack) may be read; use bpf_probe_read_kernel() for arbitrary kernel addresses.`,
  },
  {
    code: 'invalid-mem-access', category: 'Register Type Safety',
    pattern: /^(R\d+) invalid mem access '([^']*)'/,
    explain: (m) => `${reg(m[1])} (type ${m[2]}) cannot be dereferenced here.`,
  },
  {
    code: 'reg-not-init', category: 'Register Type Safety',
    pattern: /^(R\d+) !read_ok/,
    explain: (m) => `${reg(m[1])} is read before anything was written to it on this path (after a helper call, R1-R5 are clobbered).`,
  },
  {
    code: 'arg-type-mismatch', category: 'Call Type Safety',
    pattern: /^(R\d+) type=(\w+) expected=([\w, ]+)/,
    explain: (m) => `Argument ${m[1]} of the call is a ${m[2]} but the helper wants ${m[3]}. Pass a value of the expected kind (kernels before 4.18 require a stack pointer where 'fp' is expected: copy the value to a stack variable first).`,
  },
  {
    code: 'stack-read-uninit', category: 'Memory Safety',
    pattern: /^invalid (?:indirect )?read from stack (?:R\d+ )?(?:off|var_off) ?(-?\S+)(?: size (\d+)| access_size=(\d+))?/,
    explain: (m) => `Stack bytes at ${m[1]} are read (or passed to a helper) before being written on this path. Initialise the variable (e.g. \`__builtin_memset(&v, 0, sizeof(v))\`) before use.`,
  },
  {
    code: 'stack-invalid', category: 'Memory Safety',
    pattern: /^invalid (?:stack|indirect access to stack) (?:off=|type )?(\S+)/,
    explain: (m) => `Stack access at ${m[1]} is outside the 512-byte stack or of a kind the verifier rejects.`,
  },
  {
    code: 'ctx-access', category: 'Memory Safety',
    pattern: /^invalid bpf_context access off=(\d+) size=(\d+)/,
    explain: (m) => `This program type does not allow a ${m[2]}-byte access at offset ${m[1]} of its context struct. Use only the fields this program type exposes, with their exact size.`,
  },
  {
    code: 'ref-leak', category: 'Resource Lifetime Safety',
    pattern: /^(?:Unreleased reference id=(\d+) alloc_insn=(\d+)|BPF_EXIT instruction (?:in main prog )?would lead to reference leak)/,
    explain: (m) => m[1]
      ? `Reference ${m[1]}, acquired at insn ${m[2]}, is still held when the program exits on this path. Release it on every path (bpf_ringbuf_submit/discard, bpf_sk_release, bpf_spin_unlock…).`
      : 'The program exits while holding a reference (ring-buffer record, socket, task…). Release it on every path before returning.',
  },
  {
    code: 'ret-range', category: 'Program Structure',
    pattern: /^At program exit the register R0 (?:has (?:value|smin=(-?\d+) smax=(-?\d+)|unknown scalar value)[^\n]*?)(?:should have been in \[?([^\]\n]*)\]?)?\s*$/,
    explain: (m) => `This program type may only return values in [${m[3] ?? 'the allowed range'}], but R0 may be ${m[1] !== undefined ? `anywhere in [${m[1]}, ${m[2]}]` : 'outside it'}. Return only allowed values (normalise with \`return ret ? 1 : 0;\`).`,
  },
  {
    code: 'gpl-only', category: 'Policy',
    pattern: /^cannot call GPL-restricted function from non-GPL compatible program/,
    explain: () => 'A helper or kfunc used here is GPL-only. Declare a GPL-compatible license: `char LICENSE[] SEC("license") = "GPL";` (or "Dual BSD/GPL").',
  },
  {
    code: 'infinite-loop', category: 'Program Structure',
    pattern: /^infinite loop detected at insn (\d+)/,
    explain: (m) => `The verifier reached insn ${m[1]} twice with equal states, so the loop cannot be shown to end. Give the loop a bound the verifier can see (a constant trip count), or use bpf_loop() (5.17+) / bpf_for (6.4+).`,
  },
  {
    code: 'back-edge', category: 'Program Structure',
    pattern: /^back-edge from insn (\d+) to (\d+)/,
    explain: (m) => `Loops are rejected by kernels before 5.3 (back-edge ${m[1]} → ${m[2]}). Unroll the loop (#pragma unroll) or require kernel 5.3+.`,
  },
  {
    code: 'too-large', category: 'Program Structure',
    pattern: /^BPF program is too large\. Processed (\d+) insn/,
    explain: (m) => `The verifier explored ${m[1]} instructions, the limit. Reduce branching and loop trip counts, split the program (tail calls, bpf_loop), or mark helper functions __noinline global functions so they are verified once.`,
  },
  {
    code: 'jumps-too-complex', category: 'Program Structure',
    pattern: /^The sequence of (\d+) jumps is too complex/,
    explain: (m) => `${m[1]} pending branches exceed the verifier's limit. Simplify the control flow in hot loops.`,
  },
  {
    code: 'combined-stack', category: 'Program Structure',
    pattern: /^combined stack size of (\d+) calls is (\d+)\. Too large/,
    explain: (m) => `The call chain of ${m[1]} functions uses ${m[2]} bytes of stack, over the 512-byte limit. Move large locals to a per-CPU array map.`,
  },
  {
    code: 'helper-not-allowed', category: 'Execution Context Safety',
    pattern: /^(?:unknown func (\S+)|program of this type cannot use helper (\S+)|invalid func (\S+))/,
    explain: (m) => `Helper ${m[1] ?? m[2] ?? m[3]} is not available to this program type on this kernel (or libbpf poisoned an unresolved call).`,
  },
  {
    code: 'unreachable', category: 'Program Structure',
    pattern: /^unreachable insn (\d+)/,
    explain: (m) => `Instruction ${m[1]} can never run; the verifier rejects dead code. Usually a compiler/linker mismatch.`,
  },
  {
    code: 'ptr-arith', category: 'Register Type Safety',
    pattern: /^(R\d+) (?:pointer arithmetic|bitwise operator|32-bit pointer arithmetic|pointer \w+ pointer)[^\n]*prohibited|^(?:addition of negative constant to packet pointer|cannot add integer value)/,
    explain: () => 'This arithmetic on a pointer is not allowed: the verifier only accepts adding/subtracting bounded scalars to pointers it tracks.',
  },
  {
    code: 'misaligned', category: 'Memory Safety',
    pattern: /^misaligned (?:packet |stack |value )?access/,
    explain: () => 'The access is not aligned to its size and this architecture/kernel requires alignment. Use a properly aligned type or copy via __builtin_memcpy.',
  },
];

export interface Explained {
  code: string;
  category: Category;
  explanation: string;
  /** Kernel-aware notes: how the message and the verdict change across versions. */
  hints: string[];
}

/**
 * A load that failed with errno 524 (ENOTSUPP) after the verifier finished: the JIT could not
 * compile the program. No verifier message names it (7.3 prints the patch that failed, filed under
 * jump-range), so it is its own entry. Program Structure, not Policy: hardening is what expands
 * the code, but what must change is the program's encoding, its jumps too long for 16-bit offsets.
 */
export function explainJitFailure(patchedInsn: number | null): Explained {
  return {
    code: 'jit-failed',
    category: 'Program Structure',
    explanation: 'The verifier accepted the program; the JIT could not compile it, so the load failed with errno 524 (ENOTSUPP). ' +
      'With net.core.bpf_jit_harden=2 (or 1 without CAP_SYS_ADMIN) the JIT first blinds constants: every instruction with an immediate becomes 2-3 instructions, ' +
      `and a jump across many of them no longer fits its 16-bit offset${patchedInsn !== null ? ` (here the jump at insn ${patchedInsn})` : ''}. ` +
      'The kernel would then run the program in the interpreter, which a kernel built with CONFIG_BPF_JIT_ALWAYS_ON, or a program that calls kfuncs, cannot use. ' +
      'Build with clang -mcpu=v4 (clang 18 or newer; kernel 6.6 or newer): clang then emits long jumps as gotol, whose 32-bit offset blinding cannot overflow.',
    hints: [
      'Kernels before 6.6 do not know cpu v4: 5.10 rejects gotol ("unknown opcode 06"), and Debian\'s 6.1 accepts it but verifies it as a conditional jump with offset 0 ("if w0 jmp 0x… goto pc+0"), which is not what the program says. Keep a -mcpu=v3 build for them.',
      'clang emits gotol only for jumps it estimates longer than -gotol-abs-low-bound (16383 instructions by default; with -g the estimate counts debug pseudo-instructions and switches earlier). A shorter jump that blinding still overflows needs -mllvm -gotol-abs-low-bound=<fewer>.',
      'Kernels without CONFIG_BPF_JIT_ALWAYS_ON (Debian\'s) fall back to the interpreter when blinding fails, so there only programs that call kfuncs fail with 524.',
    ],
  };
}

/**
 * The catalogue's version notes about the format that matched, and its hand-written notes; not
 * the version history of the entry's other formats.
 */
function relevantHints(hints: readonly string[], format: string): string[] {
  return hints.filter((h) => !/^Kernel [\d.–]+ prints "/.test(h) || h.includes(`"${format}"`));
}

/**
 * The catalogue generated from kernel sources first (every message of 5.10–7.3); these rules
 * remain for spellings older than the catalogue's kernels (4.x). Rules are ordered most specific first.
 */
export function explainError(lines: readonly string[], headline: string): Explained {
  const c = explainFromCatalogue(lines.length ? lines : [headline]);
  if (c) return { code: c.code, category: c.category as Category, explanation: c.explanation, hints: relevantHints(c.hints, c.format) };
  const ordered = [headline, ...lines.filter((l) => l !== headline)];
  for (const r of MESSAGE_RULES) {
    for (const line of ordered) {
      const m = r.pattern.exec(line.trim());
      if (m) return { code: r.code, category: r.category, explanation: r.explain(m), hints: [] };
    }
  }
  return { code: 'unknown', category: 'Unknown', explanation: `The verifier rejected the program: ${headline}`, hints: [] };
}
