/**
 * Entries of the verifier message catalogue: one per kind of message, each owning the kernel
 * formats (formats.json) that print it, exactly (`formats`) or by family (`families`: a regex
 * over the format text; `where`: the extractor's facts). Codes are stable once published: the
 * codes of messages.ts are kept for the messages they already named.
 *
 * Categories follow the kernel's seven (kernel/bpf/diagnostics.c, 7.3+). Where a 7.3 source
 * files a message itself (formats.json `diag`), the entry agrees; the tests hold that.
 *
 * Explanations say what the verifier proved or could not prove, with this occurrence's values,
 * and what usually fixes it. `v.reg` is the register the message names, `v.arg(i)` the i-th
 * printed value, `v.get('off')` the value printed after `off=`.
 */
import type { EntryDef, Values } from './types';

/** The register a message names; 7.3+ prints it as a leading %s ("%s min value is negative"). */
const reg = (v: Values) => v.reg ?? (v.format.startsWith('%s ') && v.arg(0).trim() ? v.arg(0) : 'the register');
const regName = (v: Values, i = 0) => v.reg ?? (/^\d+$/.test(v.arg(i)) ? `R${v.arg(i)}` : v.args.length > i ? v.arg(i) : /\bR\d+\b/.exec(v.line)?.[0] ?? 'the argument');
const fmtHas = (v: Values, s: string) => v.format.includes(s);

// ---------------------------------------------------------------------------------------------
// Memory Safety: accesses outside the object a pointer points to.

const MEMORY: EntryDef[] = [
  {
    code: 'pkt-out-of-bounds', category: 'Memory Safety',
    families: [/^(?:R%d|%s) offset is outside of the packet\n$/],
    explain: (v) => `The program reads or writes through ${reg(v)}, a packet pointer, beyond the bytes a bounds check has proven to exist. Compare the pointer plus the access size with data_end (e.g. \`if ((void *)(hdr + 1) > data_end) return …;\`) before this access, on every path that reaches it.`,
    fixStrategies: ['bounds-check'],
    hints: [{ when: { from: '7.3' }, text: 'From 7.3 the packet case usually ends with the generic "R1 min value is outside of the allowed memory range" line instead.' }],
  },
  {
    code: 'pkt-access', category: 'Memory Safety',
    families: [/^invalid access to packet, off=%d size=%d, (?:R%d|%s)\(id=%d,off=%d,r=%d\)\n$/],
    explain: (v) => `An access of ${v.arg(1)} byte(s) at offset ${v.arg(0)} from the packet start through ${reg(v)}: the bounds checks on this path have proven only ${v.arg(5)} byte(s) readable (r=${v.arg(5)}), so the access ends ${Number(v.arg(0)) + Number(v.arg(1)) - Number(v.arg(5))} byte(s) too far. Check \`data + ${Number(v.arg(0)) + Number(v.arg(1))} <= data_end\` before it.`,
    fixStrategies: ['bounds-check'],
  },
  {
    code: 'map-value-access', category: 'Memory Safety',
    families: [/^invalid access to map value, value_size=%d off=%d size=%d\n$/],
    explain: (v) => `The map value is ${v.arg(0)} bytes; an access of ${v.arg(2)} byte(s) at offset ${v.arg(1)} does not fit. Clamp the index or offset so offset + size ≤ ${v.arg(0)} on every path (e.g. \`if (i >= N) return …;\` right before the access).`,
    fixStrategies: ['clamp-index', 'bounds-check'],
  },
  {
    code: 'map-key-access', category: 'Memory Safety',
    families: [/^invalid access to map key, key_size=%d off=%d size=%d\n$/],
    explain: (v) => `The map key is ${v.arg(0)} bytes; an access of ${v.arg(2)} byte(s) at offset ${v.arg(1)} through the key pointer (e.g. in a for_each_map_elem callback) does not fit inside it.`,
    fixStrategies: ['clamp-index', 'bounds-check'],
  },
  {
    code: 'ctx-bounds', category: 'Memory Safety',
    families: [/^invalid access to context, ctx_size=%d off=%d size=%d\n$/],
    explain: (v) => `The context object is ${v.arg(0)} bytes; an access of ${v.arg(2)} byte(s) at offset ${v.arg(1)} is outside it. Access only the fields of this program type's context struct.`,
    fixStrategies: ['fix-ctx-access'],
  },
  {
    code: 'mem-access', category: 'Memory Safety',
    families: [/^invalid access to memory, mem_size=%u off=%d size=%d\n$/],
    explain: (v) => `The memory region behind the pointer (e.g. a ring-buffer record, a dynptr slice or helper-returned memory) is ${v.arg(0)} bytes; an access of ${v.arg(2)} byte(s) at offset ${v.arg(1)} does not fit. Keep offset + size ≤ ${v.arg(0)}.`,
    fixStrategies: ['bounds-check', 'clamp-index'],
  },
  {
    code: 'mem-out-of-range', category: 'Memory Safety', kind: 'follow-up',
    families: [/^(?:R%d|%s) (?:min|max) value is outside of the allowed memory range\n$/],
    explain: (v) => {
      const max = fmtHas(v, 'max value');
      return `The ${max ? 'largest' : 'smallest'} offset ${reg(v)} may hold puts the access outside the object it points to. Bound the index or offset (e.g. \`if (i >= N) return …;\` or mask it) so every possible value stays inside; the line before names the object and its size.`;
    },
    fixStrategies: ['clamp-index', 'bounds-check'],
  },
  {
    code: 'mem-unbounded', category: 'Memory Safety',
    families: [/^(?:R%d|%s) unbounded memory access, /, /^R%d unbounded size, use /],
    explain: (v) => fmtHas(v, "'var &= const'")
      ? `${reg(v)} is the size passed to a helper and has no upper bound the verifier can see. Clamp it right before the call (\`if (len > sizeof(buf)) len = sizeof(buf);\` or \`len &= MASK\`).`
      : `${reg(v)} is used as an offset without an upper bound the verifier can see. Add a check against the object size right before the access.`,
    fixStrategies: ['bounds-check', 'clamp-index'],
  },
  {
    code: 'mem-negative', category: 'Memory Safety',
    families: [/^(?:R%d|%s) min value is negative, either use unsigned/],
    explain: (v) => fmtHas(v, "'var &= const'")
      ? `${reg(v)} is the size passed to a helper and may be negative. Use an unsigned type for the length, or check \`len > 0\` before the call.`
      : `${reg(v)} may be negative when used as an offset. Use an unsigned index or check \`>= 0\` before use.`,
    fixStrategies: ['unsigned-offset', 'bounds-check'],
  },
  {
    code: 'mem-zero-size', category: 'Memory Safety',
    families: [/^(?:R%d|%s) invalid zero-sized read: u64=\[%lld,%lld\]\n$/, /^invalid zero-sized read\n$/],
    explain: (v) => v.args.length
      ? `The size passed to a helper in ${reg(v)} may be zero (its range is [${v.arg(1)}, ${v.arg(2)}]) but this helper needs at least one byte. Check \`len > 0\` before the call, or clamp it to [1, max].`
      : 'A helper is asked to read zero bytes of stack, which this kernel rejects. Make sure the size is at least 1.',
    fixStrategies: ['bounds-check'],
  },
  {
    code: 'mem-size-too-large', category: 'Memory Safety',
    families: [/^%s memory size %u is too large\n$/, /^R%d rdonly\/rdwr_buf_size exceeds u32 max\n$/, /^%s allocation size exceeds u32 max\n$/],
    explain: (v) => `The memory size passed with ${regName(v)} is larger than the kernel accepts (it must fit in 32 bits). Pass a smaller, bounded size.`,
    fixStrategies: ['clamp-index'],
  },
  {
    code: 'mem-len-pair', category: 'Memory Safety',
    families: [/memory, len pair leads to invalid memory access\n$/],
    explain: (v) => `A (pointer, length) argument pair of a kernel function${v.args.length >= 2 ? ` (arg#${v.arg(0)} and arg#${v.arg(1)})` : v.args.length ? ` (${v.arg(0)})` : ''} describes memory the verifier cannot prove accessible: the length is not bounded by the buffer the pointer points to.`,
    fixStrategies: ['bounds-check', 'clamp-index'],
  },
  {
    code: 'ctx-access', category: 'Memory Safety',
    families: [/^invalid bpf_context access off=%d size=%d\n$/],
    explain: (v) => `This program type does not allow a ${v.arg(1)}-byte access at offset ${v.arg(0)} of its context struct. Use only the fields this program type exposes, with their exact size (read \`__u32\` fields as 32-bit values), or read kernel memory through the right helper.`,
    fixStrategies: ['fix-ctx-access'],
  },
  {
    code: 'ctx-access-released', category: 'Resource Lifetime Safety',
    families: [/^invalid bpf_context access off=%d\. Reference may already be released\n$/],
    explain: (v) => `The context field at offset ${v.arg(0)} holds a reference that the program may already have released on this path; reading it again is rejected. Read the field before releasing it.`,
    fixStrategies: ['release-reference'],
  },
  {
    code: 'ptr-modified', category: 'Register Type Safety',
    families: [/^variable (?:ctx|%s) access var_off=%s disallowed\n$/, /^dereference of modified (?:ctx|%s) ptr (?:R%d|%s) off=%(?:d|lld) disallowed\n$/, /^negative offset %s ptr (?:R%d|%s) off=%(?:d|lld) disallowed\n$/],
    explain: (v) => fmtHas(v, 'variable')
      ? `The pointer (${v.args.length > 1 ? v.arg(0) : 'ctx'}) was moved by a value unknown at verification time (var_off=${v.args[v.args.length - 1]}); this kind of pointer may only be used at a constant offset. Access fields by constant offsets (struct member access), not by a computed index.`
      : fmtHas(v, 'negative')
        ? `The ${v.arg(0)} pointer in ${regName(v, 1)} was moved before its start (off=${v.args[v.args.length - 1]}); it may only be used at non-negative constant offsets.`
        : `${regName(v, 1)} is a ${v.args.length === 3 ? v.arg(0) : 'ctx'} pointer that was moved (off=${v.args[v.args.length - 1]}) before being dereferenced or passed on; this pointer type must be used unmodified. Keep the original pointer and use field offsets in the access itself.`,
    fixStrategies: ['fix-ctx-access'],
  },
  {
    code: 'flow-keys-access', category: 'Memory Safety',
    families: [/^invalid access to flow keys off=%d size=%d\n$/, /invalid variable offset to flow keys: /],
    explain: (v) => `The flow dissector's flow_keys access (off=${v.get('off') ?? v.arg(0)}) is outside struct bpf_flow_keys or uses a variable offset; access its fields by name.`,
    fixStrategies: ['fix-ctx-access'],
  },
  {
    code: 'sock-access', category: 'Memory Safety',
    families: [/^(?:R%d|%s) invalid %s access off=%d size=%d\n$/],
    explain: (v) => `${reg(v)} points to a ${v.arg(1)} object; an access of ${v.get('size')} byte(s) at offset ${v.get('off')} is not one of the fields this pointer type allows (or not with this size).`,
    fixStrategies: ['fix-ctx-access'],
  },
  {
    code: 'buffer-access', category: 'Memory Safety',
    families: [/^(?:R%d|%s) invalid %s buffer access: /, /^(?:R%d|%s) invalid variable buffer offset: /, /^%s invalid negative %s buffer offset: /],
    explain: (v) => `${reg(v)} points to a read-only or read-write buffer (e.g. a map iterator's key/value); the access at off=${v.get('off') ?? '?'} is negative, variable or past the buffer size. Use constant, in-range offsets.`,
    fixStrategies: ['bounds-check'],
  },
  {
    code: 'btf-ptr-access', category: 'Memory Safety',
    families: [/^(?:R%d|%s) is ptr_%s (?:invalid negative access|invalid variable offset|access user memory|access percpu memory): /, /^(?:R%d|%s) is %s invalid negative access: off=%d\n$/, /^Writes through BTF pointers are not allowed\n$/],
    explain: (v) => fmtHas(v, 'Writes through')
      ? 'This kernel (before 5.11 for most program types) does not allow writes through BTF-typed kernel pointers. Read only, or use a helper made for the write.'
      : !fmtHas(v, 'ptr_%s')
        ? `${reg(v)} is a ${v.arg(1)} pointer moved before its start (off=${v.get('off')}); it may only be used at non-negative offsets.`
        : fmtHas(v, 'user memory')
      ? `${reg(v)} points to user-space memory (a __user pointer of ${v.arg(1)}); it cannot be dereferenced directly. Use bpf_probe_read_user() or bpf_copy_from_user().`
      : fmtHas(v, 'percpu')
        ? `${reg(v)} points to per-CPU memory (${v.arg(1)}); it cannot be dereferenced directly. Use bpf_per_cpu_ptr()/bpf_this_cpu_ptr() first.`
        : `${reg(v)} points to a kernel struct ${v.arg(1)}; the access at off=${v.get('off')} is ${fmtHas(v, 'negative') ? 'before its start' : 'at a variable offset'}, which BTF-typed pointers do not allow. Access fields by name at constant offsets.`,
    fixStrategies: ['probe-read', 'fix-ctx-access'],
  },
  {
    code: 'btf-struct-access', category: 'Memory Safety',
    families: [/^access beyond struct %s at off %u size %u\n$/, /^access beyond the end of member %s /, /^cannot access ptr member %s with moff /, /^struct %s doesn't have field at offset %d\n$/, /^field %s doesn't have size\n$/, /^Type '%s' is not a struct\n$/, /^type '%s' has multiple type tags\n$/],
    explain: (v) => fmtHas(v, 'access beyond struct')
      ? `The access of ${v.arg(2)} byte(s) at offset ${v.arg(1)} runs past the end of kernel struct ${v.arg(0)} (by its BTF). Check the field you read exists in this kernel's struct (CO-RE: bpf_core_field_exists) and its size.`
      : fmtHas(v, 'beyond the end of member')
        ? `The access of ${v.arg(4)} byte(s) at offset ${v.arg(3)} into struct ${v.arg(2)} starts inside member ${v.arg(0)} but ends past it (member ends at ${v.arg(1)}). Read the member with its own size.`
        : fmtHas(v, 'ptr member')
          ? `The access at offset ${v.arg(3)} (size ${v.arg(4)}) covers only part of pointer member ${v.arg(0)} of struct ${v.arg(2)}; pointers must be read whole (8 bytes at their offset).`
          : `A BTF-typed pointer access does not land on a field the verifier can type (${v.args.filter(Boolean).join(', ')}). Access an existing field by name, with its size.`,
    fixStrategies: ['fix-ctx-access'],
  },
  {
    code: 'struct-ops-write', category: 'Memory Safety',
    families: [/^write access at off %d with size %d/, /^no write support to (?:%s|nf_conn|tcp_sock) at off %d\n$/, /^only read is supported\n$/, /^only access to bpf_dummy_ops_state is supported\n$/],
    explain: (v) => v.format.startsWith('write access')
      ? `A write of ${v.arg(1)} byte(s) at offset ${v.arg(0)} into a kernel object goes past the one member this program may write${v.args.length > 2 ? ` (the member ends at ${v.args[v.args.length - 1]})` : ''}. Write only the writable member, with its size.`
      : v.format.startsWith('no write support')
        ? `The field at offset ${v.args[v.args.length - 1]} of this kernel object is read-only for BPF programs; only a few fields may be written.`
        : 'This kernel object (e.g. tcp_sock in a congestion-control program) may only be read, or only through its designated state struct.',
    fixStrategies: ['fix-ctx-access'],
  },
  {
    code: 'map-access-forbidden', category: 'Memory Safety',
    families: [/^(?:write into|read from) map forbidden, value_size=/, /^write into map forbidden\n$/, /^write to change key (?:R%d|%s) not allowed\n$/],
    explain: (v) => fmtHas(v, 'change key')
      ? `${regName(v)} points to a map key (e.g. in a for_each_map_elem callback); keys may not be written.`
      : v.args.length
      ? `The map was created read-only or write-only for programs (BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG, or a frozen .rodata); this ${v.format.startsWith('write') ? 'write' : 'read'} of ${v.get('size')} byte(s) at offset ${v.get('off')} is not allowed.`
      : 'The map is read-only for programs (BPF_F_RDONLY_PROG, or .rodata); a helper that writes into it is not allowed.',
    fixStrategies: ['none'],
  },
  {
    code: 'pkt-write', category: 'Memory Safety',
    families: [/^cannot write into packet\n$/, /^(?:R%d|%s) cannot write into %s\n$/, /^%s cannot write into ptr_%s at off=%d size=%d\n$/, /^the prog does not allow writes to packet data\n$/],
    explain: (v) => v.format.startsWith('cannot write into packet') || v.format.startsWith('the prog')
      ? 'This program type may read the packet but not write it (direct packet writes are allowed only in tc, XDP, lwt_xmit, sk_skb and a few others). Use a helper such as bpf_skb_store_bytes() where allowed.'
      : `${reg(v)} points to ${v.args[1] ?? 'memory'} that is read-only for this program; write to a copy instead.`,
    fixStrategies: ['change-prog-type', 'copy-to-stack'],
  },
  {
    code: 'helper-pkt-access', category: 'Memory Safety',
    families: [/^helper access to the packet is not allowed\n$/],
    explain: () => 'This program type may not pass packet pointers to helpers. Copy the bytes to the stack first (bpf_skb_load_bytes()) and pass the stack buffer.',
    fixStrategies: ['copy-to-stack'],
  },
  {
    code: 'misaligned', category: 'Memory Safety',
    families: [/^misaligned (?:packet |%s)access off /],
    explain: (v) => `The ${fmtHas(v, 'packet') ? 'packet ' : ''}access (size ${v.args[v.args.length - 1]}) is not aligned to its size, and this program is verified with strict alignment (BPF_F_STRICT_ALIGNMENT, or an architecture without efficient unaligned access). Use an aligned type or copy via __builtin_memcpy.`,
    fixStrategies: ['align-access'],
  },
  {
    code: 'map-direct-value', category: 'Memory Safety',
    families: [/^invalid access to map value pointer, value_size=%u off=%u\n$/, /^direct value offset of %u is not allowed\n$/, /^no direct value access support for this map type\n$/],
    explain: (v) => v.args.length >= 2
      ? `A ld_imm64 of a map value address (a global variable) points at offset ${v.arg(1)}, past the ${v.arg(0)}-byte value. The object's relocations do not match the map; rebuild it.`
      : v.args.length === 1
        ? `A ld_imm64 of a map value address uses offset ${v.arg(0)}, which this map does not allow.`
        : 'This map type does not support direct value access (global variables need an array map with one element, e.g. .data/.bss/.rodata).',
    fixStrategies: ['regenerate-btf'],
  },
];

// ---------------------------------------------------------------------------------------------
// Memory Safety: the stack.

const STACK: EntryDef[] = [
  {
    code: 'stack-read-uninit', category: 'Memory Safety',
    families: [/^invalid%s read from stack R%d (?:off|var_off) /, /^invalid read from stack (?:%s )?(?:off|var_off) /],
    explain: (v) => {
      // Every spelling ends in "<off>+<delta> size <n>" (or var_off): the last three values.
      const n = v.args.length;
      const indirect = v.format.startsWith('invalid%s') && v.arg(0).trim() ? ` (${v.arg(0).trim()} read: a helper reads them)` : '';
      const where = `${v.format.includes('var_off') ? 'var_off ' : 'off '}${v.arg(n - 3)}+${v.arg(n - 2)}`;
      const through = v.reg ? ` through ${v.reg}` : '';
      return `Stack bytes at ${where} (size ${v.arg(n - 1)})${through}${indirect} are read before anything was written to them on this path. Initialise the variable (e.g. \`__builtin_memset(&v, 0, sizeof(v))\`, or \`= {}\`) before use; padding holes in structs count too.`;
    },
    fixStrategies: ['memset-stack'],
    hints: [{ when: { upTo: '6.1' }, text: 'Kernels up to 6.1 say "invalid indirect read from stack" when a helper reads the bytes; later kernels print "invalid read from stack" for both.' }],
  },
  {
    code: 'stack-poisoned', category: 'Memory Safety',
    families: [/slot poisoned by dead code elimination\n$/],
    explain: (v) => `Stack bytes at ${v.args.slice(-3, -1).join('+')} are read, but the only writes to them were removed as dead code, so on this path they hold nothing. Initialise the variable on every path.`,
    fixStrategies: ['memset-stack'],
  },
  {
    code: 'stack-invalid', category: 'Memory Safety',
    families: [/^invalid%s stack (?:R%d|%s) off=/],
    explain: (v) => `The stack access through ${regName(v, 1)} at off=${v.get('off')} (size ${v.get('size')}) is outside the 512-byte stack frame${v.arg(0).trim() ? ` (${v.arg(0).trim()})` : ''}. Stack offsets run from -512 to -1 relative to R10; a large local array or a computed offset went past it.`,
    fixStrategies: ['reduce-stack', 'bounds-check'],
  },
  {
    code: 'stack-var-offset', category: 'Memory Safety',
    families: [/^invalid (?:unbounded )?variable-offset%s stack /, /^variable offset stack pointer cannot be passed into helper function; /],
    explain: (v) => v.format.startsWith('variable offset')
      ? `A stack pointer with a variable offset (var_off=${v.arg(0)}) is passed to a helper that needs a constant-offset stack buffer. Pass the buffer's start and a bounded size, not a pointer into the middle.`
      : `A stack access${v.reg ?? (/stack (\S+)/.exec(v.line)?.[1] ? ` through ${/stack (\S+)/.exec(v.line)![1]}` : '')} at a variable offset${v.get('var_off') ? ` (var_off=${v.get('var_off')})` : ''} may fall outside the stack frame${fmtHas(v, 'unbounded') ? ': the offset has no bound at all' : ''}. Bound the index so every possible offset stays inside the array.`,
    fixStrategies: ['clamp-index', 'bounds-check'],
  },
  {
    code: 'stack-spill-size', category: 'Memory Safety',
    families: [/^invalid size of register (?:fill|spill)\n$/],
    explain: (v) => `A register is ${fmtHas(v, 'fill') ? 'read back from' : 'saved to'} the stack with a size that does not match how the slot holds it (pointers must be spilled and filled as 8 bytes). Usually a compiler issue; avoid type-punning pointers through smaller stack variables.`,
    fixStrategies: ['none'],
  },
  {
    code: 'stack-spill-corrupt', category: 'Memory Safety',
    families: [/^attempt to corrupt spilled pointer on stack\n$/, /^spilled ptr in range of var-offset stack write; /],
    explain: (v) => v.args.length
      ? `A variable-offset stack write at insn ${v.arg(0)} may overwrite a saved pointer (at off ${v.arg(1)}); that is only allowed for privileged loaders.`
      : 'A write of part of a stack slot would overwrite a saved pointer. Do not reuse a stack slot holding a pointer for smaller values.',
    fixStrategies: ['none'],
  },
  {
    code: 'stack-caller-spill', category: 'Memory Safety',
    families: [/^cannot spill pointers to stack into stack frame of the caller\n$/, /^cannot return stack pointer to the caller\n$/],
    explain: (v) => fmtHas(v, 'return')
      ? 'A subprogram returns a pointer to its own stack, which is gone once it returns. Return a value, or have the caller pass a buffer.'
      : 'A subprogram stores a pointer to its own stack into the caller\'s stack frame; the pointer would outlive the callee\'s frame.',
    fixStrategies: ['none'],
  },
  {
    code: 'stack-pointer-leak', category: 'Policy',
    families: [/^leaking pointer from stack off %d\n$/],
    explain: (v) => `A pointer saved on the stack at off ${v.arg(0)} is read back as a plain number; programs loaded without CAP_BPF/CAP_PERFMON may not turn pointers into numbers.`,
    fixStrategies: ['add-capability', 'avoid-pointer-leak'],
  },
  {
    code: 'stack-arg', category: 'Register Type Safety',
    families: [/^callee expects %d args, stack arg%d is not initialized\n$/, /^invalid read from stack arg off %d depth %d\n$/, /^stack arg write offset %d exceeds max %d stack args\n$/, /^r11 load must be before any r11 store or call insn\n$/, /^func#%d writes %u stack arg slots, but calls only require %u\n$/],
    explain: (v) => fmtHas(v, 'callee expects')
      ? `The called function takes ${v.arg(0)} arguments, so some are passed on the stack, but stack argument ${v.arg(1)} is not written before the call.`
      : `Arguments beyond the fifth are passed in stack-argument slots; this use of them (${v.args.join(', ') || 'ordering of r11 loads and stores'}) is invalid. Usually a compiler/kernel mismatch; recompile with a compiler matching the kernel.`,
    fixStrategies: ['none'],
  },
];

// ---------------------------------------------------------------------------------------------
// Register Type Safety: what a register holds, and what may be done with it.

const NULLABLE = /(?:_or_null|^ptr_or_null_|or_null_)/;
const SCALAR = /^(?:scalar|inv|imm)$/;

const REGISTERS: EntryDef[] = [
  {
    code: 'invalid-mem-access', category: 'Register Type Safety',
    families: [/^(?:R%d|%s) invalid mem access '%s'\n$/],
    variants: [
      {
        code: 'null-deref', when: (v) => NULLABLE.test(v.arg(1)),
        explain: (v) => `${reg(v)} holds a pointer that may be NULL (${v.arg(1)}), e.g. the result of bpf_map_lookup_elem(). Check it against NULL before dereferencing it (\`if (!p) return …;\`), on every path.`,
        fixStrategies: ['null-check'],
      },
      {
        code: 'scalar-deref', when: (v) => SCALAR.test(v.arg(1)),
        explain: (v) => `${reg(v)} holds a plain number (${v.arg(1)}), not a pointer the verifier can check, and it is dereferenced. Only pointers the verifier tracks (context fields, packet, map values, stack, BTF-typed kernel pointers) may be read; use bpf_probe_read_kernel() for arbitrary kernel addresses.`,
        fixStrategies: ['probe-read'],
      },
    ],
    explain: (v) => `${reg(v)} (type ${v.arg(1)}) cannot be dereferenced here: this pointer type allows no direct loads or stores (e.g. a map pointer, a socket pointer of the wrong kind, or a pointer to released memory).`,
    fixStrategies: ['none'],
  },
  {
    code: 'reg-not-init', category: 'Register Type Safety',
    families: [/^R%d !read_ok\n$/],
    explain: (v) => `${reg(v)} is read before anything was written to it on this path (after a helper call, R1-R5 are clobbered; a subprogram sees only the arguments it declares).`,
    fixStrategies: ['init-register'],
  },
  {
    code: 'reg-invalid', category: 'Program Structure',
    families: [/^R%d is invalid\n$/],
    explain: (v) => `The instruction names register ${reg(v)}, which does not exist (BPF has R0-R10). The object file is corrupt or was built for another target.`,
    fixStrategies: ['none'],
  },
  {
    code: 'fp-readonly', category: 'Register Type Safety',
    families: [/^frame pointer is read only\n$/],
    explain: () => 'An instruction writes R10, the frame pointer, which is read-only. Usually hand-written assembly; compilers never emit this.',
    fixStrategies: ['none'],
  },
  {
    code: 'ptr-arith', category: 'Register Type Safety',
    families: [
      /^R%d pointer arithmetic on %s prohibited/, /^R%d 32-bit pointer arithmetic prohibited\n$/, /^R%d bitwise operator %s on pointer prohibited\n$/,
      /^R%d pointer arithmetic with %s operator prohibited\n$/, /^R%d pointer arithmetic prohibited\n$/, /^R%d pointer %s pointer prohibited\n$/,
      /^R%d subtraction from stack pointer prohibited\n$/, /^R%d tried to subtract pointer from scalar\n$/,
    ],
    explain: (v) => fmtHas(v, 'null-check it first')
      ? `${reg(v)} may be NULL (${v.arg(1)}) and arithmetic on it is not allowed until it is checked. Test it against NULL first, then add the offset.`
      : fmtHas(v, 'bitwise')
      ? `${reg(v)} holds a pointer and the instruction applies ${v.arg(1)} to it; only adding or subtracting a bounded number is allowed on pointers. Do the bit operation on an index and add the index.`
      : fmtHas(v, '32-bit')
        ? `${reg(v)} holds a pointer used in 32-bit arithmetic, which would drop its upper half. Keep pointer arithmetic 64-bit (use long/size_t offsets).`
        : fmtHas(v, 'with %s operator')
          ? `${reg(v)} holds a pointer and the instruction applies ${v.arg(1)}; pointers only allow add and subtract.`
          : fmtHas(v, 'arithmetic on %s')
            ? `${reg(v)} holds a ${v.arg(1)}, on which no arithmetic is allowed (only packet, map value, stack, memory and BTF pointers can be moved).`
            : fmtHas(v, 'pointer %s pointer')
              ? `Two pointers are combined with ${v.arg(1)}; only subtracting two pointers of the same kind (privileged) is allowed.`
              : fmtHas(v, 'subtract pointer from scalar')
                ? `${reg(v)}: a pointer is subtracted from a number, which has no meaning; subtract the number from the pointer instead.`
                : fmtHas(v, 'stack pointer')
                  ? `${reg(v)}: a register is subtracted from the stack pointer; stack offsets must be constant or added as bounded scalars.`
                  : `${reg(v)} holds a pointer and this instruction may not use it in arithmetic.`,
    fixStrategies: ['none'],
  },
  {
    code: 'ptr-offset-range', category: 'Register Type Safety',
    families: [/^math between %s pointer and /, /^value %lld makes %s pointer be out of bounds\n$/, /^%s pointer offset %(?:d|lld) is not allowed\n$/],
    explain: (v) => fmtHas(v, 'unbounded min value')
      ? `A ${v.arg(0)} pointer is moved by a register whose lower bound is unknown. Bound the offset (e.g. check \`>= 0\` or use an unsigned type) before adding it.`
      : fmtHas(v, 'makes')
        ? `Adding ${v.arg(0)} would move the ${v.arg(1)} pointer beyond the range the verifier tracks (±2^29). Bound the offset first.`
        : fmtHas(v, 'math between')
          ? `A ${v.arg(0)} pointer is moved by ${v.arg(1)}, beyond the range the verifier tracks (±2^29). Bound the offset first.`
          : `The ${v.arg(0)} pointer's offset ${v.arg(1)} is beyond the range the verifier tracks (±2^29).`,
    fixStrategies: ['clamp-index', 'bounds-check'],
  },
  {
    code: 'ptr-mixed', category: 'Register Type Safety',
    families: [/^same insn cannot be used with different pointers\n$/, /^same insn cannot be used with and without arena pointer\n$/],
    explain: (v) => fmtHas(v, 'arena')
      ? 'One instruction is reached once with an arena pointer and once with another kind; the verifier rewrites arena accesses per instruction, so each must see one kind.'
      : 'One load or store instruction is reached with pointers of different types on different paths (e.g. ctx on one, a map value on another). The verifier rewrites such accesses per instruction. Make the paths use separate accesses (a barrier or separate statements stop the compiler from merging them).',
    fixStrategies: ['barrier-var'],
  },
  {
    code: 'ptr-poison', category: 'Register Type Safety',
    families: [/^(?:R%d|%s|func %s) has non-overwritten BPF_PTR_POISON (?:return )?type\n$/],
    explain: (v) => `An argument or return type${v.args.length ? ` (${v.args.map(String).join(', ')})` : ''} was declared with a placeholder type that the kernel should have replaced; this is a kernel configuration bug, not the program's fault.`,
    fixStrategies: ['report-kernel-bug'],
  },
  {
    code: 'ld-abs-ctx', category: 'Register Type Safety',
    families: [/^at the time of BPF_LD_ABS\|IND R6 != pointer to skb\n$/],
    explain: () => 'Legacy packet loads (LD_ABS/LD_IND) read from the skb in R6, but R6 does not hold the context there. Keep the context pointer in R6 or use bpf_skb_load_bytes().',
    fixStrategies: ['use-helper'],
  },
];

// ---------------------------------------------------------------------------------------------
// Policy: what unprivileged loaders may not do (pointer leaks, Spectre hardening), licences,
// capabilities, signatures.

const POLICY: EntryDef[] = [
  {
    code: 'ptr-leak', category: 'Policy',
    families: [/^R%d leaks addr (?:into|as) /, /^R0 leaks addr as return value\n$/, /^R%d partial copy of pointer\n$/, /^R%d sign-extension part of pointer\n$/, /^R%d pointer comparison prohibited\n$/],
    explain: (v) => fmtHas(v, 'comparison')
      ? `${reg(v)} holds a pointer compared with a value; without CAP_BPF/CAP_PERFMON, pointer comparisons are rejected because their outcome leaks the address.`
      : fmtHas(v, 'copy') || fmtHas(v, 'sign-extension')
        ? `${reg(v)}: part of a pointer is copied into a number; without CAP_BPF/CAP_PERFMON programs may not turn pointers into numbers.`
        : fmtHas(v, 'as return value')
          ? `${/\bR\d+\b/.exec(v.line)?.[0] ?? 'R0'} returns a kernel address; programs loaded without CAP_BPF/CAP_PERFMON may not leak pointers. Return a value, not the pointer.`
          : `${v.reg ?? 'A register'} holds a kernel address that would be stored ${v.format.replace(/^R%d leaks addr /, '').replace(/\n$/, '')}; programs loaded without CAP_BPF/CAP_PERFMON may not leak pointers. Store a value, not the pointer.`,
    fixStrategies: ['avoid-pointer-leak', 'add-capability'],
  },
  {
    code: 'spectre-sanitize', category: 'Policy',
    families: [/^R%d (?:has unknown scalar with mixed signed bounds|has pointer with unsupported alu operation|tried to %s beyond pointer bounds|tried to %s from different maps, paths or scalars|could not be pushed for speculative verification), %s\n$/],
    explain: (v) => `${reg(v)}: this pointer arithmetic cannot be hardened against speculative execution (${v.args[v.args.length - 1]}). Unprivileged programs get Spectre masking that needs simple, bounded offsets; load with CAP_BPF/CAP_PERFMON or give the offset one known sign and bound.`,
    fixStrategies: ['add-capability', 'bounds-check'],
  },
  {
    code: 'unpriv-ptr-arith', category: 'Policy',
    families: [/prohibited for !root/],
    // messages.ts published these as ptr-arith: the code stays, the category is the kernel's.
    variants: [{ code: 'ptr-arith', when: (v) => v.format.startsWith('R%d pointer arithmetic') }],
    explain: (v) => `This access or pointer move is only allowed for privileged loaders (CAP_BPF/CAP_PERFMON): "${v.line}". Load with the capability, or use constant, in-range offsets.`,
    fixStrategies: ['add-capability', 'bounds-check'],
  },
  {
    code: 'cap-required', category: 'Policy',
    families: [/allowed only to CAP_PERFMON and CAP_SYS_ADMIN\n$/, /^loading\/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN\n$/, /^function calls to other bpf functions are allowed for CAP_BPF and CAP_SYS_ADMIN\n$/, /^destructive kfunc calls require CAP_SYS_BOOT capabilit/, /^CAP_BPF and CAP_PERFMON are required to use arena\n$/],
    explain: (v) => `The program does something its loader's capabilities do not allow: "${v.line}". Load it with the named capability (or as root), or avoid the feature in unprivileged programs.`,
    fixStrategies: ['add-capability'],
  },
  {
    code: 'gpl-only', category: 'Policy',
    families: [/^cannot call GPL-restricted function from non-GPL compatible program\n$/, /^cannot call kernel function from non-GPL compatible program\n$/, /must have a GPL compatible license\n$/, /^Cannot access kernel 'struct %s' from non-GPL compatible program\n$/],
    explain: (v) => `${fmtHas(v, 'struct %s') ? `Reading kernel struct ${v.arg(0)} directly` : fmtHas(v, 'must have') ? `This program type (${v.format.split(' ')[0]})` : 'A helper or kfunc used here'} is only for GPL-compatible programs. Declare a GPL-compatible license: \`char LICENSE[] SEC("license") = "GPL";\` (or "Dual BSD/GPL").`,
    fixStrategies: ['gpl-license'],
  },
  {
    code: 'helper-not-allowed', category: 'Policy',
    families: [/^unknown func %s#%d\n$/, /^program of this type cannot use helper %s#%d\n$/, /^invalid func %s#%d\n$/, /^func %s#%d not supported for program type %d\n$/, /^func %s#%d supported only for /],
    explain: (v) => fmtHas(v, 'invalid func')
      ? `Helper ${v.arg(0)}#${v.arg(1)} does not exist in this kernel (its number is beyond the kernel's last helper): the program needs a newer kernel, or libbpf left an unresolved call.`
      : fmtHas(v, 'program type %d')
        ? `Helper ${v.arg(0)}#${v.arg(1)} is not available to program type ${v.arg(2)} on this kernel.`
        : fmtHas(v, 'supported only for')
          ? `Helper ${v.arg(0)}#${v.arg(1)} is only available to ${v.format.replace(/^.*supported only for /, '').replace(/\n$/, '')}.`
          : `Helper ${v.arg(0)}#${v.arg(1)} is not available to this program type on this kernel (or needs a kernel config option it lacks). Use a helper this program type allows, or another program type.`,
    fixStrategies: ['change-prog-type', 'upgrade-kernel'],
    hints: [
      { when: { upTo: '6.1' }, text: 'On 5.10 and 6.1 a helper unavailable to the program type is reported as "unknown func NAME#ID"; from 6.2 the message is "program of this type cannot use helper NAME#ID".' },
    ],
  },
  {
    code: 'helper-in-probe', category: 'Policy',
    families: [/^helper call is not allowed in probe\n$/],
    explain: () => 'This program (a BPF program attached to a hardware-offloaded device, or a probe context) may not call helpers at all.',
    fixStrategies: ['change-prog-type'],
  },
  {
    code: 'kfunc-not-allowed', category: 'Policy',
    families: [/^calling kernel function %s is not allowed\n$/, /^calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF\n$/],
    explain: (v) => v.args.length
      ? `Kernel function ${v.arg(0)} is not registered for this program type (kfuncs are allowed per program type), or the kernel module providing it is not loaded.`
      : 'Calling kernel functions needs a kernel built with CONFIG_DEBUG_INFO_BTF=y.',
    fixStrategies: ['change-prog-type', 'upgrade-kernel'],
  },
  {
    code: 'signature', category: 'Policy',
    families: [/^signature verification /, /^signed p/, /^cannot resolve signing keyring /, /^failed to read signed metadata map /],
    explain: (v) => `The program is signed and its signature or the maps it binds do not satisfy the kernel's rules: "${v.line}". Re-sign the program with its final maps, bind maps through fd_array, and freeze exclusive metadata maps.`,
    fixStrategies: ['none'],
  },
];

// ---------------------------------------------------------------------------------------------
// Call Type Safety: arguments of helpers, kfuncs and subprograms; return values.

/** "[0, 1]" or "(0x0; 0x1)" after "should have been in", from the whole line. */
const expectedRange = (line: string) => /should have been in (\[[^\]]*\]|\([^)]*\)|\S+)/.exec(line)?.[1];
/** What the line says R0 may be: "smin=0 smax=3", "value (0x2; 0x0)", "unknown scalar value". */
const actualValue = (line: string) => /\bhas (.*?)(?: should have been in|$)/.exec(line)?.[1]?.trim();

const CALLS: EntryDef[] = [
  {
    code: 'arg-type-mismatch', category: 'Call Type Safety',
    families: [/^(?:R%d|%s) type=%s expected=/, /^R%d type=%s \n?$/, /^%s type=%s $/, /^expected=%s(?:\n|%s)$/, /^(?:R%d|%s) is of type %s but %s is expected\n$/, /^invalid kptr access, R%d type=%s%s $/, /^ or %s%s\n$/],
    explain: (v) => {
      const expected = /expected=(.*)$/.exec(v.line)?.[1] ?? (fmtHas(v, 'is expected') ? v.arg(2) : undefined);
      const actual = fmtHas(v, 'is of type') ? v.arg(1) : /type=(\S+)/.exec(v.line)?.[1] ?? v.arg(1);
      if (v.format.startsWith('invalid kptr access')) return `${reg(v)} (${actual}) is stored into a kptr field of a map value, but the field holds ${expected ?? 'another type'}. Store only a pointer of the field's declared type (from an acquire kfunc, via bpf_kptr_xchg()).`;
      return `Argument ${reg(v)} of the call is a ${actual} but the callee wants ${expected ?? 'another type'}. Pass a value of the expected kind (e.g. the map itself, not a looked-up value; a stack buffer where 'fp' is expected — kernels before 4.18 require copying the value to a stack variable first).`;
    },
    fixStrategies: ['fix-arg-type', 'copy-to-stack'],
  },
  {
    code: 'arg-null', category: 'Call Type Safety',
    families: [/^Possibly NULL pointer passed to (?:helper|trusted) (?:arg%d|%s)\n$/, /is expected to be non-NULL\n$/],
    explain: (v) => `Argument ${v.reg ?? (/^\d+$/.test(v.arg(0)) ? `#${v.arg(0)}` : v.arg(0))} may be NULL here, and the callee requires a valid pointer. Check it against NULL before the call.`,
    fixStrategies: ['null-check'],
  },
  {
    code: 'arg-not-scalar', category: 'Call Type Safety',
    families: [/^(?:R%d|%s|R1) is not a scalar\n$/, /^(?:R%d|%s) is not a pointer to arena or scalar\.?\n$/, /^R%d is not a pointer\n$/, /^(?:R%d|%s) is not a const\n$/, /^(?:R%d|%s) must be a known constant\n$/, /^R%d is not a known constant'\n$/, /^%s must be a known constant\n$/],
    explain: (v) => fmtHas(v, 'const')
      ? `${regName(v)} must be a constant the verifier knows (e.g. a size or flag written as a literal or a const variable), but its value depends on run-time data here.`
      : fmtHas(v, 'not a pointer\n')
        ? `${regName(v)} is passed where a pointer is required, but holds a number.`
        : `${regName(v)} is passed where a number (scalar) is required, but holds a pointer.`,
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'arg-const-string', category: 'Call Type Safety',
    families: [/does not point to a readonly map'\n$/, /is not a constant address'\n$/, /doesn't point to a const string\n$/, /^string is not zero-terminated\n$/, /^direct value access on string failed\n$/, /points to (?:insn_array|percpu_array) map which cannot be used as const string\n$/],
    explain: (v) => fmtHas(v, 'zero-terminated')
      ? 'The constant string passed to the helper is not NUL-terminated within its map value. Declare it as a C string literal (with its terminating NUL).'
      : `${v.args.length ? `${regName(v)} ` : ''}must point to a constant string in a read-only map (a \`const char[]\` in .rodata), at a constant offset. Pass a string literal or a \`static const\` array.`,
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'arg-ctx', category: 'Call Type Safety',
    families: [/expected pointer to ctx, but got %s\n$/, /expects pointer to ctx\n$/, /^arg%d in %s\(\) is not a pointer to context\n$/],
    explain: (v) => `The function's argument ${fmtHas(v, 'arg%d in') ? `#${v.arg(0)} of ${v.arg(1)}()` : (v.reg ?? (/^\d+$/.test(v.arg(0)) ? `#${v.arg(0)}` : v.arg(0)))} must be the program's context pointer${fmtHas(v, 'but got') ? `, but a ${v.args[v.args.length - 1]} is passed` : ''}. Pass \`ctx\` unchanged.`,
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'arg-func', category: 'Call Type Safety',
    families: [/expected pointer to func\n$/],
    explain: (v) => `Argument ${/^\d+$/.test(v.arg(0)) ? `#${v.arg(0)}` : v.arg(0)} must be a callback function (a static function passed by name), not data.`,
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'arg-ref-offset', category: 'Call Type Safety',
    families: [/must have zero offset when passed to release func/, /^cannot pass in dynptr at an offset\n$/, /^cannot pass in %s at an offset=%d\n$/, /has to be at a constant offset\n$/, /^R%d is a pointer to in-kernel struct with non-zero offset\n$/],
    explain: (v) => `${v.args.length ? `${regName(v)}: ` : ''}the pointer passed must be exactly the one returned by the acquire function (or the object's start), not moved by an offset${fmtHas(v, 'constant offset') ? ', and at a constant offset' : ''}. Pass the original pointer.`,
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'arg-btf-type', category: 'Call Type Safety',
    families: [
      /^kernel function %s (?:%s|args#%d) expected pointer to %s %s/, /^kernel function %s args#%d pointer type %s %s is not supported\n$/,
      /^arg#%d pointer type %s %s /, /^%s pointer type %s %s must point to /, /^Unrecognized (?:arg#%d|%s) type %s\n$/,
      /^arg#%d reference type\('%s %s'\) /, /^%s reference type\('%s %s'\) size cannot be determined: %ld\n$/, /^Helper has invalid btf(?:\/btf)?_id in R%d\n$/, /^Helper has invalid btf\/btf_id in R1\n$/,
      /^R%d must point to kernel BTF\n$/, /^arg#0 BTF type must be a double pointer\n$/, /^2 or more rdonly\/rdwr_buf_size parameters for kfunc/, /^max struct nesting depth exceeded\n$/,
      /^%s arena pointer /, /^%s prog->aux cannot be a stack argument\n$/, /^arg#%d expected pointer to (?:allocated object|map value or allocated object)\n$/,
      /^%s expected pointer to (?:allocated object|map value or allocated object)\n$/, /^(?:arg#%d|%s) doesn't point to (?:a map value|map value or allocated object|a type with bpf_refcount field)\n$/,
      /^arg#0 expected pointer to map value\n$/, /^(?:arg#%d|%s) expected for bpf_(?:percpu_)?obj_drop(?:_impl)?\(\)\n$/, /^reg type unsupported for arg#%d /, /^Unsupported reg type %s for bpf_dynptr_from_mem data\n$/,
      /^(?:pointer in R%d|pointer in %s) isn't map pointer\n$/, /^expected %s or socket\n$/, /^%s is %s expected %s %s$/, /^arg#%d is %s $/, /^ or %s$/, /^%s and $/,
    ],
    explain: (v) => {
      const expected = /expected (?!for )(?:pointer to )?(.*?)(?: but |$)/.exec(v.line)?.[1];
      return `An argument of ${/kernel function (\S+)/.exec(v.line)?.[1] ?? 'the kernel function or helper'} has the wrong BTF type: "${v.line}". ${expected ? `It expects ${expected}. ` : ''}Pass a pointer of exactly the type the prototype declares (the kernel object itself, e.g. a \`struct task_struct *\` obtained from a trusted source), not a copy or a different struct.`;
    },
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'arg-trusted', category: 'Call Type Safety',
    families: [/must be referenced or trusted\n$/, /must be a rcu pointer\n$/, /^R%d must be referenced\n$/, /^allocated object must be referenced\n$/, /^release (?:helper|kfunc) %s expects referenced PTR_TO_BTF_ID passed to %s\n$/, /^release kernel function %s expects refcounted PTR_TO_BTF_ID\n$/, /^R%d must be referenced when passed to release function\n$/, /^arg %d is an unacquired reference\n$/, /^(?:func|kfunc) %s#%d reference has not been acquired before\n$/],
    explain: (v) => fmtHas(v, 'release') || fmtHas(v, 'acquired')
      ? `The object passed to a release function (${v.arg(0)}) was not acquired by this program (no reference is held), so it cannot be released. Release only what an acquire function returned.`
      : `${regName(v)} must be a trusted pointer: one the kernel handed to the program (a tracing argument, a kfunc's acquired reference) or an RCU-protected pointer inside bpf_rcu_read_lock(). Pointers read out of other kernel structs are not trusted; acquire a reference first.`,
    fixStrategies: ['fix-arg-type', 'release-reference'],
  },
  {
    code: 'arg-pkt-change', category: 'Call Type Safety',
    families: [/^%s is a packet pointer, but func#%d may change packet data\n$/],
    explain: (v) => `${v.arg(0)} is a packet pointer passed to subprogram func#${v.arg(1)}, which may change the packet (e.g. bpf_skb_pull_data), making the pointer invalid. Pass offsets instead and reload data/data_end after the call.`,
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'arg-readonly-mem', category: 'Call Type Safety',
    families: [/^%s\(\) may write into memory pointed by (?:R%d|%s) type=%s\n$/],
    explain: (v) => `Helper ${v.arg(0)}() may write into the memory passed in ${regName(v, 1)}, but that memory (${v.arg(2)}) is read-only (e.g. .rodata or a read-only map). Pass a writable buffer (stack or map value).`,
    fixStrategies: ['copy-to-stack', 'fix-arg-type'],
  },
  {
    code: 'arg-count', category: 'Call Type Safety',
    families: [/^Function %s has %d > (?:%d|5) args\n$/, /^The function %s has %d arguments\. Too many\.\n$/, /^Global function %s\(\) with %d > (?:%d|5) args\. Buggy compiler\.\n$/, /^kernel supports at most %d parameters, function %s has %d\n$/, /^global function %s has %d > %d args, stack args not supported\n$/, /^JIT does not support (?:function|kfunc) %s\(\) with %d args\n$/, /^freplace programs with >%d args not supported yet\n$/],
    explain: (v) => `Function ${v.arg(0).match(/^\d+$/) ? v.arg(1) : v.arg(0)} takes more arguments than BPF calls can pass (5 registers${fmtHas(v, 'stack args') || fmtHas(v, 'JIT') ? '; stack arguments need JIT support' : ''}). Pack arguments into a struct and pass a pointer.`,
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'func-proto', category: 'Call Type Safety',
    families: [
      /^The function %s (?:arg%d type %s is unsupported|has malformed void argument|return type %s is unsupported|with variable args is unsupported)\.\n$/,
      /^Arg#%d type %s in %s\(\) is not supported yet\.\n$/, /^arg#%d (?:has invalid combination of tags|has pointer tag, but is not a pointer type|has unsupported set of tags|type tag fetching failure: %d|type tag is not supported in static functions|arena cannot be combined with any other tags|untrusted cannot be combined with any other tags|has type %s '%s', but only struct or primitive types are allowed)\n$/,
      /^arg#%d (?:should be `struct %s \*`|should be void pointer|type doesn't have a name|type isn't a pointer|struct doesn't have a name|type is not a struct)\n$/,
      /^Global function %s\(\) (?:doesn't return scalar|return value not void or scalar)\. Only those are supported\.\n$/, /^Invalid type of function %s\(\)\n$/, /^Global functions need valid BTF\n$/,
      /^BTF of func(?:#%d| _id %u|_id %u) doesn't point to KIND_FUNC\n$/, /^Invalid BTF of func %s\n$/, /^function signature member has multiple type tags\n$/, /^kfunc %s has inconsistent KF_IMPLICIT_ARGS\n$/,
    ],
    explain: (v) => `A function's BTF prototype is not one the verifier can check calls against: "${v.line}". Global (non-static) functions are verified on their own from their prototype, so their arguments must be scalars, pointers to structs/primitives or the context; make the function static (__always_inline or static) to have it verified in the caller instead, or change its signature.`,
    fixStrategies: ['fix-btf'],
  },
  {
    code: 'subprog-args', category: 'Call Type Safety',
    families: [/^Caller passes invalid args into func#%d/],
    explain: (v) => `The arguments passed to global function func#${v.arg(0)}${v.args.length > 1 ? ` (${v.arg(1)})` : ''} do not satisfy its BTF prototype (see the lines above for which). A global function is verified once for any arguments of its declared types, so each call must pass exactly those types.`,
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'map-func-mismatch', category: 'Call Type Safety',
    families: [/^cannot pass map_type %d into func %s#%d\n$/, /^invalid arg_type for sockmap\/sockhash\n$/, /^callback function not allowed for map\n$/, /^cannot update sockmap in this context\n$/, /^map_ptr access not supported for map type %d\n$/, /^map_ptr access not supported without CONFIG_DEBUG_INFO_BTF\n$/, /^only read from %s is supported\n$/, /^(?:timer|workqueue) pointer in R1 map_uid=%d doesn't match map pointer in R2 map_uid=%d\n$/, /^doesn't match map pointer in %s map_uid=%d\n$/, /^%s pointer in %s map_uid=%d $/],
    explain: (v) => fmtHas(v, 'cannot pass map_type')
      ? `A map of type ${v.arg(0)} cannot be used with helper ${v.arg(1)}#${v.arg(2)} (each helper works with certain map types only). Use a map type this helper supports.`
      : fmtHas(v, 'map_uid')
        ? `The object (timer, workqueue…) and the map passed with it come from different maps ("${v.line}"); pass the map that holds the object.`
        : `This map cannot be used this way: "${v.line}".`,
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'ret-range', category: 'Program Structure',
    families: [/^%s the register %s has$/, /^At %s the register %s $/, /^At program exit the register R0 $/, /^has (?:value %s|unknown scalar value)$/, /^ should have been in /, /^ (?:smin|smax)=%lld$/, /^ unknown scalar value$/, /^(?:At program exit the register R0|%s the register R%d) is not a known value \(%s\)\n$/, /^In async callback the register R0 is not a known value \(%s\)\n$/],
    explain: (v) => {
      const want = expectedRange(v.line);
      const got = actualValue(v.line)
        ?? (fmtHas(v, 'not a known value') ? `not a known number (${v.args[v.args.length - 1]})` : undefined)
        ?? (/(?:smin|smax)=/.test(v.line) ? v.line : undefined);
      const ctx = /^(.*?) the register (\S+)/.exec(v.line);
      const who = ctx ? `${ctx[2]} (${ctx[1].replace(/^At /, 'at ')})` : 'R0 at exit';
      return `This program type may only return values in ${want ?? 'the allowed range'}, but ${who} ${got ? `has ${got}` : 'may be outside it'}. Return only allowed values (normalise with \`return ret ? 1 : 0;\`, or return a constant on each path).`;
    },
    fixStrategies: ['normalise-return'],
  },
  {
    code: 'subprog-ret', category: 'Call Type Safety',
    families: [/^At subprogram exit the register R(?:%d|0) is not a scalar value \(%s\)\n$/, /^R0 not a scalar value\n$/],
    explain: (v) => `A subprogram (or callback) returns ${v.args.length ? `a ${v.args[v.args.length - 1]}` : 'a pointer'} in R0; subprograms may only return numbers. Return a value or an error code, not a pointer.`,
    fixStrategies: ['normalise-return'],
  },
  {
    code: 'lsm-cgroup-ret', category: 'Program Structure',
    families: [/BPF_LSM_CGROUP that attach to void LSM hooks can't modify return value!\n$/],
    explain: () => 'This BPF_LSM_CGROUP program is attached to an LSM hook that returns void, so it cannot change the outcome: its return value is ignored and calling bpf_set_retval() is rejected.',
    fixStrategies: ['normalise-return'],
  },
  {
    code: 'dynptr-arg', category: 'Resource Lifetime Safety',
    families: [/^Dynptr has to be an uninitialized dynptr\n$/, /^Expected (?:a dynptr of type %s|an initialized dynptr) as /, /expected pointer to stack or const struct bpf_dynptr\n$/, /^cannot pass pointer to const bpf_dynptr, the helper mutates it\n$/, /^CONST_PTR_TO_DYNPTR cannot be released\n$/, /^cannot release unowned const bpf_dynptr\n$/, /^cannot overwrite referenced dynptr\n$/, /^potential write to dynptr at off=%d disallowed\n$/],
    explain: (v) => fmtHas(v, 'uninitialized dynptr')
      ? 'The function initialises a dynptr, but the stack slot passed already holds a live one. Use a fresh `struct bpf_dynptr` variable.'
      : fmtHas(v, 'initialized dynptr')
        ? `${v.arg(0)} must be a dynptr initialised on every path (bpf_dynptr_from_mem, bpf_ringbuf_reserve_dynptr…) before this call.`
        : fmtHas(v, 'of type')
          ? `${/^\d+$/.test(v.arg(1)) ? `Argument #${v.arg(1)}` : v.arg(1)} must be a dynptr of type ${v.arg(0)}.`
          : fmtHas(v, 'overwrite') || fmtHas(v, 'potential write')
            ? `The stack slot${v.args.length ? ` at off=${v.arg(0)}` : ''} holds a dynptr that still owns a reference (e.g. a ring-buffer record); overwriting it would leak the reference. Submit or discard it first.`
            : `The dynptr argument is misused: "${v.line}". Pass a pointer to a \`struct bpf_dynptr\` on the stack, initialised as the function expects.`,
    fixStrategies: ['fix-arg-type', 'release-reference'],
  },
  {
    code: 'iter-arg', category: 'Resource Lifetime Safety',
    families: [/^expected (?:an initialized|uninitialized) iter_%s as /, /^expected valid iter pointer as /, /expected pointer to an iterator on stack\n$/, /^css_task_iter is only allowed in bpf_lsm, bpf_iter and sleepable progs\n$/],
    explain: (v) => fmtHas(v, 'uninitialized')
      ? `Iterator ${v.arg(1)} is created again while the previous one on the same stack slot is still live; destroy it first (bpf_iter_${v.arg(0)}_destroy) or use another variable.`
      : fmtHas(v, 'initialized')
        ? `Iterator ${v.arg(1)} of type iter_${v.arg(0)} must be created (bpf_iter_${v.arg(0)}_new) on every path before it is used.`
        : fmtHas(v, 'css_task_iter')
          ? 'The css_task iterator is only available to LSM, bpf_iter and sleepable programs.'
          : `The open-coded iterator argument (${/^\d+$/.test(v.arg(0)) ? `arg #${v.arg(0)}` : v.arg(0)}) must be a pointer to the iterator struct on the stack.`,
    fixStrategies: ['release-reference'],
  },
  {
    code: 'irq-flag-arg', category: 'Resource Lifetime Safety',
    families: [/^expected (?:an initialized|uninitialized) irq flag as %s\n$/, /doesn't point to an irq flag on stack\n$/, /^irq flag acquired by %s kfuncs cannot be restored with %s kfuncs\n$/, /^cannot restore irq state out of order, /],
    explain: (v) => fmtHas(v, 'out of order')
      ? `IRQ states must be restored in reverse order of saving; the one expected first is id=${v.arg(0)} (saved at insn ${v.arg(1)}).`
      : fmtHas(v, 'acquired by')
        ? `The IRQ flag was saved by ${v.arg(0)} kfuncs and must be restored by the matching ${v.arg(0)} kfunc, not ${v.arg(1)}.`
        : `The IRQ flag argument (${v.arg(0)}) is wrong: bpf_local_irq_save()/restore() need an \`unsigned long flags\` variable on the stack, uninitialised for save and saved for restore.`,
    fixStrategies: ['lock-discipline'],
  },
  {
    code: 'kfunc-special-arg', category: 'Call Type Safety',
    families: [/^bpf_obj_new\/bpf_percpu_obj_new /, /^bpf_percpu_obj_new type /, /^local type ID argument must be in range /, /^kfunc bpf_rdonly_cast type ID argument must be /, /^Unknown type ID %lld passed to kfunc bpf_rdonly_cast\n$/],
    explain: (v) => `A type-ID argument of a special kfunc is not acceptable: "${v.line}". Pass bpf_core_type_id_local() of a struct defined in the program (with a valid BTF).`,
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'snprintf-format', category: 'Call Type Safety',
    families: [/^Invalid format string\n$/, /^failed to retrieve map value address\n$/],
    explain: () => 'The format string of bpf_snprintf()/bpf_seq_printf() must be a constant string in a read-only map with at most the supported conversions (%d %u %x %s %p…, no %n). Check the format and its argument count.',
    fixStrategies: ['fix-arg-type'],
  },
  {
    code: 'helper-misc', category: 'Call Type Safety',
    families: [/^get_local_storage\(\) doesn't support non-zero flags\n$/, /^cannot get callchain buffer for func %s#%d\n$/, /^func %s#%d not supported without CONFIG_PERF_EVENTS\n$/, /^unable to resolve the size of type '%s': %ld\n$/, /^frame%d bpf_loop iteration limit reached\n$/],
    explain: (v) => fmtHas(v, 'get_local_storage')
      ? 'bpf_get_local_storage() must be called with flags 0.'
      : fmtHas(v, 'callchain') || fmtHas(v, 'PERF_EVENTS')
        ? `Helper ${v.arg(0)}#${v.arg(1)} needs perf call-chain buffers, which this kernel could not provide (or it lacks CONFIG_PERF_EVENTS).`
        : fmtHas(v, 'bpf_loop')
          ? `bpf_loop() in frame ${v.arg(0)} was inlined and its iteration count exceeded what the verifier can track.`
          : `The type '${v.arg(0)}' returned by the helper has no size the verifier can resolve (error ${v.arg(1)}).`,
    fixStrategies: ['none'],
  },
];

// ---------------------------------------------------------------------------------------------
// Resource Lifetime Safety: references, locks, kptrs, timers, graph nodes.

const RESOURCES: EntryDef[] = [
  {
    code: 'ref-leak', category: 'Resource Lifetime Safety',
    families: [/^Unreleased reference id=%d alloc_insn=%d\n$/, /^%s would lead to reference leak\n$/, /^tail_call would lead to reference leak\n$/, /^Leaking reference id=%d alloc_insn=%d\. Release it first\.\n$/, /^BPF_LD_\[ABS\|IND\] cannot be mixed with socket references\n$/, /^program with __ref argument cannot tail call\n$/],
    explain: (v) => fmtHas(v, 'id=%d alloc_insn=%d')
      ? `Reference ${v.arg(0)}, acquired at insn ${v.arg(1)}, is still held when the program ${fmtHas(v, 'Leaking') ? 'overwrites it' : 'exits'} on this path. Release it on every path (bpf_ringbuf_submit/discard, bpf_sk_release, bpf_task_release, bpf_obj_drop…).`
      : fmtHas(v, 'tail_call') || fmtHas(v, 'tail call')
        ? 'A tail call never returns, so any reference held at that point would leak. Release references before bpf_tail_call().'
        : fmtHas(v, 'LD_')
          ? 'Legacy packet loads (LD_ABS/LD_IND) may exit the program implicitly, which would leak the socket reference held here. Use bpf_skb_load_bytes() instead, or release the socket first.'
          : `${v.arg(0)} while holding a reference (ring-buffer record, socket, task…). Release it on every path before returning.`,
    fixStrategies: ['release-reference'],
  },
  {
    code: 'spin-lock', category: 'Resource Lifetime Safety',
    families: [
      /^Locking two bpf_spin_locks are not allowed\n$/, /^Acquiring the same lock again, AA deadlock detected\n$/, /^(?:bpf_spin|%s)_unlock (?:of different lock|without taking a lock|cannot be out of order)\n$/,
      /^Failed to acquire lock state\n$/, /^held lock and object are not in the same allocation\n$/, /^bpf_spin_lock at off=%d must be held for %s\n$/,
    ],
    explain: (v) => fmtHas(v, 'two') || fmtHas(v, 'AA deadlock')
      ? 'A BPF spin lock is taken while one is already held (only one lock at a time, and never the same one twice). Unlock before taking another.'
      : fmtHas(v, 'without taking')
        ? `${v.args.length ? v.arg(0) : 'bpf_spin'}_unlock is called on a path where the lock is not held. Pair every unlock with a lock on the same path.`
        : fmtHas(v, 'different lock')
          ? `The ${v.args.length ? `${v.arg(0)}_unlock` : 'unlock'} is for a different lock than the one held. Unlock the same lock you took.`
          : fmtHas(v, 'out of order')
            ? `${v.args.length ? `${v.arg(0)} locks` : 'Locks'} must be released in the reverse order they were taken.`
            : fmtHas(v, 'must be held')
              ? `The list/rbtree operation ${v.arg(1)} needs the bpf_spin_lock at off=${v.arg(0)} (the one protecting this root) held.`
              : `Lock bookkeeping failed: "${v.line}".`,
    fixStrategies: ['lock-discipline'],
  },
  {
    code: 'lock-field', category: 'Resource Lifetime Safety',
    families: [
      /^map '%s' (?:doesn't have 'struct bpf_(?:spin_lock|timer)'|has more than one 'struct bpf_(?:spin_lock|timer)'|is not a struct type or bpf_(?:spin_lock|timer) is mangled|has no valid (?:bpf_timer|kptr|%s)|has more than %d kptr|has repeating kptr BTF tags|has to have BTF in order to use [^\n]*)\n$/,
      /^%s '%s' has no valid (?:%s_lock|bpf_spin_lock)\n$/, /^off %lld doesn't point to 'struct [^']*'/, /doesn't have constant offset\. [^\n]* has to be at the constant offset\n$/, /^R%d has no valid kptr\n$/,
      /^off=%d (?:doesn't point to kptr|kptr isn't referenced kptr)\n$/, /^arg#0 no referenced kptr at map value offset=%llu\n$/, /^arg#0 must have constant offset\n$/, /^%s not found at offset=%u\n$/, /^arg#1 offset=%d, but expected %s at offset=%d in struct %s\n$/, /^operation on %s expects arg#1 /,
    ],
    explain: (v) => `A special field (bpf_spin_lock, bpf_timer, bpf_wq, kptr, list/rbtree node) is used in a way its map or struct does not support: "${v.line}". Such fields need map BTF (define the map with BTF, as libbpf does for SEC(".maps")), exactly one field of the kind, and a pointer to the field itself at a constant offset.`,
    fixStrategies: ['fix-btf', 'fix-arg-type'],
  },
  {
    code: 'special-field-access', category: 'Memory Safety',
    families: [/^direct access to %s is disallowed\n$/, /^(?:bpf_spin_lock|bpf_timer|kptr|%s) cannot be accessed (?:directly by load\/store|indirectly by helper)\n$/, /^(?:kptr|%s) access (?:cannot have variable offset|misaligned expected=%u off=%llu|size must be BPF_DW)\n$/, /^kptr in map can only be accessed using /, /^BPF_ST imm must be 0 when storing to kptr at off=%u\n$/, /^store to (?:referenced kptr|uptr) disallowed\n$/, /^%s access cannot have variable offset\n$/],
    explain: (v) => `A special field (${/^(bpf_spin_lock|bpf_timer|kptr)/.exec(v.format)?.[1] ?? v.arg(0)}) is read or written like plain memory. Use its API instead: bpf_spin_lock()/unlock(), bpf_timer_*(), bpf_kptr_xchg() (kptrs are read with an 8-byte load at their exact offset).`,
    fixStrategies: ['use-helper'],
  },
  {
    code: 'graph-node', category: 'Resource Lifetime Safety',
    families: [/owning (?:or non-owning )?ref/, /^rbtree_remove /, /^%s can only take non-owning or refcounted bpf_rb_node pointer\n$/, /^(?:can't (?:res_)?spin_\{lock,unlock\}|%s not allowed) in rbtree cb\n$/, /^Calling bpf_rcu_read_\{lock,unlock\} in unnecessary rbtree callback\n$/, /^acquire kernel function does not return PTR_TO_BTF_ID\n$/, /^kfunc %s#%d failed callback verification\n$/],
    explain: (v) => `A bpf_list/bpf_rbtree operation is given a node it may not take here: "${v.line}". Nodes added to a collection become non-owning references valid only inside the lock; bpf_obj_new() objects must be owned (not yet added) when inserted, and rbtree comparison callbacks may not lock or modify the tree.`,
    fixStrategies: ['release-reference', 'lock-discipline'],
  },
];

// ---------------------------------------------------------------------------------------------
// Execution Context Safety: RCU, preemption, IRQ and lock regions; sleeping.

const CONTEXT: EntryDef[] = [
  {
    code: 'region-violation', category: 'Execution Context Safety',
    families: [/cannot be used inside bpf_(?:spin_lock|rcu_read_lock|preempt_disable|local_irq_save)-ed region\n$/, /^function calls are not allowed while holding a lock\n$/, /^global function calls are not allowed (?:while holding a lock|with preemption disabled),\nuse static function instead\n$/],
    explain: (v) => {
      const region = /bpf_(spin_lock|rcu_read_lock|preempt_disable|local_irq_save)-ed/.exec(v.format)?.[1]
        ?? (fmtHas(v, 'lock') ? 'spin_lock' : 'preempt_disable');
      const what = v.format.startsWith('%s') ? v.arg(0) : v.format.split(' cannot')[0].replace(/^function calls.*/, 'A function call').replace(/^global function calls.*/, 'A global function call');
      return `${what} happens inside a bpf_${region} region, where it is not allowed${fmtHas(v, 'BPF_EXIT') || /exit|EXIT/.test(what) ? ' (the program exits without leaving the region)' : ''}. Leave the region (unlock / bpf_rcu_read_unlock / bpf_preempt_enable / restore IRQs) before it, on every path${fmtHas(v, 'static function') ? ', or make the called function static so it is verified inline' : ''}.`;
    },
    fixStrategies: ['context-discipline', 'lock-discipline'],
  },
  {
    code: 'region-missing-exit', category: 'Execution Context Safety',
    families: [/^bpf_spin_unlock is missing\n$/, /^bpf_rcu_read_unlock is missing\n$/, /^%d bpf_preempt_enable%s missing\n$/],
    explain: (v) => `The program exits while still inside a ${fmtHas(v, 'spin') ? 'bpf_spin_lock' : fmtHas(v, 'rcu') ? 'bpf_rcu_read_lock' : `bpf_preempt_disable (${v.arg(0)} enable call(s) missing)`} region. Close the region on every path before returning.`,
    fixStrategies: ['context-discipline', 'lock-discipline'],
    hints: [{ when: { from: '7.3' }, text: 'From 7.3 this is reported as "<what> cannot be used inside bpf_…-ed region".' }],
  },
  {
    code: 'region-underflow', category: 'Execution Context Safety',
    families: [/^unmatched (?:rcu read unlock|attempt to enable preemption) \(kernel function %s\)\n$/, /^nested rcu read lock \(kernel function %s\)\n$/],
    explain: (v) => `${v.arg(0)} ${fmtHas(v, 'nested') ? 'opens an RCU read section inside another one, which this kernel does not allow' : 'closes a region that is not open on this path'}. Pair every lock/disable with exactly one unlock/enable on the same path.`,
    fixStrategies: ['context-discipline'],
  },
  {
    code: 'rcu-required', category: 'Execution Context Safety',
    families: [/^expected an RCU CS when using %s\n$/, /^kernel func %s requires RCU critical section protection\n$/],
    explain: (v) => `${v.arg(0)} must be used inside an RCU read section. Wrap it in bpf_rcu_read_lock() … bpf_rcu_read_unlock().`,
    fixStrategies: ['context-discipline'],
  },
  {
    code: 'sleep-in-atomic', category: 'Execution Context Safety',
    families: [/^sleepable (?:helper %s#%d|global function %s\(\) called) in /, /^kernel func %s is sleepable within /, /^program must be sleepable to call sleepable kfunc %s\n$/, /^helper call might sleep in a non-sleepable prog\n$/, /^kernel function %s is sleepable but the program is not\n$/],
    explain: (v) => fmtHas(v, 'program must be') || fmtHas(v, 'non-sleepable prog') || fmtHas(v, 'but the program is not')
      ? `${v.args.length ? v.arg(0) : 'This helper'} may sleep, and only sleepable programs (SEC("fentry.s/…"), "lsm.s/…", "uprobe.s/…", "syscall") may call it. Load the program as sleepable, or use a non-sleeping alternative.`
      : `${v.arg(0)} may sleep but is called inside a region where sleeping is forbidden (${v.args[v.args.length - 1]}). Call it outside RCU/preempt-disabled/IRQ-disabled sections.`,
    fixStrategies: ['context-discipline', 'change-prog-type'],
  },
  {
    code: 'sleepable-prog', category: 'Execution Context Safety',
    families: [/can be sleepable\n$/, /^Program of this type cannot be sleepable\n$/, /^BPF_LSM_CGROUP programs cannot be sleepable\n$/, /^Syscall programs can only be sleepable\n$/, /^%s is not sleepable\n$/, /^Sleepable program cannot attach to non-faultable tracepoint %s\n$/, /^Extension program may sleep, while original does not\n$/, /^(?:sleepable progs|Sleepable programs) can(?:not| only) use /],
    explain: (v) => `The program's sleepable flag does not fit its type or target: "${v.line}". Only some program types may be sleepable (the ".s" section suffix), their attach target must allow faulting, and sleepable programs may use only certain map types.`,
    fixStrategies: ['change-prog-type', 'fix-attach-target'],
  },
  {
    code: 'nmi-unsafe', category: 'Execution Context Safety',
    families: [/^%s cannot be used in tracing programs on types with NMI unsafe fields\n$/],
    explain: (v) => `${v.arg(0)} may run in NMI context from a tracing program, and the object type it works on has fields (locks, timers…) that are not NMI-safe. Use it from a non-tracing program, or on types without such fields.`,
    fixStrategies: ['change-prog-type'],
  },
  {
    code: 'timer-rt', category: 'Execution Context Safety',
    families: [/^bpf_timer cannot be used for PREEMPT_RT\.\n$/],
    explain: () => 'bpf_timer is not available on PREEMPT_RT kernels.',
    fixStrategies: ['none'],
  },
];

// ---------------------------------------------------------------------------------------------
// Program Structure: control flow, loops, size and complexity, stack depth, subprograms,
// instruction encoding, the program's BTF (func_info, line_info, CO-RE), attach targets.

const STRUCTURE: EntryDef[] = [
  {
    code: 'infinite-loop', category: 'Program Structure',
    families: [/^infinite loop detected at insn %d\n$/, /^%s: too many iterations\n$/],
    explain: (v) => fmtHas(v, 'too many iterations')
      ? `The loop's states did not converge (${v.arg(0)}): the verifier cannot show it ends. Give it a bound the verifier can see (a constant trip count), or use bpf_loop() / bpf_for.`
      : `The verifier reached insn ${v.arg(0)} twice with equal states, so the loop cannot be shown to end. Give the loop a bound the verifier can see (a constant trip count, or a counter it can track), or use bpf_loop() (5.17+) / bpf_for (6.4+).`,
    fixStrategies: ['bound-loop', 'bpf-loop'],
  },
  {
    code: 'back-edge', category: 'Program Structure',
    families: [/^back-edge from insn %d to %d\n$/],
    explain: (v) => `The program jumps back from insn ${v.arg(0)} to ${v.arg(1)} (a loop) and the verifier rejects loops here: kernels before 5.3, or an unprivileged load. Unroll the loop (#pragma unroll), use bpf_loop(), or load with CAP_BPF on 5.3+.`,
    fixStrategies: ['bpf-loop', 'bound-loop'],
  },
  {
    code: 'too-large', category: 'Program Structure',
    families: [/^BPF program is too large\. Processed %d insn\n$/, /^liveness analysis exceeded complexity limit \(%d calls\)\n$/],
    explain: (v) => fmtHas(v, 'liveness')
      ? `The liveness pre-pass gave up after ${v.arg(0)} calls: the call graph is too complex. Reduce subprogram nesting or make helpers global functions.`
      : `The verifier explored ${v.arg(0)} instructions, its limit (1 million for privileged programs). Reduce branching and loop trip counts, split the program (tail calls, bpf_loop), or mark large helper functions as global (non-static, __noinline) so they are verified once.`,
    fixStrategies: ['reduce-complexity', 'bpf-loop'],
  },
  {
    code: 'jumps-too-complex', category: 'Program Structure',
    families: [/^The sequence of %d jumps is too complex/],
    explain: (v) => `${v.arg(0)} branches wait to be explored${fmtHas(v, 'async') ? ' in an async callback' : ''}, over the verifier's limit (8192). Simplify the control flow in hot loops, or move work into bpf_loop() callbacks.`,
    fixStrategies: ['reduce-complexity', 'bpf-loop'],
  },
  {
    code: 'combined-stack', category: 'Program Structure',
    families: [/^combined stack size of %d calls is %d\. Too large\n$/, /^stack size of subprog %d is %d\. Too large\n$/, /^stack size %d\(extra %d\) is too large\n$/, /^stack depth %d exceeds interpreter stack depth limit\n$/, /^tail_calls are not allowed when call stack of previous frames is %d bytes\. Too large\n$/],
    explain: (v) => fmtHas(v, 'combined')
      ? `The call chain of ${v.arg(0)} functions uses ${v.arg(1)} bytes of stack, over the 512-byte limit. Move large locals to a per-CPU array map, or inline less.`
      : fmtHas(v, 'subprog %d')
        ? `Subprogram ${v.arg(0)} alone uses ${v.arg(1)} bytes of stack, over the 512-byte limit. Move large locals to a per-CPU array map.`
        : fmtHas(v, 'tail_calls')
          ? `A tail call happens with ${v.arg(0)} bytes of stack already in use by the calling frames; with tail calls and bpf-to-bpf calls mixed, each frame may use at most 256 bytes.`
          : `The stack (${v.arg(0)} bytes) is too large${fmtHas(v, 'extra') ? ` once the verifier's own ${v.arg(1)} bytes are added` : ' for the interpreter'}. Reduce stack use.`,
    fixStrategies: ['reduce-stack'],
  },
  {
    code: 'call-depth', category: 'Program Structure',
    families: [/^the call stack of %d frames is too deep/, /^too many subprograms\n$/, /^recursive call from %s\(\) to %s\(\)\n$/],
    explain: (v) => fmtHas(v, 'recursive')
      ? `${v.arg(0)}() calls ${v.arg(1)}(), closing a cycle: BPF functions may not recurse. Rewrite the recursion as a bounded loop.`
      : fmtHas(v, 'too many subprograms')
        ? 'The program has more subprograms than the verifier allows (256). Inline small functions.'
        : `The chain of BPF function calls is ${v.arg(0)} frames deep, over the limit of 8. Inline some functions (__always_inline).`,
    fixStrategies: ['reduce-complexity'],
  },
  {
    code: 'unreachable', category: 'Program Structure',
    families: [/^unreachable insn %d\n$/],
    explain: (v) => `Instruction ${v.arg(0)} can never run; the verifier rejects dead code. Usually a compiler/linker mismatch, or hand-written assembly.`,
    fixStrategies: ['none'],
  },
  {
    code: 'jump-range', category: 'Program Structure',
    families: [/^(?:indirect )?jump out of range from insn %d to %d\n$/, /^jump into the middle of ldimm64 insn %d\n$/, /^last insn is not an exit or jmp\n$/, /^call to invalid destination\n$/, /^jump table for insn %d points outside of the subprog /, /^no jump tables found for subprog starting at %u\n$/, /^R%u points to outside of jump table: /, /^the sum of R%u (?:umax|umin)_value %llu is too big\n$/, /^register R%d doesn't point to any offset in map id=%d\n$/, /^R%d has type %s, expected PTR_TO_INSN\n$/, /^R%d has (?:an empty map pointer|incorrect map type %d) \(/, /^invalid insn idx %d insn_cnt %d\n$/, /^insn %d cannot be patched due to 16-bit range\n$/],
    explain: (v) => fmtHas(v, 'last insn')
      ? 'A subprogram ends with an instruction that can fall through into the next one; every function must end with exit or a jump. Usually a compiler issue with noreturn calls.'
      : fmtHas(v, 'ldimm64')
        ? `A jump lands on the second half of the 16-byte ld_imm64 at insn ${v.arg(0)}. The object is corrupt.`
        : fmtHas(v, 'patched')
          ? `The verifier's rewrites would move a jump at insn ${v.arg(0)} beyond the 16-bit jump offset range: the function is too long. Split it.`
          : fmtHas(v, 'jump table') || fmtHas(v, 'PTR_TO_INSN') || fmtHas(v, 'map id') || fmtHas(v, 'sum of R') || fmtHas(v, 'map pointer') || fmtHas(v, 'map type')
            ? `An indirect jump (gotox, from a switch compiled to a jump table) is not provably inside its jump table: "${v.line}".`
            : `A jump or call leaves the function it is in or the program (${v.args.join(' → ') || 'invalid target'}). The object file is corrupt, or hand-written assembly jumps across functions.`,
    fixStrategies: ['none'],
  },
  {
    code: 'insn-encoding', category: 'Program Structure',
    families: [/ uses reserved fields\n$/, /^unknown (?:insn class %d|opcode %02x)\n$/, /^invalid BPF_(?:ALU|JMP\/JMP32) opcode %x\n$/, /^invalid BPF_LD(?:_IMM insn| mode)\n$/, /^(?:invalid|unrecognized) bpf_ld_imm64 insn\n$/, /^BPF_ATOMIC uses invalid atomic opcode %02x\n$/, /^invalid atomic operand size\n$/, /^invalid may_goto (?:imm %d|off %d imm %d)\n$/, /^addr_space_cast insn can only /, /^Unknown conditional jump %x\n$/, /^64-bit (?:load-acquires|store-releases) are only supported on 64-bit arches\n$/, /^reserved field \(insn\[1\]\.imm\) is used in pseudo_btf_id ldimm64 insn\.\n$/, /^sign extending loads from arena are not supported yet\n$/, /^BPF_(?:ATOMIC|ST|XADD) (?:stores into|loads from) R%d %s is not allowed\n$/],
    explain: (v) => fmtHas(v, 'stores into') || fmtHas(v, 'loads from')
      ? `An atomic or immediate store targets R${v.arg(0)}, a ${v.arg(1)}, which this instruction cannot write (e.g. the context or a packet). Use a plain store or a helper.`
      : `The instruction is not valid BPF for this kernel ("${v.line}"). Compile for a CPU version this kernel supports (clang -mcpu=v3 or lower for old kernels; v4 instructions need 6.6+), or fix hand-written assembly.`,
    fixStrategies: ['mcpu-v4'],
    hints: [{ when: { upTo: '6.1' }, text: 'Kernels before 6.6 reject the cpu v4 instructions (sign-extending loads and moves, 32-bit gotol, bswap); compile with -mcpu=v3.' }],
  },
  {
    code: 'div-shift', category: 'Program Structure',
    families: [/^div by zero\n$/, /^invalid shift %d\n$/],
    explain: (v) => fmtHas(v, 'div')
      ? 'A division or modulo by the constant 0. Check the divisor.'
      : `A shift by the constant ${v.arg(0)}, not less than the operand width (32 or 64). Mask the shift amount.`,
    fixStrategies: ['none'],
  },
  {
    code: 'ld-abs', category: 'Program Structure',
    families: [/^BPF_LD_\[ABS\|IND\] instructions not allowed for this program type\n$/, /^LD_ABS is (?:not allowed in subprogs without BTF|only allowed in functions that return 'int')/, /^cannot use BPF_LD_\[ABS\|IND\] within callback\n$/],
    explain: () => 'Legacy packet loads (LD_ABS/LD_IND, from load_byte()/load_half()) are only allowed in socket filters and tc programs, in functions returning int with BTF, and not in callbacks. Use bpf_skb_load_bytes() or direct packet access.',
    fixStrategies: ['use-helper'],
  },
  {
    code: 'tail-call', category: 'Program Structure',
    families: [/^tail_call (?:is not allowed in subprogs without BTF|is only allowed in functions that return 'int')/, /^tail_calls are not allowed in (?:non-JITed programs with bpf-to-bpf calls|programs with stack args)\n$/, /^mixing of tail_calls and bpf-to-bpf calls is not supported\n$/, /^cannot tail call within (?:callback|exception cb)\n$/, /^tail_call abusing map_ptr\n$/, /^expected prog array map for tail call/],
    explain: (v) => `Tail calls are restricted here: "${v.line}". Tail calls need a JIT when combined with bpf-to-bpf calls, BTF for subprograms, an int return type, and may not be made from callbacks.`,
    fixStrategies: ['reduce-complexity'],
  },
  {
    code: 'callback', category: 'Program Structure',
    families: [/^callback function (?:cannot be the main program|not static)\n$/, /^callbacks are not allowed in non-JITed programs\n$/, /^missing btf func_info\n$/, /^bpf_throw kfunc \(insn %d\) cannot be called from callback subprog %d/, /^insn %d cannot call exception cb directly/, /^exception (?:callback|cb) /, /^multiple exception callback tags for main subprog\n$/, /^invalid (?:btf id for main subprog|exception callback insn_off) in func_info/, /^unexpected __bpf_trap\(\) due to uninitialized variable\?\n$/],
    explain: (v) => fmtHas(v, '__bpf_trap')
      ? 'The compiler inserted a trap where it found a read of an uninitialised variable (undefined behaviour). Initialise the variable on every path.'
      : `A callback (bpf_loop, for_each_map_elem, timers) or exception handler is declared or used in a way the verifier rejects: "${v.line}". Callbacks must be static functions with BTF (func_info), passed by name; exception callbacks need global linkage.`,
    fixStrategies: ['fix-btf'],
  },
  {
    code: 'func-info', category: 'Program Structure',
    families: [/^number of funcs in func_info doesn't match number of subprogs\n$/, /^func_info BTF section doesn't match subprog layout in BPF program\n$/, /func info record/, /^nonzero tailing record in (?:func info|line_info|core_relo)/, /^invalid type id %d in func info/, /line_info/, /^Invalid insn code at line_info/, /^Invalid core_relo\[%u\]\.insn_off:%u prog->len:%u\n$/, /^invalid func info rec size %u\n$/],
    explain: (v) => fmtHas(v, 'number of funcs')
      ? 'The program\'s BTF function info lists a different number of functions than the verifier found subprograms. On kernels before 5.13 this is how a callback function (bpf_loop, for_each_map_elem, timers: BPF_PSEUDO_FUNC) shows up: the kernel does not know callbacks, so the callback is not a subprogram to it. Otherwise the object\'s .BTF.ext does not match its code: rebuild it.'
      : `The program's BTF.ext (func_info / line_info / CO-RE relocations) does not match its instructions: "${v.line}". Rebuild the object with a matching clang and libbpf; do not strip or patch instructions after compiling.`,
    fixStrategies: ['regenerate-btf', 'upgrade-kernel'],
    hints: [{ when: { upTo: '5.10' }, text: 'On 5.10 this message is what a program using bpf_loop() or another callback-taking helper gets: callbacks (BPF_PSEUDO_FUNC) arrived in 5.13 and bpf_loop in 5.17.' }],
  },
  {
    code: 'ldimm64-btf', category: 'Program Structure',
    families: [/^ldimm64 /, /^pseudo btf_id %d in ldimm64 isn't KIND_VAR/, /^kernel is missing BTF, make sure CONFIG_DEBUG_INFO_BTF=y is specified in Kconfig\.\n$/, /^invalid module BTF (?:object FD|fd) specified\.?\n$/, /^BTF fd for kfunc is not a module BTF\n$/, /^too many different module BTFs\n$/, /^negative offset disallowed for kernel module function call\n$/, /^in-kernel BTF is malformed\n$/, /^btf_vmlinux is malformed\n$/, /^kern ctx type id %u is not a struct\n$/],
    explain: (v) => `A reference to a kernel symbol or type (a ksym, kfunc or module BTF) cannot be resolved: "${v.line}". The kernel needs CONFIG_DEBUG_INFO_BTF=y (and module BTF for module symbols); check that the symbol exists in this kernel.`,
    fixStrategies: ['upgrade-kernel'],
  },
  {
    code: 'kfunc-unavailable', category: 'Program Structure',
    families: [/^failed to find BTF for kernel function\n$/, /^cannot find address for kernel function %s\n$/, /^address of kernel (?:function %s|func_id %u) is out of range\n$/, /^kernel (?:btf_id %[ud] is not a function|function btf_id %[ud] does not have a valid func_proto)\n$/, /^invalid kernel function btf_id %d\n$/, /^cannot find function %s in BTF\n$/, /^function name %s%s is too long\n$/, /^too many different kernel function calls\n$/, /^kernel function %s (?:returns pointer type %s %s is not supported|unhandled dynamic return type)\n$/, /^metadata kfuncs /, /^JIT (?:does not support calling (?:kernel function|kfunc %s#%d)|is required for calling kernel function|does not support kfunc %s\(\) with arena pointer arguments)\n$/, /^calling kernel functions are not allowed in non-JITed programs\n$/, /^invalid kernel function call not eliminated in verifier pass\n$/],
    explain: (v) => `A kernel function (kfunc) call cannot be used on this kernel: "${v.line}". The kfunc may not exist in this kernel version or its module is not loaded, or it needs the JIT. Check the kernel version that introduced it (bpf_ksym_exists() lets a program fall back).`,
    fixStrategies: ['upgrade-kernel'],
  },
  {
    code: 'map-fd', category: 'Program Structure',
    families: [/^fd %d is not pointing to valid bpf_map/, /^fd_idx /, /^fd_array/, /^kfunc fd_idx /, /^kfunc offset > 0 without fd_array is invalid\n$/, /^The total number of (?:maps|btfs) per program has reached the limit of %u\n$/, /^Failed to properly initialize insn array\n$/, /^Invalid read of %d bytes from insn_array\n$/],
    explain: (v) => `A map or BTF object the program refers to (by file descriptor in a ld_imm64, or through fd_array) is invalid: "${v.line}". The loader passed a wrong or closed fd; with libbpf this points to a map that failed to be created.`,
    fixStrategies: ['none'],
  },
  {
    code: 'map-prog-compat', category: 'Program Structure',
    families: [/^(?:tracing|socket filter) progs cannot use /, /^(?:trace type|perf_event) programs /, /^bpf_struct_ops map cannot be used in prog\n$/, /^offload device mismatch between prog and map\n$/, /^only one cgroup storage of each type is allowed\n$/, /^Only one arena per program\n$/, /^JIT (?:doesn't support arena|is required to use arena)\n$/, /^arena's user address must be set via map_extra or mmap\(\)\n$/, /^program's hash doesn't match map's excl_prog_hash\n$/],
    explain: (v) => `This map cannot be used by this program: "${v.line}". Some map types and special fields (spin locks, timers, arenas, run-time allocated hash maps) are restricted to certain program types or need the JIT.`,
    fixStrategies: ['change-prog-type'],
  },
  {
    code: 'attach-target', category: 'Program Structure',
    families: [/^attach_btf_id %u /, /^Tracing programs must provide btf_id\n$/, /^(?:FENTRY\/FEXIT|Tracing) program can only be attached to another program annotated with BTF\n$/, /^Only FENTRY\/FEXIT(?:\/FSESSION)? progs are attachable to another BPF prog\n$/, /^Cannot (?:extend fentry|recursively attach|replace (?:kernel|static) functions|nest tracing program|attach to a target with arena)/, /^Can attach to only JITed progs\n$/, /^Extension program changes packet data/, /^Extension programs should be JITed\n$/, /^Subprog %s doesn't exist\n$/, /^The address of function %s cannot be found\n$/, /^%s\(\) is not modifiable\n$/, /^can't modify return codes of BPF programs\n$/, /^Attach(?:ing)? /, /^Cannot find btf of tracepoint template/, /^Target program bound device mismatch/, /^%s programs cannot attach to exception callback\n$/, /^JIT does not support (?:fsession|arena arguments)\n$/, /^attach to (?:invalid member|unsupported member)/, /^struct_ops module %s is not found\n$/, /^Private stack not supported by jit\n$/, /^arena argument of %s requires a program with an associated arena\n$/, /^ret type %s not allowed for fmod_ret\n$/, /^program requires BPF JIT compiler but it is not available\n$/, /^JIT doesn't support bpf-to-bpf calls\n$/, /^stack args are not supported in non-JITed programs\n$/],
    explain: (v) => `The program's attach target or type does not fit: "${v.line}". Check the SEC() name (function name, hook, struct_ops member) against this kernel: the target must exist, be traceable and match the program type; extensions and fentry on BPF programs need BTF and the JIT.`,
    fixStrategies: ['fix-attach-target'],
  },
  {
    code: 'btf-ctx-access', category: 'Memory Safety',
    families: [/^func '%s' /, /^invalid btf_id for context argument offset %u\n$/],
    explain: (v) => `A tracing program reads its context (the traced function ${v.arg(0)}'s arguments) in a way the function's BTF does not allow: "${v.line}". Read arguments through BPF_PROG()/the ctx array at 8-byte slots, one per declared argument, with the declared types.`,
    fixStrategies: ['fix-ctx-access'],
  },
  {
    code: 'btf-func-match', category: 'Program Structure',
    families: [/^%s\(\) (?:has %d args while %s\(\) has %d args|is not a global function)\n$/, /^arg%d (?:%s\(struct %s \*\) doesn't match|in %s\(\) (?:has size|has unrecognized type|is %s while))/, /^Return type %s of %s\(\) doesn't match type %s of %s\(\)\n$/, /^Program extension requires BTF\n$/],
    explain: (v) => `A freplace (extension) program must have exactly the BTF prototype of the function it replaces: "${v.line}". Declare the replacement with the same argument and return types.`,
    fixStrategies: ['fix-btf'],
  },
  {
    code: 'map-create', category: 'Program Structure',
    families: [/^Invalid (?:attr|btf_fd|btf_value_type_id|excl_prog_hash_size|map_extra|map_name|map_token_fd|map_type|numa_node)\.\n$/, /^btf_vmlinux_value_type_id /],
    explain: (v) => `The map could not be created: "${v.line}". Check the map definition (type, name, flags, BTF key/value types) against this kernel.`,
    fixStrategies: ['none'],
  },
  {
    code: 'core-relo', category: 'Program Structure',
    families: [/^relo #%u: bad type id %u\n$/, /^target candidate search failed for %d\n$/],
    explain: (v) => `A CO-RE relocation the kernel performs (for light skeletons / loaders) failed: "${v.line}". The program refers to a type this kernel's BTF does not have.`,
    fixStrategies: ['regenerate-btf'],
  },
];

// ---------------------------------------------------------------------------------------------
// BTF: the object's type information, checked when it is loaded (BPF_BTF_LOAD's own log, which
// libbpf prints when BTF loading fails) and dumped while it is checked.

/** Printers of the BTF loader's log (kernel/bpf/btf.c). */
const BTF_LOG_PRINTERS = new Set(['btf_verifier_log', 'btf_verifier_log_type', 'btf_verifier_log_basic', 'btf_verifier_log_member', 'btf_verifier_log_vsi', '__btf_verifier_log', '__btf_verifier_log_type']);
const btfLog = (fns: RegExp) => (r: { files: string[]; printers: string[]; functions: string[] }) =>
  r.files.every((f) => f === 'kernel/bpf/btf.c') && r.printers.every((p) => BTF_LOG_PRINTERS.has(p)) && r.functions.some((f) => fns.test(f));

const BTF: EntryDef[] = [
  {
    code: 'btf-header', category: 'Program Structure',
    where: btfLog(/^(?:btf_parse_hdr|btf_check_sec_info|btf_parse_str_sec|btf_parse_type_sec|btf_parse_layout_sec|btf_add_type|btf_check_all_metas)$/),
    explain: (v) => `The BTF blob's header or section layout is invalid ("${v.line}"): wrong magic/version, sections overlapping or out of bounds, or an unterminated string section. The BTF was produced by a tool this kernel does not understand (e.g. a newer pahole/clang BTF feature) or is corrupt; regenerate it, or let libbpf sanitize it (it drops features the kernel lacks).`,
    fixStrategies: ['regenerate-btf', 'upgrade-kernel'],
  },
  {
    code: 'btf-type', category: 'Program Structure',
    where: btfLog(/(?:check_meta|_resolve|check_member|check_kflag_member|_check|btf_check_type_tags|btf_check_modifier_chain_length|btf_resolve)$/),
    explain: (v) => `A type in the object's BTF is invalid: "${v.line}". The line starts with the type's id, kind and name (\`[id] KIND name\`); the kernel rejects the whole BTF. Usually a compiler/pahole feature this kernel does not know (e.g. new kinds or flags); rebuild with matching tools or rely on libbpf's BTF sanitisation.`,
    fixStrategies: ['regenerate-btf', 'upgrade-kernel'],
  },
  {
    code: 'btf-dump', category: 'Program Structure', kind: 'trace', fallback: true,
    where: (r) => r.files.every((f) => f === 'kernel/bpf/btf.c') && r.printers.every((p) => BTF_LOG_PRINTERS.has(p)),
    families: [/^CO-RE relocating /, /cand_cache:/, /^\[%d\]%s\($/, /^\), $/, /^marking pointer arg%d as scalar as it may encode error/],
    explain: (v) => `Part of the kernel's dump of the BTF (or CO-RE candidates) it is checking: "${v.line}". It describes the type being checked when an error follows.`,
    fixStrategies: ['none'],
  },
];

// ---------------------------------------------------------------------------------------------
// Verifier bugs: the kernel found itself inconsistent. Not the program's fault; the program may
// still be changed to avoid the path. One entry per area of the verifier.

const BUG_EXPLAIN = (area: string) => (v: Values) =>
  `The verifier reports an internal inconsistency in ${area} ("${v.line}"). This is a kernel bug, not a fault of the program; report it with the log (and the kernel version). Rewriting the code that reaches this point (other types, fewer branches) may avoid it meanwhile.`;

const BUGS: EntryDef[] = [
  {
    code: 'verifier-bug-bounds', category: 'Register Type Safety', kind: 'bug',
    families: [/REG INVARIANTS VIOLATION/, /^verifier internal error: (?:no src_reg|unexpected ptr_reg)\n$/, /^verifier bug: const R%d: /],
    explain: BUG_EXPLAIN('its register range tracking'),
    fixStrategies: ['report-kernel-bug'],
  },
  {
    code: 'verifier-bug-precision', category: 'Register Type Safety', kind: 'bug',
    families: [/^BUG /, /^verifier bug: (?:backtrack|callback |static subprog|global subprog|subprog e|insn history|extra insn)/, /^verifier BUG type /, /^BUG: in callback /],
    explain: BUG_EXPLAIN('precision backtracking'),
    fixStrategies: ['report-kernel-bug'],
  },
  {
    code: 'verifier-bug-cfg', category: 'Program Structure', kind: 'bug',
    families: [/internal bug\n$/, /^verifier bug: (?:add backedge|scc exit|pop stack|visit_insn|insn state)/, /^verifier bug: env->cur_state->loop_entry/, /^verifier bug: (?:in callback at|No program|get stack depth|callee not found|Frame %d|subprog has|only one hidden)/, /^verifier bug\. /, /^verifier internal error: only one hidden subprog supported\n$/, /^failed to push state /, /^verifier bug: failed to /, /branches_to_explore=/, /allocated_stack too small/],
    explain: BUG_EXPLAIN('its control-flow walk or subprogram bookkeeping'),
    fixStrategies: ['report-kernel-bug'],
  },
  {
    code: 'verifier-bug-fixup', category: 'Program Structure', kind: 'bug',
    families: [/^bpf verifier (?:is misconfigured|narrow ctx (?:access|load) misconfigured)\n$/, /^kernel subsystem misconfigured /, /^adding tail call poke descriptor failed\n$/, /^tracking tail call prog failed\n$/, /^verifier bug: (?:narrow|epilogue|prologue|gen_|error during ctx|%d insns generated|poke tab|not inlined|stack_slots|zext_dst|access to a fault prone|Pointer type unsupported|NULL kptr|kptr_struct_meta|kernel function descriptor|pseudo btf id|unexpected src reg)/, /^verifier internal error: (?:NULL kptr_struct_meta|kptr_struct_meta|kernel function descriptor)/, /^Please fix kernel include\/linux\/bpf_types\.h\n$/, /^map type %d is misconfigured\n$/, /^(?:invalid|unknown) return type %[du] of func %s#%d\n$/, /^verifier bug: (?:incorrect func proto|func %s)/, /^failed to mark s32 range /],
    explain: BUG_EXPLAIN('the rewrites it applies after verification (context access conversion, helper inlining, JIT preparation) or a helper\'s definition'),
    fixStrategies: ['report-kernel-bug'],
  },
  {
    code: 'verifier-bug', category: 'Call Type Safety', kind: 'bug', fallback: true,
    families: [/^verifier internal error/, /^verifier bug/, /^Verifier bug/, /^bug: bad parent state/, /^mark_reg_(?:known_zero|not_init|unknown)\(regs, %u\)\n$/, /^invalid map_ptr to access map->/],
    explain: BUG_EXPLAIN('its checks of calls, arguments, references or objects'),
    fixStrategies: ['report-kernel-bug'],
  },
];

// ---------------------------------------------------------------------------------------------
// Trace: what the verifier prints while it works (level 1 and 2). Never the reason of a
// rejection; matched so that a reader can tell a trace line from an error.

const STATE_PRINTERS = /^(?:print_verifier_state|print_reg_state|print_scalar_ranges|verbose_snum|verbose_unum|print_liveness|print_insn_state)$/;

const TRACE: EntryDef[] = [
  {
    code: 'trace-state', category: 'Register Type Safety', kind: 'trace',
    where: (r) => r.functions.every((f) => STATE_PRINTERS.test(f)),
    explain: (v) => `Part of a register/stack state dump ("${v.line}"): what the verifier knows about each register and stack slot at this point of the walk.`,
    fixStrategies: ['none'],
  },
  {
    code: 'trace-walk', category: 'Program Structure', kind: 'trace',
    families: [/^\nfrom %d to %d%s:/, /^%d: safe\n$/, /^%d:$/, /^%d: $/, /^(?:caller|callee|returning from callee):\n$/, /^to caller at %d:\n$/, /^Func#%d /, /^Validating %s\(\) func#%d\.\.\.\n$/, /^func#%d @%d\n$/, /^(?:cur|old) state:$/, /^ @ %s:%u\n$/],
    explain: (v) => `Progress of the verifier's walk ("${v.line}"): which path, function or instruction it is at, or that a state was pruned as safe.`,
    fixStrategies: ['none'],
  },
  {
    code: 'trace-precision', category: 'Register Type Safety', kind: 'trace',
    families: [/^mark_precise: /, /^force_precise: /, /^last_idx %d first_idx %d\n$/, /^regs=%x stack=%llx before $/, /^parent %s regs=%x stack=%llx marks/, /^frame %d: propagating /, /^stack=%s(?: before |: )$/, /^,(?:r|fp)%d$/],
    explain: (v) => `Precision tracking ("${v.line}"): the verifier walks back to find which registers and stack slots decided a branch, so it can keep their exact values.`,
    fixStrategies: ['none'],
  },
  {
    code: 'trace-liveness', category: 'Program Structure', kind: 'trace',
    where: (r) => r.files.every((f) => f === 'kernel/bpf/liveness.c' || f === 'kernel/bpf/states.c') && !r.format.startsWith('verifier bug'),
    families: [/^topo_order\[%d\] = %s\n$/, /^SCC (?:enter|exit|backedge) %s\n$/],
    explain: (v) => `Output of the verifier's pre-passes ("${v.line}"): register liveness, argument tracking, loop (SCC) analysis and the order subprograms are verified in.`,
    fixStrategies: ['none'],
  },
  {
    code: 'kernel-diagnostic', category: 'Program Structure', kind: 'trace',
    where: (r) => r.files.every((f) => f === 'kernel/bpf/diagnostics.c'),
    explain: (v) => `Part of the structured explanation kernels 7.3+ append to a failure ("${v.line}": the category line, Reason, At, Causal path, Suggestion). It restates the error above it.`,
    fixStrategies: ['none'],
  },
  {
    code: 'trace-stats', category: 'Program Structure', kind: 'trace',
    families: [/^processed %d insns \(limit %d\) /, /^verification time %lld usec\n$/, /^stack depth $/, /^stack depth max %d\n$/, /^subprog %d \(%s\) %s insns_self /],
    where: (r) => r.functions.every((f) => f === 'print_verification_stats'),
    explain: (v) => `Statistics of the verification ("${v.line}"): instructions processed against the limit, states explored, stack depth per function, time.`,
    fixStrategies: ['none'],
  },
];

/** Formats with no word of their own: pieces of lines (values, separators, padding). */
const LITERAL_WORD = /[A-Za-z_]{3,}/;
const literalOf = (f: string) => f.replace(/%[-+ #0]*(?:\*|\d+)?(?:\.\d+)?(?:hh|h|ll|l|z|j|t|L)?[diouxXcsp%]/g, ' ');

TRACE.push({
  code: 'trace-fragment', category: 'Program Structure', kind: 'trace', fallback: true,
  where: (r) => !LITERAL_WORD.test(literalOf(r.format)) && !r.printers.every((p) => BTF_LOG_PRINTERS.has(p)),
  explain: (v) => `A piece of a longer line ("${v.line}"): a value, separator or padding the verifier prints between other parts.`,
  fixStrategies: ['none'],
});

export const ENTRY_DEFS: EntryDef[] = [
  ...MEMORY, ...STACK, ...REGISTERS, ...POLICY, ...CALLS, ...RESOURCES, ...CONTEXT, ...STRUCTURE, ...BTF, ...BUGS, ...TRACE,
];
