/**
 * clang and the LLVM tools as independent references for the DWARF reader: compile BPF objects,
 * and parse what llvm-dwarfdump, llvm-objdump and llvm-symbolizer say about them.
 *
 * The parsers read LLVM 14's text formats (Debian 12); they only pick out what the tests compare.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const found = new Map<string, string | null>();

/** `name` or `name-14` (Debian installs both), whichever runs; null when neither does. */
export function findTool(name: string): string | null {
  if (found.has(name)) return found.get(name)!;
  let hit: string | null = null;
  for (const candidate of [name, `${name}-14`]) {
    const r = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) {
      hit = candidate;
      break;
    }
  }
  found.set(name, hit);
  return hit;
}

function tool(name: string): string {
  const t = findTool(name);
  if (!t) throw new Error(`${name} not found (apt-get install clang llvm)`);
  return t;
}

/** Why the LLVM cross-checks cannot run here, or null when they can. */
export function missingLlvm(): string | null {
  const missing = ['clang', 'llvm-dwarfdump', 'llvm-objdump', 'llvm-symbolizer'].filter((t) => !findTool(t));
  return missing.length ? `missing ${missing.join(', ')} (apt-get install clang llvm)` : null;
}

/** The multiarch include directory BPF programs need for <asm/types.h>. */
export function multiarchInclude(): string {
  const r = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' });
  const m = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : `${os.arch() === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  return `/usr/include/${m}`;
}

/** `clang -g -O2 -target bpf -I<multiarch> -c src -o out ...extra` (later flags win). */
export function compileBpf(src: string, out: string, extra: string[] = []): void {
  execFileSync(tool('clang'), ['-g', '-O2', '-target', 'bpf', `-I${multiarchInclude()}`, '-c', src, '-o', out, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function run(name: string, args: string[]): string {
  return execFileSync(tool(name), args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
}

// ---- llvm-dwarfdump --debug-line ---------------------------------------------------------------

export interface DumpRow {
  address: number;
  line: number;
  column: number;
  file: string;
  isStmt: boolean;
  endSequence: boolean;
  prologueEnd: boolean;
}

/**
 * Drops empty and `.` components, as the DWARF reader does (`././test/x.c` -> `test/x.c`); the
 * LLVM tools print paths as they join them.
 */
export function cleanPath(p: string): string {
  if (p === '') return p;
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  const out = (p.startsWith('/') ? '/' : '') + parts.join('/');
  return out === '' ? '.' : out;
}

/** Joins like a path: an absolute part replaces what came before. */
function joinPath(...parts: (string | undefined)[]): string {
  let out = '';
  for (const p of parts) {
    if (!p) continue;
    out = p.startsWith('/') || out === '' ? p : `${out.replace(/\/$/, '')}/${p}`;
  }
  return out;
}

/** Every row of every line table, in order, with file indexes resolved to full paths. */
export function dumpLineRows(obj: string): DumpRow[] {
  const compDirs = dumpCompDirs(obj);
  const rows: DumpRow[] = [];
  let version = 5;
  let dirs: string[] = [];
  let files: { name: string; dir: number }[] = [];
  let table = -1;
  let pendingFile: { index: number; name?: string; dir?: number } | null = null;
  const flushFile = (): void => {
    if (pendingFile && pendingFile.name !== undefined) files[pendingFile.index] = { name: pendingFile.name, dir: pendingFile.dir ?? 0 };
    pendingFile = null;
  };
  for (const line of run('llvm-dwarfdump', ['--debug-line', obj]).split('\n')) {
    let m: RegExpMatchArray | null;
    if (/^debug_line\[0x[0-9a-f]+\]/.test(line)) {
      flushFile();
      table++;
      dirs = [];
      files = [];
      continue;
    }
    if ((m = line.match(/^\s+version: (\d+)/))) version = Number(m[1]);
    else if ((m = line.match(/^include_directories\[\s*(\d+)\] = "(.*)"$/))) dirs[Number(m[1])] = m[2]!;
    else if ((m = line.match(/^file_names\[\s*(\d+)\]:/))) {
      flushFile();
      pendingFile = { index: Number(m[1]) };
    } else if (pendingFile && (m = line.match(/^\s+name: "(.*)"$/))) pendingFile.name = m[1]!;
    else if (pendingFile && (m = line.match(/^\s+dir_index: (\d+)$/))) pendingFile.dir = Number(m[1]);
    else if ((m = line.match(/^0x([0-9a-f]+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*(.*)$/))) {
      flushFile();
      const flags = m[7]!.split(/\s+/);
      const f = files[Number(m[4])];
      const compDir = compDirs[table] ?? compDirs[0];
      let file = '';
      if (f) {
        const dir = version >= 5 ? dirs[f.dir] : f.dir === 0 ? compDir : dirs[f.dir];
        file = cleanPath(joinPath(compDir, dir, f.name));
      }
      rows.push({
        address: parseInt(m[1]!, 16),
        line: Number(m[2]),
        column: Number(m[3]),
        file,
        isStmt: flags.includes('is_stmt'),
        endSequence: flags.includes('end_sequence'),
        prologueEnd: flags.includes('prologue_end'),
      });
    }
  }
  return rows;
}

function dumpCompDirs(obj: string): string[] {
  const out: string[] = [];
  for (const m of run('llvm-dwarfdump', ['--debug-info', obj]).matchAll(/DW_AT_comp_dir\t\("(.*)"\)/g)) out.push(m[1]!);
  return out;
}

// ---- llvm-dwarfdump --debug-info: register locations ---------------------------------------------

interface Die {
  depth: number;
  tag: string;
  attrs: Map<string, string>;
}

/** The DIEs of every unit, in order, with their nesting depth and raw attribute text. */
function dumpDies(obj: string): Die[] {
  const dies: Die[] = [];
  let cur: Die | null = null;
  let attr: string | null = null;
  for (const line of run('llvm-dwarfdump', ['--debug-info', obj]).split('\n')) {
    const m = line.match(/^0x[0-9a-f]+:( +)(DW_TAG_\w+|NULL)/);
    if (m) {
      cur = { depth: m[1]!.length, tag: m[2]!, attrs: new Map() };
      dies.push(cur);
      attr = null;
      continue;
    }
    const a = line.match(/^\s+(DW_AT_\w+)\t(.*)$/);
    if (a && cur) {
      attr = a[1]!;
      cur.attrs.set(attr, a[2]!);
    } else if (attr && cur && line.trim() !== '') {
      cur.attrs.set(attr, `${cur.attrs.get(attr)!}\n${line.trim()}`);
    } else {
      attr = null;
    }
  }
  return dies;
}

function dieName(d: Die): string | null {
  const n = d.attrs.get('DW_AT_name');
  if (n) return n.match(/^\("(.*)"\)$/)?.[1] ?? null;
  const o = d.attrs.get('DW_AT_abstract_origin');
  return o?.match(/"(.*)"\)$/)?.[1] ?? null;
}

function dieRanges(d: Die): [number, number][] | null {
  const lo = d.attrs.get('DW_AT_low_pc');
  const hi = d.attrs.get('DW_AT_high_pc');
  if (lo && hi) return [[parseInt(lo.slice(1), 16), parseInt(hi.slice(1), 16)]];
  const r = d.attrs.get('DW_AT_ranges');
  if (r) return [...r.matchAll(/\[0x([0-9a-f]+), 0x([0-9a-f]+)\)/g)].map((m) => [parseInt(m[1]!, 16), parseInt(m[2]!, 16)]);
  return null;
}

/**
 * Every DW_OP_regN location of every variable and parameter, as "name [lo, hi) rN" (section
 * offsets): location-list entries as listed, single expressions over the ranges of the nearest
 * enclosing scope with code (lexical block, inlined subroutine, subprogram).
 */
export function dumpRegLocations(obj: string): string[] {
  const out: string[] = [];
  const stack: Die[] = [];
  for (const d of dumpDies(obj)) {
    while (stack.length && stack[stack.length - 1]!.depth >= d.depth) stack.pop();
    if (d.tag === 'DW_TAG_variable' || d.tag === 'DW_TAG_formal_parameter') {
      const loc = d.attrs.get('DW_AT_location');
      const name = dieName(d);
      if (loc && name !== null) {
        const single = loc.match(/^\(DW_OP_reg(\d+) W\d+\)$/);
        if (single) {
          const scope = [...stack].reverse().find((s) => dieRanges(s) !== null);
          for (const [lo, hi] of scope ? dieRanges(scope)! : []) out.push(`${name} [${lo}, ${hi}) r${single[1]}`);
        } else {
          for (const m of loc.matchAll(/\[0x([0-9a-f]+), 0x([0-9a-f]+)\): DW_OP_reg(\d+) W\d+(?=\)?$)/gm)) {
            out.push(`${name} [${parseInt(m[1]!, 16)}, ${parseInt(m[2]!, 16)}) r${m[3]}`);
          }
        }
      }
    }
    if (d.tag !== 'NULL') stack.push(d);
  }
  return out;
}

// ---- llvm-objdump -dl ------------------------------------------------------------------------------

/** Per code section: instruction index -> the source line llvm-objdump shows above it (or null). */
export function objdumpLines(obj: string): Map<string, Map<number, { file: string; line: number } | null>> {
  const out = new Map<string, Map<number, { file: string; line: number } | null>>();
  let cur: Map<number, { file: string; line: number } | null> | null = null;
  let shown: { file: string; line: number } | null = null;
  for (const line of run('llvm-objdump', ['-dl', '--no-show-raw-insn', obj]).split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^Disassembly of section (.*):$/))) {
      cur = new Map();
      out.set(m[1]!, cur);
      shown = null; // lines do not carry over from one section to the next
    } else if ((m = line.match(/^; (.+):(\d+)$/))) {
      shown = { file: cleanPath(m[1]!), line: Number(m[2]) };
    } else if (cur && (m = line.match(/^\s+(\d+):\t/))) {
      cur.set(Number(m[1]), shown);
    }
  }
  return out;
}

// ---- llvm-symbolizer --inlining --------------------------------------------------------------------

export interface SymFrame {
  function: string;
  file: string;
  line: number;
  column: number;
}

/** Inline chains (innermost first) for each address, from `llvm-symbolizer --inlining`. */
export function symbolize(obj: string, addresses: number[]): SymFrame[][] {
  const text = run('llvm-symbolizer', ['--inlining', '--output-style=JSON', `--obj=${obj}`, ...addresses.map((a) => `0x${a.toString(16)}`)]);
  const out: SymFrame[][] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    for (const entry of JSON.parse(line) as { Symbol: { FunctionName: string; FileName: string; Line: number; Column: number }[] }[]) {
      out.push(entry.Symbol.map((s) => ({ function: s.FunctionName, file: cleanPath(s.FileName), line: s.Line, column: s.Column })));
    }
  }
  return out;
}

// ---- a generated multi-section program --------------------------------------------------------------

/**
 * C source of `programs` XDP programs, each in its own section (`xdp/pN`), sharing a __noinline
 * .text subprogram and three levels of always-inlined helpers with lexical blocks. With
 * `singleSection`, all programs go in one `xdp` section and the subprogram is inlined too, so the
 * object has a single code section (for tools that ignore sections).
 */
export function generatedSource(programs: number, singleSection: boolean): string {
  const out: string[] = [
    '#include <linux/bpf.h>',
    '#include <bpf/bpf_helpers.h>',
    '',
    'struct {',
    '\t__uint(type, BPF_MAP_TYPE_ARRAY);',
    '\t__uint(max_entries, 16);',
    '\t__type(key, __u32);',
    '\t__type(value, __u64);',
    '} gen_counts SEC(".maps");',
    '',
    'static __always_inline int leaf(void *data, void *end, int k)',
    '{',
    '\tunsigned char *p = data + k;',
    '',
    '\tif ((void *)(p + 1) > end)',
    '\t\treturn -1;',
    '\treturn *p;',
    '}',
    '',
    'static __always_inline int mid(void *data, void *end, int k)',
    '{',
    '\tconst char *what = 0;',
    '\tint a = leaf(data, end, k);',
    '',
    '\tif (a < 0)',
    '\t\treturn 0;',
    '\t{',
    '\t\tint b = leaf(data, end, k + 1);',
    '',
    '\t\tif (b > 0)',
    '\t\t\treturn a ^ b;',
    '\t}',
    '\treturn a;',
    '}',
    '',
    'static __always_inline int top(struct xdp_md *ctx, int k)',
    '{',
    '\tvoid *data = (void *)(long)ctx->data;',
    '\tvoid *end = (void *)(long)ctx->data_end;',
    '',
    '\treturn mid(data, end, k);',
    '}',
    '',
    `static ${singleSection ? '__always_inline' : '__noinline'} int bump(__u32 slot, __u64 v)`,
    '{',
    '\t__u64 *c = bpf_map_lookup_elem(&gen_counts, &slot);',
    '',
    '\tif (!c)',
    '\t\treturn 0;',
    '\t__sync_fetch_and_add(c, v);',
    '\treturn 1;',
    '}',
    '',
  ];
  for (let i = 0; i < programs; i++) {
    out.push(`SEC("${singleSection ? 'xdp' : `xdp/p${i}`}")`);
    out.push(`int prog${i}(struct xdp_md *ctx)`);
    out.push('{');
    out.push(`\tint r = top(ctx, ${i % 13});`);
    if (i % 3 === 0) {
      out.push('\tif (r > 7)');
      out.push(`\t\tbump(${i % 16}, r);`);
    } else if (i % 3 === 1) {
      out.push(`\tr += top(ctx, ${(i * 7) % 11});`);
      out.push(`\tbump(${i % 16}, r + ${i});`);
    } else {
      out.push(`\tfor (int j = 0; j < ${2 + (i % 3)}; j++)`);
      out.push('\t\tr += mid((void *)(long)ctx->data, (void *)(long)ctx->data_end, j);');
    }
    out.push('\treturn r & 1 ? XDP_DROP : XDP_PASS;');
    out.push('}');
    out.push('');
  }
  out.push('char LICENSE[] SEC("license") = "GPL";');
  return out.join('\n') + '\n';
}
