/**
 * Real loads of BPF objects on a matrix of Debian kernels, each booted in a QEMU microVM.
 *
 * One VM per kernel: the cached initramfs (busybox + static bpfload + runner/guest-init.sh, built by
 * runner/setup.sh) gets an uncompressed newc cpio appended with the objects and the log level; the
 * guest loads every program of every object and writes the loader's files to a sparse raw disk
 * attached as NVMe, then powers off. The host reads the disk back and returns one Cell per
 * (kernel, object, program). QEMU is spawned with an argument array, never through a shell.
 * This is the cold path; runner/src/pool.ts keeps booted VMs that serve job after job, with the
 * pieces exported here (QEMU arguments and process, the job archive, results, cells).
 *
 * No vscode imports: this module is shared by the CLI, tests and the runner service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Socket } from 'node:net';
import * as path from 'node:path';
import type { VmPool } from './pool';

export const KERNELS = ['5.10', '6.1', '6.12', '6.18', '7.3'] as const;
export type KernelSeries = (typeof KERNELS)[number];

export interface Cell {
  /** The requested series, e.g. '6.1'. */
  kernel: string;
  /** `uname -r` inside the VM ('' when the VM never reported it). */
  kernelRelease: string;
  /** Program name ('' when the VM or the loader failed before programs were known). */
  program: string;
  /** The object path as given to runMatrix. */
  object: string;
  verdict: 'accepted' | 'rejected' | 'error';
  /** Positive errno of the load, 0 when accepted or unknown. */
  errno: number;
  errnoName: string;
  /** The verifier log verbatim (bytes decoded as UTF-8). */
  log: string;
  truncated: boolean;
  /** bpf_object__load() of the final attempt, measured inside the VM (ms). */
  loadMs: number;
  /**
   * Host time from starting QEMU to the guest's init running (ms), -1 if it never started; 0 when
   * the run found its VM already booted (runner/src/pool.ts).
   */
  bootMs: number;
  logLevel: number;
  /** libbpf's own messages for the load (kept: some failures never reach the kernel). */
  libbpf: string;
  /** The variant this cell ran in (`variantName`). */
  variant: string;
  /** Why there is no verdict: the VM or the loader failed. */
  vmProblem?: string;
  /** Instructions the verifier processed (its `processed N insns`), 0 when unknown. */
  insnsProcessed: number;
  /** Size of the program as loaded, after the verifier's rewrites (bytes), 0 when not loaded. */
  xlatedBytes: number;
  /** Size of the JIT-ed machine code (bytes), 0 when not loaded or not JIT-ed. */
  jitedBytes: number;
  /** errno 524 (ENOTSUPP): the verifier got through, the JIT could not compile the program. */
  jitFailed: boolean;
}

/** Loader metadata (bpfload's `<program>.L<level>.json`) and files → a cell; `base` says where it ran. */
export function loadedCell(base: Pick<Cell, 'kernel' | 'kernelRelease' | 'object' | 'bootMs' | 'logLevel' | 'variant'>, meta: LoaderMeta, log: string, libbpf: string): Cell {
  return {
    ...base,
    kernelRelease: meta.kernel || base.kernelRelease,
    program: meta.program, verdict: meta.verdict, errno: meta.errno, errnoName: meta.errnoName,
    log, truncated: meta.truncated, loadMs: meta.loadMs, libbpf,
    insnsProcessed: Math.max(0, meta.insnsProcessed ?? 0), xlatedBytes: meta.xlatedBytes ?? 0, jitedBytes: meta.jitedBytes ?? 0,
    jitFailed: meta.errno === 524,
  };
}

/** A cell without a verdict: the VM or the loader failed before loading `program` (or any program). */
export function problemCell(base: Pick<Cell, 'kernel' | 'kernelRelease' | 'object' | 'bootMs' | 'logLevel' | 'variant'>, vmProblem: string, program = ''): Cell {
  return {
    ...base, program, verdict: 'error', errno: 0, errnoName: '', log: '', truncated: false, loadMs: 0, libbpf: '', vmProblem,
    insnsProcessed: 0, xlatedBytes: 0, jitedBytes: 0, jitFailed: false,
  };
}

/** Program names reach the guest's shell (its job env): identifiers only, as C and libbpf have them. */
const PROGRAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** bpfload's flags for a variant and an optional choice of programs. */
export function loaderFlags(variant: Variant, programs?: readonly string[]): string[] {
  const bad = programs?.find((p) => !PROGRAM_NAME.test(p));
  if (bad !== undefined) throw new Error(`runner: '${bad}' is not a BPF program name`);
  return [...(variant.unprivileged ? ['--no-perfmon'] : []), ...(programs?.length ? ['--only', programs.join(',')] : [])];
}

/**
 * How a kernel is run: `bpf_jit_harden` (2 = constant blinding for everyone, where a JIT may fail
 * with errno 524), loads without CAP_PERFMON/CAP_SYS_ADMIN (CAP_BPF and CAP_NET_ADMIN kept), and
 * the BPF LSM enabled on the kernel command line so `lsm/` programs load.
 */
export interface Variant {
  jitHarden?: 0 | 2;
  unprivileged?: boolean;
  lsm?: boolean;
}

/** The variants by the names the CLI and the HTTP service take. */
export const VARIANTS: Record<string, Variant> = {
  default: {},
  harden2: { jitHarden: 2 },
  unpriv: { unprivileged: true },
  lsm: { lsm: true },
};

/** A short, stable name for a variant: `default`, `harden2`, `unpriv+lsm`… */
export function variantName(v: Variant = {}): string {
  const parts = [v.unprivileged ? 'unpriv' : '', v.lsm ? 'lsm' : '', v.jitHarden === 2 ? 'harden2' : ''].filter(Boolean);
  return parts.length ? parts.join('+') : 'default';
}

/** How a VM is started and how long a job on it may take. */
export interface VmOptions {
  /** Default: $BPFLENS_RUNNER_CACHE, else <repo>/.cache/runner. */
  cacheDir?: string;
  /** Time limit of one kernel×variant run, boot included when it has to boot (ms). Default 120000. */
  timeoutMs?: number;
  /** 'auto' (default: KVM only when /dev/kvm is usable and the CPU has VMX/SVM, else TCG), 'tcg' or 'kvm'. */
  accel?: 'tcg' | 'kvm' | 'auto';
  /** Guest memory (MiB). Default 256; use 512 for level-2 logs above ~60 MB. */
  memoryMb?: number;
  /** Size of the sparse results disk (MiB). Default 1024. */
  resultsDiskMb?: number;
  /** QEMU binary. Default qemu-system-x86_64 from PATH. */
  qemu?: string;
}

export interface MatrixOptions extends VmOptions {
  /** Paths of BPF object files (.o). */
  objects: string[];
  /** Kernel series: '5.10' | '6.1' | '6.12' | '6.18' | '7.3'. */
  kernels: string[];
  logLevel: 1 | 2;
  /** Load only these programs of each object (default: every program). */
  programs?: string[];
  /** VMs at once. Default 2 (more gains nothing on 2 cores under TCG). */
  parallel?: number;
  /** Variants to run every kernel in; default one, `{}`. */
  variants?: Variant[];
  /** Cancels the matrix: running VMs are killed, the rest never start; their cells say `cancelled`. */
  signal?: AbortSignal;
  /** Called as each VM finishes, with its cells. */
  onProgress?: (cells: Cell[], done: number, total: number) => void;
  /** Run on the pool's booted VMs instead of booting one VM per kernel and variant. */
  pool?: VmPool;
}

function findRoot(dir: string): string {
  if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'runner'))) return dir;
  const up = path.dirname(dir);
  if (up === dir) throw new Error(`runner: cannot find the bpflens repository above ${__dirname}`);
  return findRoot(up);
}

/** The bpflens checkout this runner belongs to (the loader's source and the default cache live there). */
export function repoRoot(): string {
  return findRoot(__dirname);
}

export function defaultCacheDir(): string {
  return process.env.BPFLENS_RUNNER_CACHE || path.join(findRoot(__dirname), '.cache', 'runner');
}

export interface KernelImage {
  series: string;
  vmlinux: string;
  release: string;
  package: string;
  version: string;
}

/** The cached kernel of a series, or an Error naming the setup command that provides it. */
export function kernelImage(cacheDir: string, series: string): KernelImage {
  if (!(KERNELS as readonly string[]).includes(series)) {
    throw new Error(`runner: unknown kernel '${series}' (known: ${KERNELS.join(', ')})`);
  }
  const dir = path.join(cacheDir, 'kernels', series);
  const vmlinux = path.join(dir, 'vmlinux');
  const infoPath = path.join(dir, 'info');
  if (!fs.existsSync(vmlinux) || !fs.existsSync(infoPath)) {
    throw new Error(`runner: kernel ${series} is not in ${cacheDir}; run: bash runner/setup.sh ${series}`);
  }
  const info = new Map<string, string>();
  for (const line of fs.readFileSync(infoPath, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) info.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return { series, vmlinux, release: info.get('release') ?? '', package: info.get('package') ?? '', version: info.get('version') ?? '' };
}

/** True when every file runMatrix needs for these kernels is in the cache. */
export function cacheReady(cacheDir: string, kernels: string[]): boolean {
  try {
    for (const k of kernels) kernelImage(cacheDir, k);
    return fs.existsSync(baseInitrd(cacheDir));
  } catch {
    return false;
  }
}

export function baseInitrd(cacheDir: string): string {
  return path.join(cacheDir, 'initramfs', 'base.cpio.gz');
}

// ---- the job archive (appended to the initrd, or written to a warm VM's job area) ---------------------

export interface CpioEntry {
  name: string;
  /** Absent for a directory. */
  data?: Buffer;
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** An uncompressed SVR4 "newc" archive (no CRC), ending with the TRAILER!!! entry. */
export function newcArchive(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (name: string, mode: number, data: Buffer) => {
    const nameBytes = Buffer.from(name + '\0', 'utf8');
    const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
    const header = Buffer.from('070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join(''), 'ascii');
    parts.push(header, nameBytes, Buffer.alloc(pad4(header.length + nameBytes.length)), data, Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) push(e.name, e.data ? 0o100644 : 0o040755, e.data ?? Buffer.alloc(0));
  push('TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** VmOptions with their defaults applied. */
export interface VmSettings {
  cacheDir: string;
  timeoutMs: number;
  accel: 'tcg' | 'kvm';
  memoryMb: number;
  resultsDiskMb: number;
  qemu: string;
}

/** One kernel×variant run: the unit both the cold path and the pool run. */
export interface VmJob extends VmSettings {
  image: KernelImage;
  variant: Variant;
  signal?: AbortSignal;
  objects: string[];
  logLevel: number;
  /** Load only these programs of each object (default: all). */
  programs?: string[];
}

function jobName(i: number, object: string): string {
  const base = path.basename(object).replace(/\.o$/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${String(i).padStart(3, '0')}_${base}`;
}

/**
 * The guest's /jobs: `NNN_<name>.o` per object (names made safe here, so nothing of the caller's
 * reaches the guest's shell but bytes in files) and `env`, sourced by guest-init.sh.
 */
export function jobArchive(job: VmJob): { archive: Buffer; names: string[] } {
  const names = job.objects.map((o, i) => jobName(i, o));
  const archive = newcArchive([
    { name: 'jobs' },
    {
      name: 'jobs/env',
      // Quoted for the guest's `.`: the flags hold spaces, never quotes (loaderFlags checks the names).
      data: Buffer.from(`LEVEL=${job.logLevel}\nHARDEN=${job.variant.jitHarden ?? 0}\nFLAGS='${loaderFlags(job.variant, job.programs).join(' ')}'\n`),
    },
    ...job.objects.map((o, i) => ({ name: `jobs/${names[i]}.o`, data: fs.readFileSync(o) })),
  ]);
  return { archive, names };
}

// ---- results disk ------------------------------------------------------------------------------------

export interface GuestResults {
  release: string;
  /** "<job dir>/<file name>" → contents. */
  files: Map<string, Buffer>;
  /** False when the guest did not reach the @@END record. */
  complete: boolean;
}

/**
 * Reads the framed records guest-init.sh wrote at the start of the disk image (a path, or an open
 * fd); null if there are none for this job (a warm VM's disk keeps the previous job's records until
 * they are overwritten).
 */
export function readResults(image: string | number, job = 0): GuestResults | null {
  const fd = typeof image === 'number' ? image : fs.openSync(image, 'r');
  try {
    let pos = 0;
    const readLine = (): string | null => {
      const chunks: Buffer[] = [];
      for (;;) {
        const buf = Buffer.alloc(4096);
        const n = fs.readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) return null;
        const nl = buf.subarray(0, n).indexOf(10);
        if (nl >= 0) {
          chunks.push(buf.subarray(0, nl));
          pos += nl + 1;
          return Buffer.concat(chunks).toString('utf8');
        }
        if (buf.subarray(0, n).includes(0)) return null; // ran into the unwritten (zero) part
        chunks.push(buf.subarray(0, n));
        pos += n;
      }
    };
    if (readLine() !== `BPFLENS-RESULTS 1 ${job}`) return null;
    const results: GuestResults = { release: '', files: new Map(), complete: false };
    for (;;) {
      const line = readLine();
      if (line === null) return results;
      if (line === '@@END') {
        results.complete = true;
        return results;
      }
      if (line.startsWith('release ')) {
        results.release = line.slice(8);
        continue;
      }
      const m = /^@@FILE (\d+) (.+)$/.exec(line);
      if (!m) return results;
      const size = Number(m[1]);
      const data = Buffer.alloc(size);
      if (size > 0 && fs.readSync(fd, data, 0, size, pos) !== size) return results;
      pos += size + 1; // the record's closing newline
      results.files.set(m[2], data);
    }
  } finally {
    if (fd !== image) fs.closeSync(fd);
  }
}

// ---- QEMU ---------------------------------------------------------------------------------------------

/** TSC frequency for tsc_early_khz (microvm under TCG hangs now and then calibrating against the PIT). */
function hostTscKhz(): number | null {
  try {
    const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? Math.round(Number(m[1]) * 1000) : null;
  } catch {
    return null;
  }
}

/** KVM only where it can really run these kernels: /dev/kvm usable and hardware virtualisation (not PVM). */
export function kvmUsable(): boolean {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
    return /^flags\s*:.*\b(vmx|svm)\b/m.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

export function qemuArgs(o: {
  vmlinux: string; initrd: string; disk: string; accel: 'tcg' | 'kvm'; memoryMb: number; lsm?: boolean;
  /** guest-init.sh waits for jobs on the console instead of running the initrd's one job. */
  serve?: boolean;
}): string[] {
  const tsc = hostTscKhz();
  const append = [
    'console=ttyS0', 'panic=-1', 'reboot=t', 'rdinit=/init', 'quiet', ...(tsc ? [`tsc_early_khz=${tsc}`] : []),
    // Debian builds the BPF LSM in but does not enable it.
    ...(o.lsm ? ['lsm=lockdown,capability,landlock,yama,bpf'] : []),
    ...(o.serve ? ['bpflens.serve'] : []),
  ];
  return [
    '-accel', o.accel, '-cpu', o.accel === 'kvm' ? 'host' : 'max', '-m', String(o.memoryMb), '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-M', 'microvm,pit=on,pic=on,rtc=on,pcie=on',
    '-kernel', o.vmlinux, '-initrd', o.initrd, '-append', append.join(' '),
    '-chardev', 'stdio,id=s0,signal=off', '-serial', 'chardev:s0',
    '-drive', `file=${o.disk},if=none,format=raw,id=o,cache=unsafe`, '-device', 'nvme,serial=bpfout,drive=o',
  ];
}

/** QEMU processes alive right now and their temp dirs; both go if this Node process exits first. */
const live = new Map<ChildProcess, string | undefined>();
let exitHookInstalled = false;
function track(child: ChildProcess, tmp: string | undefined): void {
  live.set(child, tmp);
  child.once('close', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const [c, dir] of live) {
        c.kill('SIGKILL');
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

/**
 * util-linux's setpriv gives QEMU a parent-death signal, so it dies with this Node process even
 * when no exit hook runs (SIGKILL, a crash): a warm VM would otherwise wait for jobs forever.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));

/** One QEMU process and its serial console: when the guest's init ran, and why QEMU ended if it did. */
export class Qemu {
  private readonly child: ChildProcess;
  private readonly t0 = performance.now();
  private readonly watchers = new Set<() => void>();
  /** Spawn → `@@BPFLENS-READY` (ms); -1 until the guest says so. */
  bootMs = -1;
  /** `uname -r` from the ready marker. */
  release = '';
  /** Console output and QEMU's stderr since the start or `clearSerial()`, at most the last 64 KiB. */
  serial = '';
  /** Why the VM was killed or could not run; undefined while nothing went wrong. */
  problem?: string;
  /** QEMU's exit code or signal once it exited. */
  exit?: string;
  /** Resolves when QEMU has exited (or could not start); never rejects. */
  readonly exited: Promise<void>;

  /**
   * `tmp` is removed with the VM if this Node process exits while QEMU still runs; `fd3` is handed
   * to QEMU as its fd 3 (`/dev/fd/3` in its arguments).
   */
  constructor(bin: string, args: string[], files: { tmp?: string; fd3?: number }) {
    const [file, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
    this.child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe', ...(files.fd3 === undefined ? [] : [files.fd3])] });
    track(this.child, files.tmp);
    const onData = (d: Buffer) => {
      this.serial += d.toString('utf8');
      if (this.serial.length > 65536) this.serial = this.serial.slice(-65536);
      if (this.bootMs < 0) {
        const m = /@@BPFLENS-READY (\S+)/.exec(this.serial);
        if (m) {
          this.bootMs = Math.round(performance.now() - this.t0);
          this.release = m[1];
        }
      }
      for (const w of this.watchers) w();
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    // A request written just as QEMU dies must not become an unhandled EPIPE.
    this.child.stdin!.on('error', () => undefined);
    this.child.on('error', (e) => {
      this.problem ??= `cannot run ${bin}: ${e.message}`;
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exit = String(code ?? signal);
        for (const w of this.watchers) w();
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Kills QEMU; `problem` is what the run it was doing reports (the first reason given wins). */
  kill(problem: string): void {
    this.problem ??= problem;
    this.child.kill('SIGKILL');
  }

  /** Writes a line to the guest's console. */
  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  clearSerial(): void {
    this.serial = '';
  }

  /** True once the serial output matches `re`; false if QEMU exits first. */
  until(re: RegExp): Promise<boolean> {
    return this.when(() => re.test(this.serial));
  }

  /** True once the guest's init has run (it may have long since) while QEMU runs; false once it exited. */
  ready(): Promise<boolean> {
    return this.when(() => this.bootMs >= 0 && this.running);
  }

  private when(test: () => boolean): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        const hit = test();
        if (!hit && this.running) return;
        this.watchers.delete(check);
        resolve(hit);
      };
      this.watchers.add(check);
      check();
    });
  }

  /** Whether this VM keeps Node running: an idle warm VM does not (the exit hook still kills it). */
  keepAlive(on: boolean): void {
    for (const h of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as (ChildProcess | Socket | null)[]) {
      if (on) h?.ref();
      else h?.unref();
    }
  }
}

/** Kills the VM when the time limit runs out or the signal aborts; returns what stands the guard down. */
export function guard(vm: Qemu, timeoutMs: number, signal?: AbortSignal): () => void {
  const timer = setTimeout(() => vm.kill(`timeout after ${timeoutMs} ms`), timeoutMs);
  const cancel = () => vm.kill('cancelled');
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  return () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', cancel);
  };
}

// ---- cells --------------------------------------------------------------------------------------------

function tail(text: string, lines: number): string {
  return text.replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join(' | ');
}

/** Why a VM gave no (complete) results: the kernel's panic line, else the end of its console. */
export function vmFailure(vm: Qemu): string {
  const panic = /Kernel panic[^\n]*/.exec(vm.serial);
  if (panic) return panic[0].trim();
  return `no results from the VM (${vm.exit === undefined ? '' : `qemu exit ${vm.exit}; `}serial: ${tail(vm.serial, 4) || 'empty'})`;
}

export interface LoaderMeta {
  program: string;
  verdict: 'accepted' | 'rejected';
  errno: number;
  errnoName: string;
  truncated: boolean;
  loadMs: number;
  kernel: string;
  insnsProcessed?: number;
  xlatedBytes?: number;
  jitedBytes?: number;
}

/** How one run ended: the guest's results, or the problem every cell of the run reports. */
export interface RunOutcome {
  results: GuestResults | null;
  problem?: string;
  bootMs: number;
  /** `uname -r` from the ready marker, for runs that never wrote results. */
  release: string;
}

/** One cell per (object, program) of a run; one error cell per object when the run or its loader failed. */
export function buildCells(job: VmJob, names: string[], run: RunOutcome): Cell[] {
  const { results, problem, bootMs } = run;
  const release = results?.release || run.release;
  const variant = variantName(job.variant);
  const cells: Cell[] = [];
  const base = (object: string) => ({ kernel: job.image.series, kernelRelease: release, object, bootMs, logLevel: job.logLevel, variant });
  job.objects.forEach((object, i) => {
    if (!results || problem !== undefined) {
      cells.push(problemCell(base(object), problem ?? 'no results'));
      return;
    }
    const dir = names[i] + '/';
    const file = (name: string) => results.files.get(dir + name);
    const metas = [...results.files.keys()]
      .filter((k) => k.startsWith(dir) && k.endsWith(`.L${job.logLevel}.json`))
      .sort();
    for (const key of metas) {
      const meta = JSON.parse(results.files.get(key)!.toString('utf8')) as LoaderMeta;
      const stem = key.slice(dir.length, -'.json'.length);
      cells.push(loadedCell(base(object), meta, file(`${stem}.log`)?.toString('utf8') ?? '', file(`${stem}.libbpf.txt`)?.toString('utf8') ?? ''));
    }
    const rc = file('bpfload.rc')?.toString('utf8').trim() ?? '?';
    if (metas.length === 0) {
      const out = file('bpfload.out')?.toString('utf8') ?? '';
      cells.push(problemCell(base(object), `loader exited ${rc} without loading a program: ${tail(out, 3) || 'no output'}`));
    }
  });
  return cells;
}

// ---- the cold path: one VM per run ---------------------------------------------------------------------

async function runVm(job: VmJob): Promise<Cell[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflens-vm-'));
  try {
    const initrd = path.join(tmp, 'job.initrd');
    const disk = path.join(tmp, 'results.img');
    const { archive, names } = jobArchive(job);
    const base = fs.readFileSync(baseInitrd(job.cacheDir));
    // The appended archive must start 4-byte aligned (setup pads the base; pad again to be sure).
    fs.writeFileSync(initrd, Buffer.concat([base, Buffer.alloc(pad4(base.length)), archive]));
    fs.writeFileSync(disk, '');
    fs.truncateSync(disk, job.resultsDiskMb * 1024 * 1024); // sparse

    const vm = new Qemu(job.qemu, qemuArgs({ vmlinux: job.image.vmlinux, initrd, disk, accel: job.accel, memoryMb: job.memoryMb, lsm: job.variant.lsm }), { tmp });
    const standDown = guard(vm, job.timeoutMs, job.signal);
    await vm.exited;
    standDown();
    const results = vm.problem ? null : readResults(disk);
    const problem = vm.problem ?? (results?.complete ? undefined : vmFailure(vm));
    return buildCells(job, names, { results, problem, bootMs: vm.bootMs, release: vm.release });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** VmOptions with their defaults, checked against the cache. */
export function resolveVm(opts: VmOptions, kernels: string[]): VmSettings & { images: KernelImage[] } {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const images = kernels.map((k) => kernelImage(cacheDir, k));
  if (!fs.existsSync(baseInitrd(cacheDir))) {
    throw new Error(`runner: no initramfs in ${cacheDir}; run: bash runner/setup.sh ${kernels.join(' ')}`);
  }
  const wanted = opts.accel ?? (process.env.BPFLENS_RUNNER_ACCEL as VmOptions['accel']) ?? 'auto';
  return {
    images,
    cacheDir,
    timeoutMs: opts.timeoutMs ?? 120_000,
    accel: wanted === 'auto' ? (kvmUsable() ? 'kvm' : 'tcg') : wanted === 'kvm' ? 'kvm' : 'tcg',
    memoryMb: opts.memoryMb ?? 256,
    resultsDiskMb: opts.resultsDiskMb ?? 1024,
    qemu: opts.qemu ?? 'qemu-system-x86_64',
  };
}

/** Runs `f` on every item, at most `n` at a time. */
export async function eachLimit<T>(items: T[], n: number, f: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await f(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

/** Loads every program of every object on every kernel; one Cell per (kernel, object, program). */
export async function runMatrix(opts: MatrixOptions): Promise<Cell[]> {
  if (opts.logLevel !== 1 && opts.logLevel !== 2) throw new Error(`runner: logLevel must be 1 or 2, not ${opts.logLevel}`);
  for (const o of opts.objects) {
    if (!fs.statSync(o, { throwIfNoEntry: false })?.isFile()) throw new Error(`runner: ${o}: no such object file`);
  }
  loaderFlags({}, opts.programs);
  const { images, ...vm } = resolveVm(opts, opts.kernels);
  const jobs: VmJob[] = images.flatMap((image) => (opts.variants ?? [{}]).map((variant) => ({
    ...vm, image, variant, signal: opts.signal, objects: opts.objects, logLevel: opts.logLevel, programs: opts.programs,
  })));
  const out: Cell[][] = new Array(jobs.length);
  let done = 0;
  await eachLimit(jobs, opts.parallel ?? 2, async (job, i) => {
    out[i] = await (opts.pool ? opts.pool.run(job) : runVm(job));
    opts.onProgress?.(out[i], ++done, jobs.length);
  });
  return out.flat();
}
