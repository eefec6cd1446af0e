/** Reads a log file for the CLI, with errors that name the file and the problem. */
import * as fs from 'fs';
import { diagnose, type Diagnosis } from '../diagnose/diagnosis';
import { bufferSource, summarizeLog } from '../log/summary';

export class InputError extends Error {}

/** Text logs only: a NUL byte in the first KiB means the user passed an object or a core file. */
function looksBinary(buf: Buffer): boolean {
  return buf.subarray(0, 1024).includes(0);
}

export function readInput(path: string): Buffer {
  try {
    if (path === '-') return fs.readFileSync(0);
    const st = fs.statSync(path);
    if (st.isDirectory()) throw new InputError(`${path}: is a directory, expected a verifier log file`);
    return fs.readFileSync(path);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new InputError(`${path}: cannot read the log: ${why}`);
  }
}

export function diagnoseFile(path: string): Diagnosis {
  const buf = readInput(path);
  if (looksBinary(buf)) {
    const kind = buf.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) ? 'an ELF object' : 'binary data';
    throw new InputError(`${path}: this is ${kind}, not a verifier log (pass the text the kernel printed; objects are read with --object in a later release)`);
  }
  return diagnose(summarizeLog(bufferSource(buf)));
}
