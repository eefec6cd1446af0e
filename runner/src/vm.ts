/**
 * Real loads of BPF objects on a matrix of Debian kernels, each booted in a QEMU microVM.
 *
 * One VM per kernel: the cached initramfs (busybox + static bpfload + runner/guest-init.sh, built by
 * runner/setup.sh) gets an uncompressed newc cpio appended with the objects and the log level; the
 * guest loads every program of every object and writes the loader's files to a sparse raw disk
 * attached as NVMe, then powers off. The host reads the disk back and returns one Cell per
 * (kernel, object, program). QEMU is spawned with an argument array, never through a shell.
 *
 * No vscode imports: this module is shared by the CLI, tests and (later) the runner service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

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
  /** Host time from starting QEMU to the guest's init running (ms), -1 if it never started. */
  bootMs: number;
  logLevel: number;
  /** libbpf's own messages for the load (kept: some failures never reach the kernel). */
  libbpf: string;
  /** The variant this cell ran in (`variantName`). */
  variant: string;
  /** Why there is no verdict: the VM or the loader failed. */
  vmProblem?: string;
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

export interface MatrixOptions {
  /** Paths of BPF object files (.o). */
  objects: string[];
  /** Kernel series: '5.10' | '6.1' | '6.12' | '6.18' | '7.3'. */
  kernels: string[];
  logLevel: 1 | 2;
  /** Default: $BPFLENS_RUNNER_CACHE, else <repo>/.cache/runner. */
  cacheDir?: string;
  /** Per-VM time limit, boot included (ms). Default 120000. */
  timeoutMs?: number;
  /** VMs at once. Default 2 (more gains nothing on 2 cores under TCG). */
  parallel?: number;
  /** 'tcg' (default), 'kvm', or 'auto' (KVM only when /dev/kvm is usable and the CPU has VMX/SVM). */
  accel?: 'tcg' | 'kvm' | 'auto';
  /** Guest memory (MiB). Default 256; use 512 for level-2 logs above ~60 MB. */
  memoryMb?: number;
  /** Size of the sparse results disk (MiB). Default 1024. */
  resultsDiskMb?: number;
  /** QEMU binary. Default qemu-system-x86_64 from PATH. */
  qemu?: string;
  /** Variants to run every kernel in; default one, `{}`. */
  variants?: Variant[];
  /** Cancels the matrix: running VMs are killed, the rest never start; their cells say `cancelled`. */
  signal?: AbortSignal;
  /** Called as each VM finishes, with its cells. */
  onProgress?: (cells: Cell[], done: number, total: number) => void;
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

function baseInitrd(cacheDir: string): string {
  return path.join(cacheDir, 'initramfs', 'base.cpio.gz');
}

// ---- newc cpio (the job archive appended to the initrd) --------------------------------------------

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

// ---- results disk ------------------------------------------------------------------------------------

export interface GuestResults {
  release: string;
  /** "<job dir>/<file name>" → contents. */
  files: Map<string, Buffer>;
  /** False when the guest did not reach the @@END record. */
  complete: boolean;
}

/** Reads the framed records guest-init.sh wrote at the start of the disk image; null if there are none. */
export function readResults(imagePath: string): GuestResults | null {
  const fd = fs.openSync(imagePath, 'r');
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
    if (readLine() !== 'BPFLENS-RESULTS 1') return null;
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
    fs.closeSync(fd);
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

export function qemuArgs(o: { vmlinux: string; initrd: string; disk: string; accel: 'tcg' | 'kvm'; memoryMb: number; lsm?: boolean }): string[] {
  const tsc = hostTscKhz();
  const append = [
    'console=ttyS0', 'panic=-1', 'reboot=t', 'rdinit=/init', 'quiet', ...(tsc ? [`tsc_early_khz=${tsc}`] : []),
    // Debian builds the BPF LSM in but does not enable it.
    ...(o.lsm ? ['lsm=lockdown,capability,landlock,yama,bpf'] : []),
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

/** QEMU processes alive right now; killed if this Node process exits first. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('close', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

interface VmJob {
  image: KernelImage;
  variant: Variant;
  signal?: AbortSignal;
  objects: string[];
  logLevel: number;
  cacheDir: string;
  timeoutMs: number;
  accel: 'tcg' | 'kvm';
  memoryMb: number;
  resultsDiskMb: number;
  qemu: string;
}

function jobName(i: number, object: string): string {
  const base = path.basename(object).replace(/\.o$/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${String(i).padStart(3, '0')}_${base}`;
}

function tail(text: string, lines: number): string {
  return text.replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join(' | ');
}

export interface LoaderMeta {
  program: string;
  verdict: 'accepted' | 'rejected';
  errno: number;
  errnoName: string;
  truncated: boolean;
  loadMs: number;
  kernel: string;
}

async function runVm(job: VmJob): Promise<Cell[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflens-vm-'));
  try {
    const initrd = path.join(tmp, 'job.initrd');
    const disk = path.join(tmp, 'results.img');
    const names = job.objects.map((o, i) => jobName(i, o));
    const archive = newcArchive([
      { name: 'jobs' },
      {
        name: 'jobs/env',
        data: Buffer.from(`LEVEL=${job.logLevel}\nHARDEN=${job.variant.jitHarden ?? 0}\nFLAGS=${job.variant.unprivileged ? '--no-perfmon' : ''}\n`),
      },
      ...job.objects.map((o, i) => ({ name: `jobs/${names[i]}.o`, data: fs.readFileSync(o) })),
    ]);
    const base = fs.readFileSync(baseInitrd(job.cacheDir));
    // The appended archive must start 4-byte aligned (setup pads the base; pad again to be sure).
    fs.writeFileSync(initrd, Buffer.concat([base, Buffer.alloc(pad4(base.length)), archive]));
    fs.writeFileSync(disk, '');
    fs.truncateSync(disk, job.resultsDiskMb * 1024 * 1024); // sparse

    const args = qemuArgs({ vmlinux: job.image.vmlinux, initrd, disk, accel: job.accel, memoryMb: job.memoryMb, lsm: job.variant.lsm });
    const t0 = performance.now();
    let bootMs = -1;
    let readyRelease = '';
    let serial = '';
    let problem: string | undefined;
    const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      const child = spawn(job.qemu, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      track(child);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        problem = `timeout after ${job.timeoutMs} ms`;
        child.kill('SIGKILL');
      }, job.timeoutMs);
      const cancel = () => {
        problem = 'cancelled';
        child.kill('SIGKILL');
      };
      if (job.signal?.aborted) cancel();
      job.signal?.addEventListener('abort', cancel, { once: true });
      child.once('close', () => job.signal?.removeEventListener('abort', cancel));
      const onData = (d: Buffer) => {
        serial += d.toString('utf8');
        if (serial.length > 65536) serial = serial.slice(-65536);
        if (bootMs < 0) {
          const m = /@@BPFLENS-READY (\S+)/.exec(serial);
          if (m) {
            bootMs = Math.round(performance.now() - t0);
            readyRelease = m[1];
          }
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('error', (e) => {
        if (!timedOut) problem = `cannot run ${job.qemu}: ${e.message}`;
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });

    const results = problem ? null : readResults(disk);
    if (!problem) {
      const panic = /Kernel panic[^\n]*/.exec(serial);
      if (!results || !results.complete) {
        problem = panic
          ? panic[0].trim()
          : `no results from the VM (qemu exit ${exit.code ?? exit.signal}; serial: ${tail(serial, 4) || 'empty'})`;
      }
    }
    const release = results?.release || readyRelease;
    const cells: Cell[] = [];
    const errorCell = (object: string, vmProblem: string, program = ''): Cell => ({
      kernel: job.image.series, kernelRelease: release, program, object, verdict: 'error', errno: 0, errnoName: '',
      log: '', truncated: false, loadMs: 0, bootMs, logLevel: job.logLevel, libbpf: '', vmProblem, variant: variantName(job.variant),
    });
    job.objects.forEach((object, i) => {
      if (problem || !results) {
        cells.push(errorCell(object, problem ?? 'no results'));
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
        cells.push({
          kernel: job.image.series,
          kernelRelease: meta.kernel || release,
          program: meta.program,
          object,
          verdict: meta.verdict,
          errno: meta.errno,
          errnoName: meta.errnoName,
          log: file(`${stem}.log`)?.toString('utf8') ?? '',
          truncated: meta.truncated,
          loadMs: meta.loadMs,
          bootMs,
          logLevel: job.logLevel,
          variant: variantName(job.variant),
          libbpf: file(`${stem}.libbpf.txt`)?.toString('utf8') ?? '',
        });
      }
      const rc = file('bpfload.rc')?.toString('utf8').trim() ?? '?';
      if (metas.length === 0) {
        const out = file('bpfload.out')?.toString('utf8') ?? '';
        cells.push(errorCell(object, `loader exited ${rc} without loading a program: ${tail(out, 3) || 'no output'}`));
      }
    });
    return cells;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Loads every program of every object on every kernel; one Cell per (kernel, object, program). */
export async function runMatrix(opts: MatrixOptions): Promise<Cell[]> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  if (opts.logLevel !== 1 && opts.logLevel !== 2) throw new Error(`runner: logLevel must be 1 or 2, not ${opts.logLevel}`);
  for (const o of opts.objects) {
    if (!fs.statSync(o, { throwIfNoEntry: false })?.isFile()) throw new Error(`runner: ${o}: no such object file`);
  }
  const images = opts.kernels.map((k) => kernelImage(cacheDir, k));
  if (!fs.existsSync(baseInitrd(cacheDir))) {
    throw new Error(`runner: no initramfs in ${cacheDir}; run: bash runner/setup.sh ${opts.kernels.join(' ')}`);
  }
  const wanted = opts.accel ?? (process.env.BPFLENS_RUNNER_ACCEL as MatrixOptions['accel']) ?? 'tcg';
  const accel: 'tcg' | 'kvm' = wanted === 'auto' ? (kvmUsable() ? 'kvm' : 'tcg') : wanted === 'kvm' ? 'kvm' : 'tcg';
  const jobs: VmJob[] = images.flatMap((image) => (opts.variants ?? [{}]).map((variant) => ({
    image,
    variant,
    signal: opts.signal,
    objects: opts.objects,
    logLevel: opts.logLevel,
    cacheDir,
    timeoutMs: opts.timeoutMs ?? 120_000,
    accel,
    memoryMb: opts.memoryMb ?? 256,
    resultsDiskMb: opts.resultsDiskMb ?? 1024,
    qemu: opts.qemu ?? 'qemu-system-x86_64',
  })));
  const out: Cell[][] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await runVm(jobs[i]);
      opts.onProgress?.(out[i], ++done, jobs.length);
    }
  };
  const parallel = Math.max(1, Math.min(opts.parallel ?? 2, jobs.length));
  await Promise.all(Array.from({ length: parallel }, worker));
  return out.flat();
}
