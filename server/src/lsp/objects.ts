/**
 * Which objects may belong to a log, read once per file version: the `bpflens.objects` setting
 * (paths, absolute or relative to a workspace folder) and every `*.o` beside the log.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadObject, ObjectLoadError, type MappedObject } from '../mapping/mapped-object';

export class ObjectRegistry {
  private readonly cache = new Map<string, { mtimeMs: number; value: Promise<MappedObject | string> }>();

  /** The object, or a message naming the file and the problem. */
  get(file: string): Promise<MappedObject | string> {
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(file).mtimeMs;
    } catch {
      return Promise.resolve(`${file}: no such object`);
    }
    const hit = this.cache.get(file);
    if (hit && hit.mtimeMs === mtimeMs) return hit.value;
    const value = loadObject(file).catch((e: unknown) => {
      if (e instanceof ObjectLoadError) return e.message;
      return `${file}: ${(e as Error).message}`;
    });
    this.cache.set(file, { mtimeMs, value });
    return value;
  }

  async candidates(logFile: string | null, configured: readonly string[], roots: readonly string[]): Promise<{ objects: MappedObject[]; problems: string[] }> {
    const files = new Set<string>();
    for (const c of configured) {
      if (path.isAbsolute(c)) files.add(c);
      else for (const r of roots.length ? roots : [process.cwd()]) files.add(path.join(r, c));
    }
    if (logFile) {
      const dir = path.dirname(logFile);
      try {
        for (const f of fs.readdirSync(dir)) if (f.endsWith('.o')) files.add(path.join(dir, f));
      } catch {
        // An unsaved or vanished log has no neighbours.
      }
    }
    const objects: MappedObject[] = [];
    const problems: string[] = [];
    for (const f of files) {
      const r = await this.get(f);
      if (typeof r === 'string') problems.push(r);
      else objects.push(r);
    }
    return { objects, problems };
  }
}
