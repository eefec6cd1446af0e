/**
 * DWARF of BPF objects: line tables, functions with their inlined subroutines, and variable
 * locations, read by a WebAssembly module (wasm/, Rust + gimli; built by scripts/build-wasm.sh to
 * dist/bpflens_dwarf.wasm). This file is the glue: it loads the module, copies an object into it,
 * and turns the module's compact JSON into the types below.
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

export { DwarfIndex, type InlineFrame, type LiveVar } from './dwarf-index';

/** File name of the module; it ships next to dist/server.js and dist/cli.js. */
export const DWARF_WASM_FILE = 'bpflens_dwarf.wasm';
/** The module's `bd_abi_version()` this glue understands. */
export const DWARF_ABI_VERSION = 1;
/** Linear memory never shrinks; above this size the instance is replaced after a read. */
const MEMORY_RESET_BYTES = 256 * 1024 * 1024;
/** wasm32 memory is at most 4 GiB and holds the object, its relocated DWARF and the JSON. */
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

// ---- the module's JSON (see wasm/README.md) ---------------------------------------------------

interface RawVar {
  name: string | null;
  param: boolean;
  type: string | null;
  locs: [number, number, number, VarLocationKind, number | null, number | null, string][];
}
interface RawScope {
  name: string | null;
  ranges: [number, number, number][];
  vars: RawVar[];
  inl: RawScope[];
  file?: number | null;
  line?: number | null;
  callFile?: number | null;
  callLine?: number | null;
  callColumn?: number | null;
}
interface RawInfo {
  v: number;
  sections: { idx: number; name: string; size: number; exec: boolean }[];
  files: string[];
  lines: { sec: number; rows: (number | null)[] }[];
  funcs: RawScope[];
  warnings: string[];
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
  bd_result_free(): void;
  bd_selftest_trap(): void;
}

const utf8 = new TextDecoder('utf-8');

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
    try {
      const ptr = ex.bd_alloc(bytes.length);
      new Uint8Array(ex.memory.buffer, ptr, bytes.length).set(bytes);
      rc = ex.bd_analyze(ptr, bytes.length);
      // Memory may have grown: take a fresh view.
      text = utf8.decode(new Uint8Array(ex.memory.buffer, ex.bd_result_ptr(), ex.bd_result_len()));
      ex.bd_result_free();
      ex.bd_free(ptr, bytes.length);
    } catch (e) {
      throw this.crashed(file, e);
    }
    if (ex.memory.buffer.byteLength > MEMORY_RESET_BYTES) this.exports = null;
    if (rc !== 0) throw new DwarfError(file, text);
    let raw: RawInfo;
    try {
      raw = JSON.parse(text) as RawInfo;
    } catch (e) {
      throw new DwarfError(file, `the DWARF reader returned malformed JSON (a bug): ${(e as Error).message}`);
    }
    return convert(raw, file);
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

// ---- JSON -> API types -------------------------------------------------------------------------

const UNKNOWN = '??';

function convert(raw: RawInfo, file: string): DwarfInfo {
  const files = raw.files;
  const fileName = (i: number | null | undefined): string | null => (i === null || i === undefined ? null : files[i] ?? null);

  const lines: LineSequence[] = raw.lines.map((seq) => {
    const r = seq.rows;
    const rows: LineRow[] = new Array(Math.floor(r.length / 5));
    for (let k = 0, n = 0; k + 4 < r.length; k += 5, n++) {
      const flags = r[k + 4] ?? 0;
      rows[n] = {
        offset: r[k] ?? 0,
        file: fileName(r[k + 1]) ?? '',
        line: r[k + 2] ?? 0,
        column: r[k + 3] ?? 0,
        isStmt: (flags & 1) !== 0,
        endSequence: (flags & 2) !== 0,
        prologueEnd: (flags & 4) !== 0,
      };
    }
    return { section: seq.sec, rows };
  });

  const vars = (vs: RawVar[]): DwarfVar[] =>
    vs.map((v) => ({
      name: v.name ?? UNKNOWN,
      param: v.param,
      type: v.type,
      locations: v.locs.map(([section, lo, hi, kind, reg, offset, text]) => ({ section, lo, hi, kind, reg, offset, text })),
    }));
  const inlined = (s: RawScope): DwarfInlined => ({
    name: s.name ?? UNKNOWN,
    ranges: s.ranges,
    vars: vars(s.vars),
    inlined: s.inl.map(inlined),
    callFile: fileName(s.callFile),
    callLine: s.callLine ?? null,
    callColumn: s.callColumn ?? null,
  });
  const functions: DwarfFunction[] = raw.funcs.map((s) => ({
    name: s.name ?? UNKNOWN,
    ranges: s.ranges,
    vars: vars(s.vars),
    inlined: s.inl.map(inlined),
    file: fileName(s.file),
    line: s.line ?? null,
  }));

  return {
    file,
    sections: raw.sections.map((s) => ({ index: s.idx, name: s.name, size: s.size, exec: s.exec })),
    lines,
    functions,
    warnings: raw.warnings,
    files,
  };
}
