/** Processes by parent, from /proc: test files run in parallel, so each counts only its own children. */
import * as fs from 'fs';

/** PIDs of the live processes whose parent is `parent` and whose command line starts with `command`. */
export function childrenOf(parent: number, command = ''): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // A zombie is dead: PID 1 of some containers never reaps the children it inherits.
      if (Number(ppid) === parent && state !== 'Z' && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(command)) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The QEMUs `parent` started and that still run. */
export function qemusOf(parent: number = process.pid): number[] {
  return childrenOf(parent, 'qemu-system');
}

/** True while `pid` runs (a zombie does not). */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}
