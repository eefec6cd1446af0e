/** A runner process a test started (`dist/runner.js`), as the editor starts one. */
import type { ChildProcess } from 'child_process';
import { listeningUrl } from '../../runner/src/client';

/** Resolves with the runner's URL once it listens; rejects if it exits first or takes over `ms`. */
export function listening(child: ChildProcess, ms = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the runner did not start within ${ms} ms: ${out}`)), ms);
    const read = (d: Buffer) => {
      out += d.toString();
      const url = listeningUrl(out);
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the runner exited ${code}: ${out}`));
    });
  });
}
