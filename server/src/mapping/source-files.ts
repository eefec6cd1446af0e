/**
 * Finds the file on disk a DWARF file name refers to. Objects built elsewhere or with
 * `-fdebug-prefix-map` carry relative or foreign paths; the object's own directory, its parents
 * and the workspace roots are where the sources usually are.
 */
import * as fs from 'fs';
import * as path from 'path';

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

export function resolveSource(dwarfPath: string, objectFile: string, roots: readonly string[] = []): string | null {
  if (path.isAbsolute(dwarfPath) && isFile(dwarfPath)) return dwarfPath;
  const rel = path.isAbsolute(dwarfPath) ? null : dwarfPath;
  const bases: string[] = [];
  // Through links: the editor's kernel-matrix logs sit beside a link to the user's object.
  for (let d = path.dirname(realPath(objectFile)); ; d = path.dirname(d)) {
    bases.push(d);
    if (path.dirname(d) === d) break;
  }
  bases.push(...roots.map((r) => path.resolve(r)), process.cwd());
  if (rel) for (const b of bases) if (isFile(path.join(b, rel))) return path.join(b, rel);
  // A foreign absolute path: try its trailing components under each base, longest first.
  const parts = path.normalize(dwarfPath).split(path.sep).filter(Boolean);
  for (let k = parts.length - 1; k >= 1; k--) {
    const tail = path.join(...parts.slice(parts.length - k));
    for (const b of bases.slice(0, 3).concat(roots)) if (isFile(path.join(b, tail))) return path.join(b, tail);
  }
  return null;
}
