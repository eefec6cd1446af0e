/**
 * DWARF of BPF objects: line tables, functions with their inlined subroutines, and variable
 * locations, read by a WebAssembly module (wasm/, Rust + gimli; built by scripts/build-wasm.sh to
 * dist/bpflens_dwarf.wasm). This file is the glue: it loads the module, copies an object into it,
 * and turns the module's result tables (flat `i32` arrays and a string table, read straight out
 * of the module's memory) into the types below. Sections, files, warnings and functions (name,
 * ranges, declaration) are built at once; line rows, and the variables and inlined subroutines of
 * each scope, are built from a private copy of the tables when first read (so a large object
 * costs little until it is queried, and nothing depends on the module instance afterwards).
 *
 * Addresses are (ELF section index, byte offset in that section): every BPF program section starts
 * at address 0, so an offset alone is ambiguous. Instruction index within a section = offset / 8.
 *
 * Every failure is a {@link DwarfError} naming the file: not ELF, not BPF, no DWARF (no -g),
 * compressed debug sections (-gz), unreadable DWARF. A trap inside the module (a bug, or input
 * the module could not survive) is caught too: the instance is thrown away and the next call
 * starts a fresh one. See wasm/README.md.
 */
import * as fs from 'fs';
import * as path from 'path';
import { sequenceSpan } from './dwarf-index';

export { DwarfIndex, type InlineFrame, type LiveVar } from './dwarf-index';

/** File name of the module; it ships next to dist/server.js and dist/cli.js. */
export const DWARF_WASM_FILE = 'bpflens_dwarf.wasm';
/** The module's `bd_abi_version()` this glue understands. */
export const DWARF_ABI_VERSION = 2;
/** Linear memory never shrinks; above this size the instance is replaced after a read. */
const MEMORY_RESET_BYTES = 256 * 1024 * 1024;
/** wasm32 memory is at most 4 GiB and holds the object, its relocated DWARF and the result. */
const MAX_OBJECT_BYTES = 1024 * 1024 * 1024;

export class DwarfError extends Error {
  /** The problem alone, without the file name. */
  readonly reason: string;

  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'DwarfError';
    this.reason = message;
  }
}

export interface LineRow {
  /** Byte offset in the section (instruction index = offset / 8). */
  offset: number;
  /** Full path (comp dir + directory + name, `.` components dropped); '' when the row names no valid file. */
  file: string;
  /** 0 = compiler-generated code with no source line. */
  line: number;
  /** 0 = no column. */
  column: number;
  isStmt: boolean;
  endSequence: boolean;
  prologueEnd: boolean;
}

export interface LineSequence {
  /** ELF section index. */
  section: number;
  /** In address order; the last row has `endSequence` and the offset just past the code. */
  rows: LineRow[];
}

export type VarLocationKind = 'reg' | 'val' | 'mem' | 'const' | 'addr' | 'expr';

/**
 * Where a variable is while the instruction offset is in [lo, hi) of `section`.
 * - reg: in register `reg` (DW_OP_regN)
 * - val: its value is `reg + offset` (DW_OP_bregN off, DW_OP_stack_value); e.g. `ip = R1+14`
 * - mem: in memory at `reg + offset` (DW_OP_bregN / DW_OP_fbreg; reg 10 = the stack)
 * - const: the constant `offset` (DW_OP_constu/lit + stack_value, DW_AT_const_value); `offset`
 *   is null for a constant that is not an integer
 * - addr: at a static address (DW_OP_addr/addrx); `offset` = offset in its section, named in `text`
 * - expr: anything else; read `text`
 */
export interface VarLocation {
  section: number;
  lo: number;
  hi: number;
  kind: VarLocationKind;
  reg: number | null;
  offset: number | null;
  /** The decoded operations, e.g. `DW_OP_breg1 +14, DW_OP_stack_value`. */
  text: string;
}

export interface DwarfVar {
  name: string;
  param: boolean;
  /** C type name (`struct ethhdr *`, `const char *`, `__u32`); null when the DIE has no type. */
  type: string | null;
  /** Empty when the variable is optimized out everywhere. */
  locations: VarLocation[];
}

export interface DwarfScope {
  /** '??' when the DWARF gives no name. */
  name: string;
  /** [section, lo, hi) */
  ranges: [number, number, number][];
  /** Including those of the scope's lexical blocks (flattened). */
  vars: DwarfVar[];
  inlined: DwarfInlined[];
}

/** A concrete DW_TAG_subprogram; file/line are its declaration. */
export interface DwarfFunction extends DwarfScope {
  file: string | null;
  line: number | null;
}

/** A DW_TAG_inlined_subroutine; callFile/callLine/callColumn are where it was inlined. */
export interface DwarfInlined extends DwarfScope {
  callFile: string | null;
  callLine: number | null;
  callColumn: number | null;
}

export interface DwarfInfo {
  file: string;
  /** Allocated sections (code, maps, license, ...). */
  sections: { index: number; name: string; size: number; exec: boolean }[];
  lines: LineSequence[];
  functions: DwarfFunction[];
  /** Parts of the DWARF that could not be read and were skipped. */
  warnings: string[];
  /** Every source file a line row, function or call site names (full paths, `.` components dropped). */
  files: string[];
}

/**
 * The slice of the WebAssembly JS API used here. The project compiles against lib es2022 without
 * DOM types, which is where TypeScript declares `WebAssembly`, so it is typed locally.
 */
interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
  RuntimeError: new (message?: string) => Error;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: { buffer: ArrayBuffer };
  bd_abi_version(): number;
  bd_alloc(len: number): number;
  bd_free(ptr: number, len: number): void;
  bd_analyze(ptr: number, len: number): number;
  bd_result_ptr(): number;
  bd_result_len(): number;
  bd_result_ints_ptr(): number;
  bd_result_ints_len(): number;
  bd_result_floats_ptr(): number;
  bd_result_floats_len(): number;
  bd_result_free(): void;
  bd_selftest_trap(): void;
}

/** ignoreBOM: a string of the table may start with U+FEFF, which must not be dropped. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Where the module is by default: next to this file (the esbuild bundles in dist/), else in the
 * `dist/` of the nearest ancestor (tests and tools running from out/).
 */
export function defaultWasmPath(): string {
  const beside = path.join(__dirname, DWARF_WASM_FILE);
  if (fs.existsSync(beside)) return beside;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'dist', DWARF_WASM_FILE);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return beside;
  }
}

export class DwarfReader {
  private exports: Exports | null = null;
  private trapsSeen = 0;

  private constructor(
    private readonly module: WasmModule,
    /** The .wasm file this reader was loaded from. */
    readonly wasmPath: string,
  ) {}

  /** Loads and compiles the module (once; instances are cheap to replace). */
  static async load(wasmPath: string = defaultWasmPath()): Promise<DwarfReader> {
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(wasmPath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new DwarfError(wasmPath, `cannot read the DWARF reader module (${code}); build it with scripts/build-wasm.sh (npm run build:wasm)`);
    }
    let module: WasmModule;
    try {
      module = await wasm.compile(bytes);
    } catch (e) {
      throw new DwarfError(wasmPath, `not a valid WebAssembly module (${(e as Error).message}); rebuild it with scripts/build-wasm.sh`);
    }
    const reader = new DwarfReader(module, wasmPath);
    let version: unknown;
    try {
      version = reader.instance().bd_abi_version();
    } catch (e) {
      throw new DwarfError(wasmPath, `not the bpflens DWARF reader module (${(e as Error).message}); rebuild it with scripts/build-wasm.sh`);
    }
    if (version !== DWARF_ABI_VERSION) {
      throw new DwarfError(wasmPath, `module ABI version ${version}, this build expects ${DWARF_ABI_VERSION}; rebuild it with scripts/build-wasm.sh`);
    }
    return reader;
  }

  /** How many traps this reader has recovered from (each one replaced the instance). */
  get traps(): number {
    return this.trapsSeen;
  }

  /** Reads the DWARF of one BPF object. `file` names it in errors and in the result. */
  read(bytes: Uint8Array, file: string): DwarfInfo {
    if (bytes.length > MAX_OBJECT_BYTES) {
      throw new DwarfError(file, `object too large for the DWARF reader (${bytes.length} bytes, at most ${MAX_OBJECT_BYTES})`);
    }
    const ex = this.instance();
    let rc: number;
    let text: string;
    let ints: Int32Array;
    let floats: Float64Array;
    try {
      const ptr = ex.bd_alloc(bytes.length);
      new Uint8Array(ex.memory.buffer, ptr, bytes.length).set(bytes);
      rc = ex.bd_analyze(ptr, bytes.length);
      // Memory may have grown: take fresh views. The tables are copied out, so the result does
      // not depend on this instance (which a later trap may replace).
      const buf = ex.memory.buffer;
      text = utf8.decode(new Uint8Array(buf, ex.bd_result_ptr(), ex.bd_result_len()));
      ints = new Int32Array(buf, ex.bd_result_ints_ptr(), ex.bd_result_ints_len()).slice();
      floats = new Float64Array(buf, ex.bd_result_floats_ptr(), ex.bd_result_floats_len()).slice();
      ex.bd_result_free();
      ex.bd_free(ptr, bytes.length);
    } catch (e) {
      throw this.crashed(file, e);
    }
    if (ex.memory.buffer.byteLength > MEMORY_RESET_BYTES) this.exports = null;
    if (rc !== 0) throw new DwarfError(file, text);
    let tables: Tables;
    try {
      tables = new Tables(ints, floats, text);
    } catch (e) {
      throw new DwarfError(file, `the DWARF reader returned malformed tables (a bug): ${(e as Error).message}`);
    }
    return tables.info(file);
  }

  /** Makes the module trap, to exercise the recovery path (tests). */
  selfTestTrap(): void {
    try {
      this.instance().bd_selftest_trap();
    } catch (e) {
      throw this.crashed('<self-test>', e);
    }
  }

  private crashed(file: string, e: unknown): DwarfError {
    // After a trap the instance's memory and allocator state are unknown: start over next time.
    this.exports = null;
    this.trapsSeen++;
    const what = e instanceof wasm.RuntimeError ? `WebAssembly trap: ${e.message}` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return new DwarfError(file, `the DWARF reader crashed on this object (${what}); the object is probably malformed. The reader was reset and keeps working.`);
  }

  private instance(): Exports {
    if (this.exports === null) {
      const inst = new wasm.Instance(this.module, {});
      this.exports = inst.exports as unknown as Exports;
    }
    return this.exports;
  }
}

// ---- result tables -> API types ----------------------------------------------------------------
// The layout is wasm/src/out.rs's (wasm/README.md, "Result tables"). Every number goes through
// `num` (or `n` where it cannot be null): most are stored as they are; null and the few that do
// not fit in an i32 are escaped.

const UNKNOWN = '??';
/** A null number or string. */
const NULL = -0x80000000;
/** Numbers >= SMALL_MIN are stored as they are; below it (except NULL) is an index into `floats`. */
const SMALL_MIN = -0x40000000;
const KINDS: VarLocationKind[] = ['reg', 'val', 'mem', 'const', 'addr', 'expr'];

/** Header slots (counts), then the row width of each table, in the order the tables follow. */
const HEADER = 13;
const H_VERSION = 0, H_STRINGS = 1, H_SECTIONS = 2, H_FILES = 3, H_SEQS = 4, H_ROWS = 5, H_FUNCS = 6;
const H_SCOPES = 7, H_RANGES = 8, H_VARS = 9, H_LOCS = 10, H_DECODED = 11, H_WARNINGS = 12;
const W_SECTION = 4, W_FILE = 1, W_SEQ = 3, W_ROW = 5, W_SCOPE = 10, W_RANGE = 3, W_VAR = 5, W_LOC = 4, W_DECODED = 4, W_WARNING = 1;

/** A private copy of one result's tables, and what is built from them on demand. */
class Tables {
  readonly strings: string[];
  private readonly sectionAt: number;
  private readonly fileAt: number;
  private readonly seqAt: number;
  private readonly rowAt: number;
  private readonly scopeAt: number;
  private readonly rangeAt: number;
  private readonly varAt: number;
  private readonly locAt: number;
  private readonly decodedAt: number;
  private readonly warningAt: number;
  /** Model file paths; filled by info(). */
  private files: string[] = [];

  constructor(
    private readonly ints: Int32Array,
    private readonly floats: Float64Array,
    text: string,
  ) {
    if (ints.length < HEADER) throw new Error(`${ints.length} numbers, fewer than the header`);
    if (ints[H_VERSION] !== DWARF_ABI_VERSION) throw new Error(`layout version ${ints[H_VERSION]}`);
    let at = HEADER;
    const nStrings = ints[H_STRINGS]!;
    const strings: string[] = [];
    let from = 0;
    for (let i = 0; i < nStrings; i++) {
      const len = ints[at + i]!;
      strings.push(text.slice(from, from + len));
      from += len;
    }
    if (from !== text.length) throw new Error(`string lengths add up to ${from}, text has ${text.length}`);
    this.strings = strings;
    at += nStrings;
    const next = (count: number, width: number): number => {
      const start = at;
      at += ints[count]! * width;
      return start;
    };
    this.sectionAt = next(H_SECTIONS, W_SECTION);
    this.fileAt = next(H_FILES, W_FILE);
    this.seqAt = next(H_SEQS, W_SEQ);
    this.rowAt = next(H_ROWS, W_ROW);
    this.scopeAt = next(H_SCOPES, W_SCOPE);
    this.rangeAt = next(H_RANGES, W_RANGE);
    this.varAt = next(H_VARS, W_VAR);
    this.locAt = next(H_LOCS, W_LOC);
    this.decodedAt = next(H_DECODED, W_DECODED);
    this.warningAt = next(H_WARNINGS, W_WARNING);
    if (at !== ints.length) throw new Error(`the tables take ${at} numbers, the result has ${ints.length}`);
  }

  num(v: number): number | null {
    if (v >= SMALL_MIN) return v;
    if (v === NULL) return null;
    return this.floats[SMALL_MIN - 1 - v] ?? null;
  }

  /** A number that is never null. */
  n(v: number): number {
    return v >= SMALL_MIN ? v : this.floats[SMALL_MIN - 1 - v] ?? 0;
  }

  str(v: number): string | null {
    return v === NULL ? null : this.strings[v] ?? null;
  }

  private fileName(v: number): string | null {
    const i = this.num(v);
    return i === null ? null : this.files[i] ?? null;
  }

  info(file: string): DwarfInfo {
    const t = this.ints;
    const h = (slot: number): number => t[slot]!;
    const sections: DwarfInfo['sections'] = [];
    for (let i = 0, p = this.sectionAt; i < h(H_SECTIONS); i++, p += W_SECTION) {
      sections.push({ index: this.n(t[p]!), name: this.strings[t[p + 1]!]!, size: this.n(t[p + 2]!), exec: t[p + 3] !== 0 });
    }
    const files: string[] = [];
    for (let i = 0; i < h(H_FILES); i++) files.push(this.strings[t[this.fileAt + i]!]!);
    this.files = files;
    const lines: LineSequence[] = [];
    for (let i = 0; i < h(H_SEQS); i++) lines.push(new SequenceView(this, this.seqAt + i * W_SEQ));
    const functions: DwarfFunction[] = [];
    for (let i = 0; i < h(H_FUNCS); i++) functions.push(new FunctionView(this, i));
    const warnings: string[] = [];
    for (let i = 0; i < h(H_WARNINGS); i++) warnings.push(this.strings[t[this.warningAt + i]!]!);
    return { file, sections, lines, functions, warnings, files };
  }

  /** The row count, first row offset and last row offset of the sequence at `p`. */
  span(p: number): { count: number; lo: number; hi: number } {
    const t = this.ints;
    const start = t[p + 1]!;
    const count = t[p + 2]!;
    if (count === 0) return { count, lo: 0, hi: 0 };
    return { count, lo: this.n(t[this.rowAt + start * W_ROW]!), hi: this.n(t[this.rowAt + (start + count - 1) * W_ROW]!) };
  }

  sequenceSection(p: number): number {
    return this.n(this.ints[p]!);
  }

  rows(p: number): LineRow[] {
    const t = this.ints;
    const start = t[p + 1]!;
    const count = t[p + 2]!;
    const rows: LineRow[] = [];
    for (let i = 0, r = this.rowAt + start * W_ROW; i < count; i++, r += W_ROW) {
      const flags = this.n(t[r + 4]!);
      rows.push({
        offset: this.n(t[r]!),
        file: this.fileName(t[r + 1]!) ?? '',
        line: this.n(t[r + 2]!),
        column: this.n(t[r + 3]!),
        isStmt: (flags & 1) !== 0,
        endSequence: (flags & 2) !== 0,
        prologueEnd: (flags & 4) !== 0,
      });
    }
    return rows;
  }

  /** The fields every scope has: name and ranges. */
  scopeHead(scope: number): { name: string; ranges: [number, number, number][] } {
    const t = this.ints;
    const p = this.scopeAt + scope * W_SCOPE;
    const ranges: [number, number, number][] = [];
    for (let i = 0, r = this.rangeAt + t[p + 1]! * W_RANGE; i < t[p + 2]!; i++, r += W_RANGE) {
      ranges.push([this.n(t[r]!), this.n(t[r + 1]!), this.n(t[r + 2]!)]);
    }
    return { name: this.str(t[p]!) ?? UNKNOWN, ranges };
  }

  /** A function's declaration file and line, or an inlined subroutine's call file, line, column. */
  scopeSite(scope: number): { file: string | null; line: number | null; column: number | null } {
    const t = this.ints;
    const p = this.scopeAt + scope * W_SCOPE;
    return { file: this.fileName(t[p + 3]!), line: this.num(t[p + 4]!), column: this.num(t[p + 5]!) };
  }

  vars(scope: number): DwarfVar[] {
    const t = this.ints;
    const p = this.scopeAt + scope * W_SCOPE;
    const out: DwarfVar[] = [];
    for (let i = 0, v = this.varAt + t[p + 6]! * W_VAR; i < t[p + 7]!; i++, v += W_VAR) {
      const locations: VarLocation[] = [];
      for (let j = 0, l = this.locAt + t[v + 3]! * W_LOC; j < t[v + 4]!; j++, l += W_LOC) {
        const d = this.decodedAt + t[l + 3]! * W_DECODED;
        locations.push({
          section: this.n(t[l]!),
          lo: this.n(t[l + 1]!),
          hi: this.n(t[l + 2]!),
          kind: KINDS[t[d]!] ?? 'expr',
          reg: this.num(t[d + 1]!),
          offset: this.num(t[d + 2]!),
          text: this.strings[t[d + 3]!] ?? '',
        });
      }
      out.push({ name: this.str(t[v]!) ?? UNKNOWN, param: t[v + 1] !== 0, type: this.str(t[v + 2]!), locations });
    }
    return out;
  }

  inlined(scope: number): DwarfInlined[] {
    const t = this.ints;
    const p = this.scopeAt + scope * W_SCOPE;
    const out: DwarfInlined[] = [];
    for (let i = 0, c = t[p + 8]!; i < t[p + 9]!; i++, c++) out.push(new InlinedView(this, c));
    return out;
  }
}

/**
 * Scopes and sequences are class instances whose lazily built parts (`vars`, `inlined`, `rows`)
 * are accessors; `toJSON` gives the plain shape, so JSON.stringify sees every field.
 */
abstract class ScopeView implements DwarfScope {
  name: string;
  ranges: [number, number, number][];
  readonly #tables: Tables;
  readonly #scope: number;
  #vars: DwarfVar[] | undefined;
  #inlined: DwarfInlined[] | undefined;

  constructor(tables: Tables, scope: number) {
    const head = tables.scopeHead(scope);
    this.name = head.name;
    this.ranges = head.ranges;
    this.#tables = tables;
    this.#scope = scope;
  }

  get vars(): DwarfVar[] {
    return (this.#vars ??= this.#tables.vars(this.#scope));
  }
  set vars(v: DwarfVar[]) {
    this.#vars = v;
  }

  get inlined(): DwarfInlined[] {
    return (this.#inlined ??= this.#tables.inlined(this.#scope));
  }
  set inlined(v: DwarfInlined[]) {
    this.#inlined = v;
  }
}

class FunctionView extends ScopeView implements DwarfFunction {
  file: string | null;
  line: number | null;

  constructor(tables: Tables, scope: number) {
    super(tables, scope);
    const site = tables.scopeSite(scope);
    this.file = site.file;
    this.line = site.line;
  }

  toJSON(): object {
    return { name: this.name, ranges: this.ranges, vars: this.vars, inlined: this.inlined, file: this.file, line: this.line };
  }
}

class InlinedView extends ScopeView implements DwarfInlined {
  callFile: string | null;
  callLine: number | null;
  callColumn: number | null;

  constructor(tables: Tables, scope: number) {
    super(tables, scope);
    const site = tables.scopeSite(scope);
    this.callFile = site.file;
    this.callLine = site.line;
    this.callColumn = site.column;
  }

  toJSON(): object {
    return {
      name: this.name, ranges: this.ranges, vars: this.vars, inlined: this.inlined,
      callFile: this.callFile, callLine: this.callLine, callColumn: this.callColumn,
    };
  }
}

class SequenceView implements LineSequence {
  section: number;
  readonly #tables: Tables;
  readonly #at: number;
  #rows: LineRow[] | undefined;

  constructor(tables: Tables, at: number) {
    this.section = tables.sequenceSection(at);
    this.#tables = tables;
    this.#at = at;
  }

  get rows(): LineRow[] {
    return (this.#rows ??= this.#tables.rows(this.#at));
  }
  set rows(v: LineRow[]) {
    this.#rows = v;
  }

  /** For DwarfIndex: the row count and the first and last offsets, without building the rows. */
  [sequenceSpan](): { count: number; lo: number; hi: number } {
    if (this.#rows) {
      const r = this.#rows;
      return { count: r.length, lo: r[0]?.offset ?? 0, hi: r[r.length - 1]?.offset ?? 0 };
    }
    return this.#tables.span(this.#at);
  }

  toJSON(): object {
    return { section: this.section, rows: this.rows };
  }
}
