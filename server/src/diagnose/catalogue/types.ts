/**
 * Types of the verifier message catalogue: the data extracted from kernel sources
 * (formats.json / formats.ts, written by scripts/catalogue/extract.mjs) and the entries that
 * explain them (entries.ts).
 */

/** The seven categories of the kernel's own diagnostics (kernel/bpf/diagnostics.c, 7.3+). */
export type KernelCategory =
  | 'Register Type Safety' | 'Memory Safety' | 'Resource Lifetime Safety' | 'Call Type Safety'
  | 'Execution Context Safety' | 'Program Structure' | 'Policy';

export const KERNEL_CATEGORIES: readonly KernelCategory[] = [
  'Register Type Safety', 'Memory Safety', 'Resource Lifetime Safety', 'Call Type Safety',
  'Execution Context Safety', 'Program Structure', 'Policy',
];

/**
 * Where a format lands on a log line, as the extractor read it from the printer:
 * - `line`: a whole line (the format, or the printer, ends it with a newline);
 * - `prefix`: the start of a line that later prints continue (no newline);
 * - `suffix`: the end of a line whose start the printer writes itself (BTF's `[id] KIND name`);
 * - `middle`: neither end is known.
 */
export type Placement = 'line' | 'prefix' | 'suffix' | 'middle';

/** A 7.3+ message's own category: the bpf_diag_*() report that follows it in the source. */
export interface KernelDiag {
  category: KernelCategory;
  via: string;
  problem?: string;
}

export interface FormatRecord {
  format: string;
  /** Kernel series (major.minor) whose sources print this format. */
  versions: string[];
  files: string[];
  functions: string[];
  printers: string[];
  placement: Placement;
  diag?: KernelDiag[];
}

export interface KernelSource {
  series: string;
  package: string;
  debianVersion: string;
  suite: string;
  upstream: string;
  files: string[];
  printers: string[];
}

export interface FormatsFile {
  generatedBy: string;
  kernels: KernelSource[];
  stats: Record<string, { formats: number; calls: number; whitespaceOnly: number; unresolved: number }>;
  unresolved: string[];
  formats: FormatRecord[];
}

/** Names of the fixes an editor can offer or a reader can apply; 'none' when no change helps. */
export type FixStrategy =
  | 'bounds-check' | 'null-check' | 'clamp-index' | 'unsigned-offset' | 'barrier-var' | 'memset-stack'
  | 'copy-to-stack' | 'bound-loop' | 'bpf-loop' | 'release-reference' | 'gpl-license' | 'normalise-return'
  | 'mcpu-v4' | 'init-register' | 'use-helper' | 'probe-read' | 'change-prog-type' | 'fix-attach-target'
  | 'reduce-complexity' | 'reduce-stack' | 'fix-btf' | 'regenerate-btf' | 'upgrade-kernel' | 'add-capability'
  | 'lock-discipline' | 'context-discipline' | 'fix-arg-type' | 'fix-ctx-access' | 'align-access'
  | 'avoid-pointer-leak' | 'report-kernel-bug' | 'none';

/**
 * What a message is:
 * - `error`: why the program was rejected;
 * - `follow-up`: a second line the kernel prints after a more specific one for the same failure
 *   (e.g. `R1 max value is outside of the allowed memory range` after `invalid access to map value`);
 *   it names the failure only when no specific line is there;
 * - `bug`: the verifier reports an internal inconsistency (a kernel bug, not the program's fault);
 * - `trace`: progress, state dumps, statistics, BTF dumps: never a diagnosis.
 */
export type EntryKind = 'error' | 'follow-up' | 'bug' | 'trace';

/** The values of one occurrence, captured by a format's matcher. */
export interface Values {
  /** The format that matched. */
  readonly format: string;
  /** The whole log line (trimmed): a fragment's explanation may read what later prints added. */
  readonly line: string;
  /** Captured conversions in format order (a `*` width is not a value). */
  readonly args: readonly string[];
  /** Argument i, or '?' when the format has fewer. */
  arg(i: number): string;
  /** The value printed right after a literal key: `off=%d` → get('off'); `insn %d` → get('insn'). */
  get(key: string): string | undefined;
  /** The register the message names: `R%d` → 'R3', or a `%s` that printed R<n> (7.3+ spells registers so). */
  readonly reg: string | undefined;
}

/** A kernel-version note: printed only when the log's kernel matches `when` (or always). */
export interface KernelHint {
  /** Series range this hint applies to, e.g. { upTo: '6.1' } or { from: '6.12' }; omitted: always. */
  when?: { from?: string; upTo?: string };
  text: string;
}

/**
 * A sharper code for some values of an entry's message: `R1 invalid mem access 'scalar'` and
 * `R1 invalid mem access 'map_value_or_null'` are one format, but a scalar dereference and a
 * missing NULL check are different mistakes. The first variant whose `when` holds wins.
 */
export interface EntryVariant {
  code: string;
  when(v: Values): boolean;
  category?: KernelCategory;
  explain?(v: Values): string;
  fixStrategies?: FixStrategy[];
  hints?: KernelHint[];
}

export interface EntryDef {
  code: string;
  category: KernelCategory;
  kind?: EntryKind;
  /** Exact format strings (as in formats.json) this entry explains. */
  formats?: string[];
  /**
   * Families: any format whose text matches one of these belongs here, unless another entry
   * lists it exactly. Used for long tails (internal bugs, BTF metadata, state dumps).
   */
  families?: RegExp[];
  /** Families by the extractor's facts (printer, file, placement) rather than by text. */
  where?(r: FormatRecord): boolean;
  variants?: EntryVariant[];
  /** A catch-all: its families claim a format only when no other entry's do. */
  fallback?: boolean;
  explain(v: Values): string;
  fixStrategies: FixStrategy[];
  hints?: KernelHint[];
}

/** An entry with its formats resolved against formats.json. */
export interface Entry extends Omit<EntryDef, 'formats' | 'families'> {
  kind: EntryKind;
  formats: string[];
  families: RegExp[];
  /** Kernel series in which any of the entry's formats occurs. */
  versions: string[];
  /** Hints derived from formats.json: formats that appear or disappear between versions. */
  derivedHints: KernelHint[];
}
