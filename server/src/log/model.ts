/**
 * The verifier-log model: the contract between the log grammar and everything that reads a log
 * (diagnostics, hovers, the CLI, later the source mapping and the runner).
 *
 * Invariants
 * - Immutable once built. Nothing downstream mutates a `VerifierLog`.
 * - Lines are 0-based everywhere inside the model; the CLI and LSP convert at their edge.
 * - `insn` is always the *verifier's* instruction index (as the kernel printed it), never an
 *   object-file offset: mapping to ELF sections happens in the mapping layer.
 * - Register and stack state is stored as deltas with periodic checkpoints (see `state.ts`);
 *   a full state per line is never materialised for the whole log (47 MB logs have ~600k lines).
 */

/** Syntax generation of the verifier that printed the log. */
export type Generation = '4.x' | '5.x' | '6.x' | '7.3+' | 'unknown';

/** What one physical line of the log is. Stored per line in a Uint8Array. */
export const enum LineKind {
  Blank = 0,
  /** Text the grammar has no rule for, outside the error region. */
  Unrecognised,
  /** `5: (2d) if r3 > r2 goto pc+9  ; R2=pkt_end() …` — an instruction, with optional state. */
  Instruction,
  /** `6: R0_w=inv2 R1=ctx(…)` or ` R0=…` (4.x/5.x) or `9: R1=1` (6.x): state at an insn. */
  State,
  /** `from 6 to 8: R0=…` — the verifier pops a pending branch and starts a new path. */
  PathStart,
  /** `; C text @ file.c:N` or `; C text` — the line-info record of the following insns. */
  SourceNote,
  /** `func#0 @0` — a subprogram starts at instruction N. */
  FuncStart,
  /** `Live regs before insn:` and its per-insn rows. */
  LiveRegsHeader,
  LiveRegsRow,
  /** `mark_precise: …`, `frame 0: propagating r1`, `(0) frame 0 insn 6 +live -8`, `SCC enter (1)`. */
  Bookkeeping,
  /** `Validating f() func#2...`, `Func#2 ('f') is safe for any args that match its prototype`. */
  GlobalFunc,
  /** `returning from callee:` / `to caller at 8:` and their indented state lines. */
  CallReturn,
  /** Informational lines the kernel prints before or around the walk (`arg#0 reference type…`). */
  Info,
  /** The verifier's error message (one or more lines). */
  Error,
  /** The kernel ≥ 7.3 `Verification failed:` block, every line of it. */
  DiagnosticBlock,
  /** `processed N insns …`, `verification time N usec`, `stack depth N`. */
  Stats,
  /** Text a loader wraps around the log: libbpf, bpftool, bpftrace, cilium/ebpf, tc, BCC. */
  Loader,
  /** The static pre-pass of newer kernels: `topo_order[0] = f`, `subprog#0: analyzing…`, listings. */
  Prepass,
}

export const LINE_KIND_NAMES: readonly string[] = [
  'blank', 'unrecognised', 'instruction', 'state', 'pathStart', 'sourceNote', 'funcStart',
  'liveRegsHeader', 'liveRegsRow', 'bookkeeping', 'globalFunc', 'callReturn', 'info', 'error',
  'diagnosticBlock', 'stats', 'loader', 'prepass',
];

/**
 * Instruction events: one per occurrence of an instruction on a verified path, stored
 * column-wise (a 47 MB level-2 log has hundreds of thousands). Read one with `eventAt`.
 */
export interface EventTable {
  count: number;
  insn: Int32Array;
  /** 0-based log line of the instruction. */
  line: Uint32Array;
  /** Opcode byte as printed, e.g. 0x2d. */
  opcode: Uint8Array;
  /** Call frame the instruction ran in (0 = main program). */
  frame: Uint8Array;
  /** Index into `VerifierLog.paths`. */
  path: Uint32Array;
  /** Index into `sourceNotes` of the nearest note above (may belong to another statement), or -1. */
  note: Int32Array;
}

/** One event, materialised. */
export interface InsnEvent {
  index: number;
  insn: number;
  line: number;
  opcode: number;
  /** Disassembly text, e.g. `if r3 > r2 goto pc+9`. */
  text: string;
  frame: number;
  path: number;
  note: number;
}

/** A verified path: starts at the program entry, a `from X to Y:` line, or a callee entry. */
export interface PathInfo {
  index: number;
  /** Line of the `from` line (or of the first instruction for the entry path). */
  line: number;
  fromInsn: number | null;
  toInsn: number;
  /** `from 21 to 8: safe`: the state was pruned right away. */
  pruned: boolean;
}

/** A source note, decoded on demand from its line (`sourceNoteAt`). */
export interface SourceNoteInfo {
  line: number;
  /** The C text the kernel printed (without the `@ file:N` suffix). */
  text: string;
  file: string | null;
  sourceLine: number | null;
}

export interface SubprogInfo {
  /** `func#N`. */
  id: number;
  startInsn: number;
  line: number;
  /** Name when the log says it (`Validating f() func#2...`). */
  name: string | null;
}

/** A contiguous foldable range of lines with a label (paths, tables, bookkeeping runs). */
export interface Region {
  kind: 'path' | 'liveRegs' | 'bookkeeping' | 'diagnosticBlock' | 'loader' | 'callReturn' | 'prepass';
  startLine: number;
  endLine: number;
  label: string;
}

/** Where the kernel (≥ 7.3) or the log's own notes place the failure in C. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number | null;
  function?: string;
}

/** One entry of the kernel's own `Causal path:` (v7.3+). */
export interface KernelCausalStep {
  location: SourceLocation | null;
  insn: number | null;
  /** `update: R1 changed from …` / `branch: took the false branch …`. */
  text: string;
  line: number;
}

/** The kernel ≥ 7.3 `Verification failed:` block. */
export interface KernelDiagnostic {
  category: string;
  problem: string;
  reason: string;
  at: SourceLocation | null;
  atInsn: number | null;
  causalPath: KernelCausalStep[];
  suggestion: string;
  startLine: number;
  endLine: number;
}

/** The verifier's error: its message lines and where in the walk it happened. */
export interface LogError {
  /** The message lines joined with `\n`, as printed. */
  message: string;
  /** The most specific line (e.g. `R1 offset is outside of the packet` rather than the context line). */
  headline: string;
  startLine: number;
  endLine: number;
  /** Instruction the verifier was checking when it failed (the last one printed), or null. */
  insn: number | null;
  /** Index into `events` of that instruction's occurrence, or null. */
  event: number | null;
}

export interface Stats {
  processedInsns: number | null;
  insnLimit: number | null;
  maxStatesPerInsn: number | null;
  totalStates: number | null;
  peakStates: number | null;
  markRead: number | null;
  verificationTimeUsec: number | null;
  stackDepth: string | null;
  line: number | null;
}

export interface LoaderInfo {
  /** Which loader's text was found around the log. */
  loaders: string[];
  /** Program name the loader mentions (`libbpf: prog 'x': …`). */
  programName: string | null;
  /** errno the loader reports (`failed to load: -13`, `Permission denied (13)`). */
  errno: number | null;
}

export type Verdict = 'rejected' | 'accepted' | 'unknown';

/** The parsed log. Produced by `parseLog`, never mutated afterwards. */
export interface VerifierLog {
  text: string;
  generation: Generation;
  verdict: Verdict;
  /** The log starts mid-stream (kernel rotated it) or ends without stats. */
  truncated: boolean;
  truncatedStart: boolean;
  truncatedEnd: boolean;
  lineCount: number;
  /** Start offset of each line in `text` (length lineCount + 1; last entry = text length + 1). */
  lineStarts: Uint32Array;
  /** `LineKind` of each line. */
  lineKinds: Uint8Array;
  events: EventTable;
  paths: PathInfo[];
  /** Lines of the source notes, in log order. */
  sourceNotes: Uint32Array;
  subprogs: SubprogInfo[];
  regions: Region[];
  errors: LogError[];
  kernelDiagnostic: KernelDiagnostic | null;
  stats: Stats;
  loader: LoaderInfo;
  /** Register/stack state store; query through `stateAt` in `state.ts`. */
  states: import('./state').StateStore;
}
