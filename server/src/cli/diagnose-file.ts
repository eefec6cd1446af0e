/** Reads a log file for the CLI, with errors that name the file and the problem. */
import * as fs from 'fs';
import * as path from 'path';
import { diagnose, type Diagnosis } from '../diagnose/diagnosis';
import { withObject } from '../diagnose/with-object';
import { parseLog } from '../log/parse';
import { bufferSource, summarizeLog, summaryOf } from '../log/summary';
import { loadObject, ObjectLoadError, type MappedObject } from '../mapping/mapped-object';
import { resolveSource } from '../mapping/source-files';

export class InputError extends Error {}

/** Text logs only: a NUL byte in the first KiB means the user passed an object or a core file. */
function looksBinary(buf: Buffer): boolean {
  return buf.subarray(0, 1024).includes(0);
}

/** `what`: the kind of file, for the message (`log`, `object`). */
export function readInput(path: string, what = 'log'): Buffer {
  try {
    if (path === '-') return fs.readFileSync(0);
    const st = fs.statSync(path);
    if (st.isDirectory()) throw new InputError(`${path}: is a directory, expected a verifier ${what === 'log' ? 'log' : what} file`);
    return fs.readFileSync(path);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new InputError(`${path}: cannot read the ${what}: ${why}`);
  }
}

export function readLog(file: string): Buffer {
  const buf = readInput(file);
  if (looksBinary(buf)) {
    const kind = buf.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) ? 'an ELF object' : 'binary data';
    throw new InputError(`${file}: this is ${kind}, not a verifier log (pass the text the kernel printed; pass the object with --object)`);
  }
  return buf;
}

/** A C source's text for quick fixes, or null when it cannot be read. */
export function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** DWARF file names of `objectFile` → paths on disk, relative to the working directory when found. */
export function sourcePathsFor(objectFile: string): (dwarfPath: string) => string {
  return (f) => {
    const found = resolveSource(f, objectFile);
    return found ? path.relative(process.cwd(), found) || found : f;
  };
}

/** From the log alone: head and tail only, whatever the size. */
export function diagnoseFile(file: string): Diagnosis {
  return diagnose(summarizeLog(bufferSource(readLog(file))));
}

/** With objects: the whole log is parsed, matched against the objects and mapped through DWARF. */
export async function diagnoseWithObjects(file: string, objectFiles: string[], program: string | null): Promise<Diagnosis> {
  const log = parseLog(readLog(file).toString('utf8'));
  const objects: MappedObject[] = [];
  for (const o of objectFiles) {
    try {
      objects.push(await loadObject(o));
    } catch (e) {
      if (e instanceof ObjectLoadError) throw new InputError(e.message);
      throw e;
    }
  }
  const d = diagnose(summaryOf(log));
  return withObject(d, log, objects, { program, read: readText, resolveFile: sourcePathsFor(objects[0].file) });
}
