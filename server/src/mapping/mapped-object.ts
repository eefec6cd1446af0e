/**
 * A BPF object read for source mapping: ELF/BTF/BTF.ext from `object.ts`, DWARF from the wasm
 * reader. DWARF is the truth for lines, inline chains and variables; BTF.ext line info is the
 * fallback when the object has no usable DWARF. Every problem is kept as a message naming the
 * file, so the log features keep working from the log alone.
 */
import * as fs from 'fs';
import { DwarfError, DwarfIndex, DwarfReader, type DwarfInfo } from './dwarf';
import { readObject, type BpfObject } from './object';
import { ObjectReadError } from './read-error';

export interface MappedObject {
  file: string;
  object: BpfObject;
  dwarf: DwarfInfo | null;
  index: DwarfIndex | null;
  /** Why there is no DWARF view (no -g, compressed sections, wasm trap…), or null. */
  dwarfProblem: string | null;
  readonly warnings: string[];
}

export class ObjectLoadError extends Error {}

let readerPromise: Promise<DwarfReader> | null = null;

/** The wasm module is compiled once per process. */
export function dwarfReader(): Promise<DwarfReader> {
  if (!readerPromise) {
    readerPromise = DwarfReader.load();
    readerPromise.catch(() => { readerPromise = null; });
  }
  return readerPromise;
}

export function mapBytes(bytes: Uint8Array, file: string, reader: DwarfReader | null): MappedObject {
  let object: BpfObject;
  try {
    object = readObject(bytes, file);
  } catch (e) {
    if (e instanceof ObjectReadError) throw new ObjectLoadError(e.message);
    throw e;
  }
  let dwarf: DwarfInfo | null = null;
  let dwarfProblem: string | null = null;
  if (!reader) dwarfProblem = `${file}: the DWARF reader is not available`;
  else {
    try {
      dwarf = reader.read(bytes, file);
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      dwarfProblem = e.message;
    }
  }
  return {
    file, object, dwarf, index: dwarf ? new DwarfIndex(dwarf) : null, dwarfProblem,
    get warnings() { return [...object.warnings, ...(dwarf?.warnings ?? [])]; },
  };
}

export async function loadObject(file: string): Promise<MappedObject> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ObjectLoadError(`${file}: cannot read the object: ${code === 'ENOENT' ? 'no such file' : code ?? String(e)}`);
  }
  let reader: DwarfReader | null = null;
  let readerProblem: string | null = null;
  try {
    reader = await dwarfReader();
  } catch (e) {
    readerProblem = (e as Error).message;
  }
  const mapped = mapBytes(bytes, file, reader);
  if (readerProblem) mapped.dwarfProblem = readerProblem;
  return mapped;
}
