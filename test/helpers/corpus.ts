/** Every real verifier log under test/fixtures, for property tests that need real lines. */
import * as fs from 'fs';
import * as path from 'path';


import { FIXTURES, ROOT } from './fixtures';

export { ROOT };

export interface RealLog {
  /** Path relative to test/fixtures. */
  name: string;
  text: string;
}

/** All `*.log` files of logs/, public/ and kernels/<kernel>/, sorted by name. */
export function realLogs(): RealLog[] {
  const dirs = ['logs', 'public', ...fs.readdirSync(path.join(FIXTURES, 'kernels'))
    .filter((d) => fs.statSync(path.join(FIXTURES, 'kernels', d)).isDirectory() && /^\d/.test(d))
    .map((d) => path.join('kernels', d))];
  const out: RealLog[] = [];
  for (const d of dirs) {
    for (const f of fs.readdirSync(path.join(FIXTURES, d)).filter((x) => x.endsWith('.log')).sort()) {
      out.push({ name: path.join(d, f), text: fs.readFileSync(path.join(FIXTURES, d, f), 'utf8') });
    }
  }
  return out;
}

/** The bench's big level-2 log, when the bench has generated it. */
export const BIG_LOG = path.join(ROOT, '.cache', 'bench', 'big.L2.log');
