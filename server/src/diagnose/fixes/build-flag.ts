/**
 * A program the JIT cannot compile once constants are blinded (errno 524, jit-failed): build it
 * with -mcpu=v4, so that long jumps become gotol with 32-bit offsets. The flag goes into the
 * command that builds BPF objects when a build file beside the sources or the object has one
 * (`-target bpf` in a Makefile, compile_commands.json or build.sh); without one the fix is the
 * advice its title gives, with no edits.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import type { Fix } from '../diagnosis';
import type { MappedObject } from '../../mapping/mapped-object';

/** Where to look for the build: the directories of the program's C sources, then the object's. */
export interface BuildPlace {
  dirs: string[];
  read(file: string): string | null;
}

/** The directories of the object's C sources (as found on disk), then the object's own. */
function buildPlaceOf(object: MappedObject, resolveFile: (dwarfPath: string) => string, read: BuildPlace['read']): BuildPlace {
  const sources = (object.dwarf?.files ?? []).filter((f) => f.endsWith('.c')).map(resolveFile);
  return { dirs: [...new Set([...sources, object.file].map((f) => path.dirname(f)))], read };
}

/**
 * The -mcpu=v4 fix for a JIT failure of `program`: the object holding it (or the only candidate)
 * says where the sources, and so the build, are. Needs no instruction mapping: the log of a JIT
 * failure may print none.
 */
export function jitFixFor(
  objects: readonly MappedObject[], program: string | null, resolveFor: (object: MappedObject) => (dwarfPath: string) => string, read: BuildPlace['read'],
): Fix | null {
  const object = objects.find((o) => o.object.programs.some((p) => p.name === program)) ?? (objects.length === 1 ? objects[0] : undefined);
  return object ? mcpuV4Fix(buildPlaceOf(object, resolveFor(object), read)) : null;
}

const BUILD_FILES = ['Makefile', 'makefile', 'GNUmakefile', 'compile_commands.json', 'build.sh'];
/** `-target bpf` / `--target=bpfel` in a command line, or `"-target", "bpf"` in a JSON argument list. */
const TARGET = /(?:-target\s+|--target=)bpf(?:el|eb)?\b|"-target",\s*"bpf(?:el|eb)?"/;
const FLAG = '-mcpu=v4';
const WHY = 'long jumps become gotol with 32-bit offsets, which constant blinding cannot overflow';

const clangMajors = new Map<string, number | null>();

/** Major version of a compiler on PATH, asked once per process; null when it does not run. */
function clangMajor(cmd: string): number | null {
  if (!clangMajors.has(cmd)) {
    const r = spawnSync(cmd, ['--version'], { encoding: 'utf8', timeout: 5000 });
    const m = /clang version (\d+)/.exec(r.stdout ?? '');
    clangMajors.set(cmd, m ? Number(m[1]) : null);
  }
  return clangMajors.get(cmd)!;
}

/** The compiler a command line runs: `clang-19`, or the value of `$(CLANG)` set in the same file. */
function compilerOf(line: string, text: string): string | null {
  const direct = /(?:^|[\s/"])(clang(?:-\d+)?)(?=[\s"])/.exec(line)?.[1];
  if (direct) return direct;
  const v = /\$[({](\w+)[)}]/.exec(line.slice(0, line.search(TARGET)))?.[1];
  return v ? new RegExp(`^\\s*${v}\\s*[:?+]?=\\s*(\\S+)`, 'm').exec(text)?.[1] ?? null : null;
}

/** Why the flag may not work with the compiler the build uses, or ''. */
function compilerNote(compiler: string | null): string {
  const m = compiler ? /^clang(?:-(\d+))?$/.exec(path.basename(compiler)) : null;
  if (!m) return '';
  const major = m[1] ? Number(m[1]) : clangMajor(compiler!);
  return major !== null && major < 18 ? ` (${compiler} here is version ${major}, which has no -mcpu=v4: build with clang 18 or newer)` : '';
}

export function mcpuV4Fix(place: BuildPlace | null): Fix {
  for (const dir of place?.dirs ?? []) {
    for (const name of BUILD_FILES) {
      const file = path.join(dir, name);
      const text = place!.read(file);
      if (text === null || text.includes(FLAG)) continue;
      const lines = text.split('\n');
      const edits: Fix['edits'] = [];
      let compiler: string | null = null;
      lines.forEach((l, i) => {
        const t = TARGET.exec(l);
        if (!t) return;
        compiler ??= compilerOf(l, text);
        // An older -mcpu is replaced; otherwise the flag follows the target.
        const old = /-mcpu=\w+/.exec(l);
        const at = old ? old.index : t.index + t[0].length;
        const newText = old ? FLAG : t[0].startsWith('"') ? `, "${FLAG}"` : ` ${FLAG}`;
        edits.push({ file, range: { start: { line: i, column: at }, end: { line: i, column: at + (old ? old[0].length : 0) } }, newText });
      });
      if (edits.length) return { title: `Build with ${FLAG} in ${file} (kernel 6.6 or newer): ${WHY}${compilerNote(compiler)}`, edits };
    }
  }
  const where = place
    ? `no ${BUILD_FILES.join(', ')} with -target bpf was found beside the program's sources, so add it to the command that builds the object`
    : 'add it to the command that builds the object';
  return { title: `Build with clang ${FLAG} (clang 18 or newer, kernel 6.6 or newer): ${WHY}; ${where}`, edits: [] };
}
