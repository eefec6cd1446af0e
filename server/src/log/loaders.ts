/**
 * Facts found in the text loaders wrap around a verifier log: which loader, which program,
 * which errno. The grammar marks those lines; this module reads them.
 */
import type { LoaderInfo } from './model';

const ERRNO_NAMES: Record<string, number> = {
  'Operation not permitted': 1, 'No such file or directory': 2, 'Argument list too long': 7,
  'Bad address': 14, 'Invalid argument': 22, 'No space left on device': 28,
  'Permission denied': 13, 'Unknown error 524': 524, 'Operation not supported': 95,
  // Newer libbpf names errnos (`failed to load: -ENOTSUPP`); 524 has no strerror text.
  '-ENOTSUPP': 524,
  'permission denied': 13, 'invalid argument': 22, 'argument list too long': 7, 'bad address': 14,
};

interface Rule {
  loader: string;
  test: RegExp;
  /** Program name in group `prog`, errno in group `errno` (negative or positive), errno text in `text`. */
}

const RULES: Rule[] = [
  { loader: 'libbpf', test: /^libbpf: (?:prog '(?<prog>[^']+)': )?(?:.*failed to load: -?(?<errno>\d+)|.*(?:program load failed|failed to load): (?<text>.+))?/ },
  { loader: 'libbpf', test: /^-- (?:BEGIN|END) (?:PROG LOAD LOG|DUMP LOG)|^-- END LOG --/ },
  { loader: 'bpftool', test: /^Error: (?:failed to load (?:object|program)[^\n]*|.*)/ },
  { loader: 'cilium/ebpf', test: /^(?:program (?<prog>\w+): )?load program: (?<text>[a-z ]+?)(?::|$)/ },
  { loader: 'tc', test: /^Prog section '(?<prog>[^']+)' rejected: (?<text>[^(]+?) \((?<errno>\d+)\)|^Verifier analysis:/ },
  { loader: 'bpftrace', test: /^ERROR: |^WARNING: |^Attaching \d+ probes?\.\.\.|^Error loading program: / },
  { loader: 'bcc', test: /^HINT: |^bpf: Failed to load program: (?<text>.+)|^Error loading |^Traceback|^Exception: / },
  { loader: 'capture', test: /^#/ },
];

export function readLoaderLines(lines: Iterable<string>): LoaderInfo {
  const info: LoaderInfo = { loaders: [], programName: null, errno: null };
  for (const line of lines) {
    for (const r of RULES) {
      const m = r.test.exec(line);
      if (!m) continue;
      if (!info.loaders.includes(r.loader)) info.loaders.push(r.loader);
      const g = m.groups ?? {};
      if (g.prog && !info.programName) info.programName = g.prog;
      if (g.errno && info.errno === null) info.errno = Number(g.errno);
      if (g.text && info.errno === null && ERRNO_NAMES[g.text.trim()] !== undefined) info.errno = ERRNO_NAMES[g.text.trim()];
      break;
    }
    // Capture headers: the kernel-matrix study's (`# program: x (…, prog p)`, `# verdict: FAIL  err=-22`)
    // and the editor's runner logs (`# bpflens runner: o.o, program p, …`, `# verdict: rejected, errno 524 (…)`).
    const capture = /^# (?:program: \S+ \(.*?prog (\w+)\)|bpflens runner: .*?, program (\w+),)/.exec(line);
    if (capture && !info.programName) info.programName = capture[1] ?? capture[2];
    const captureErr = /^# verdict: \w+(?:\s+err=-?|, errno )(\d+)/.exec(line);
    if (captureErr && info.errno === null && captureErr[1] !== '0') info.errno = Number(captureErr[1]);
  }
  return info;
}
