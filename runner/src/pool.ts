/**
 * Warm VMs: booted microVMs whose guest-init.sh serves job after job, so a matrix pays a boot (2–4 s
 * under TCG) once per kernel rather than once per run.
 *
 * One VM per machine key: what is fixed at boot (kernel, `lsm=` on the command line, accelerator,
 * memory, disk, QEMU). What else a variant changes (bpf_jit_harden, loader flags) the guest sets per
 * job. A VM serves one run at a time; runs for a busy key wait their turn.
 *
 * The channel: the host writes the job archive into the job area of the VM's disk (after the results
 * area) and `JOB <n> <skip> <blocks>` on the serial console; the guest reads the area with O_DIRECT,
 * loads, writes results headed with `n` to the results area and prints `@@BPFLENS-DONE <n>`. The
 * number makes a stale results area unreadable as this job's. A VM that times out, panics, dies,
 * is cancelled or answers without complete results is killed; the next run on its key boots anew.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  baseInitrd, buildCells, eachLimit, guard, jobArchive, Qemu, qemuArgs, readResults, resolveVm, vmFailure,
  type Cell, type GuestResults, type KernelImage, type Variant, type VmJob, type VmOptions, type VmSettings,
} from './vm';

const MiB = 1024 * 1024;
/** guest-init.sh reads the job area in blocks of this size (its `dd bs=`). */
const BLOCK = 64 * 1024;

export interface PoolOptions {
  /** A VM unused for this long is shut down (ms). Default 10 minutes. */
  idleMs?: number;
  /** VMs alive at once; a new key makes room by shutting down the least recently used idle VM. Default 8. */
  maxVms?: number;
}

export interface PoolStats {
  /** VMs started since the pool was made. */
  boots: number;
  /** Runs sent to a VM (a matrix sends one per kernel×variant). */
  jobs: number;
  /** VMs alive now. */
  vms: number;
}

type Machine = VmSettings & { image: KernelImage; lsm: boolean };

/** What shapes a booted VM; runs that agree on it can share one. */
function machineKey(m: Machine): string {
  return JSON.stringify([m.image.vmlinux, m.lsm, m.accel, m.memoryMb, m.resultsDiskMb, m.qemu, m.cacheDir]);
}

interface WarmVm {
  key: string;
  qemu: Qemu;
  /** The disk, open: results area (resultsDiskMb), then the job area (as large as the guest's memory). */
  disk: number;
  resultsDiskMb: number;
  /** Jobs sent so far; job numbers start at 1 (0 is the cold path's). */
  served: number;
  busy: boolean;
  lastUsed: number;
  idleTimer?: NodeJS.Timeout;
  /** QEMU has exited and the disk is closed. */
  gone: Promise<void>;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** True when `p` settles first, false as soon as the signal aborts. */
function unlessAborted(p: Promise<unknown>, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => resolve(false);
    signal?.addEventListener('abort', onAbort, { once: true });
    void p.then(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    });
  });
}

export class VmPool {
  private readonly idleMs: number;
  private readonly maxVms: number;
  private readonly vms = new Map<string, WarmVm>();
  /** Every VM whose QEMU has not exited yet, in the pool or already retired. */
  private readonly running = new Set<WarmVm>();
  /** Per key, the end of the line of runs holding or waiting for its VM. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly counts = { boots: 0, jobs: 0 };
  /** Resolved (and replaced) whenever a VM goes idle or away: a run waiting for room looks again. */
  private changed = deferred();
  private closed = false;

  constructor(opts: PoolOptions = {}) {
    this.idleMs = opts.idleMs ?? 10 * 60_000;
    this.maxVms = Math.max(1, opts.maxVms ?? 8);
  }

  stats(): PoolStats {
    return { ...this.counts, vms: this.vms.size };
  }

  /**
   * Boots the VMs these kernels and variants run on, `parallel` at a time, and waits until they are
   * up. A VM that fails to boot is dropped: the run that needs it boots its own and reports why.
   */
  async warm(kernels: string[], variants: Variant[] = [{}], opts: VmOptions & { parallel?: number } = {}): Promise<void> {
    const { images, ...settings } = resolveVm(opts, kernels);
    const machines = new Map<string, Machine>();
    for (const image of images) {
      for (const v of variants) {
        const m: Machine = { ...settings, image, lsm: !!v.lsm };
        machines.set(machineKey(m), m);
      }
    }
    await eachLimit([...machines], opts.parallel ?? 2, async ([key, m]) => {
      const release = (await this.lock(key))!;
      try {
        const vm = await this.vmFor(key, m);
        if (!vm) return;
        const standDown = guard(vm.qemu, m.timeoutMs);
        const up = await vm.qemu.ready();
        standDown();
        if (up) this.idle(vm);
        else this.retire(vm, 'boot failed');
      } finally {
        release();
      }
    });
  }

  /** One kernel×variant run on a warm VM (booted now if its key has none); runMatrix calls this. */
  async run(job: VmJob): Promise<Cell[]> {
    const { archive, names } = jobArchive(job);
    const fail = (problem: string) => buildCells(job, names, { results: null, problem, bootMs: -1, release: '' });
    if (archive.length > job.memoryMb * MiB) {
      return fail(`the objects (${(archive.length / MiB).toFixed(1)} MiB) do not fit in the guest's ${job.memoryMb} MiB`);
    }
    const machine: Machine = { ...job, lsm: !!job.variant.lsm };
    const key = machineKey(machine);
    const release = await this.lock(key, job.signal);
    if (!release) return fail('cancelled');
    try {
      const found = this.vms.get(key);
      const vm = await this.vmFor(key, machine, job.signal);
      if (!vm) return fail(this.closed ? 'the VM pool was closed' : 'cancelled');
      return await this.serve(vm, job, archive, names, vm !== found);
    } finally {
      release();
    }
  }

  /** Kills every VM and waits until they have exited. Later runs report the pool closed. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.running];
    for (const vm of all) this.retire(vm, 'the VM pool was closed');
    await Promise.all(all.map((vm) => vm.gone));
  }

  private async serve(vm: WarmVm, job: VmJob, archive: Buffer, names: string[], booted: boolean): Promise<Cell[]> {
    const n = ++vm.served;
    this.counts.jobs++;
    let results: GuestResults | null = null;
    const standDown = guard(vm.qemu, job.timeoutMs, job.signal);
    try {
      if (await vm.qemu.ready()) {
        vm.qemu.clearSerial(); // a panic reported for this job must be this job's
        fs.writeSync(vm.disk, archive, 0, archive.length, vm.resultsDiskMb * MiB);
        vm.qemu.send(`JOB ${n} ${(vm.resultsDiskMb * MiB) / BLOCK} ${Math.ceil(archive.length / BLOCK)}`);
        if (await vm.qemu.until(new RegExp(`@@BPFLENS-DONE ${n}\\r?\\n`))) results = readResults(vm.disk, n);
      }
    } finally {
      standDown();
    }
    const problem = vm.qemu.problem ?? (results?.complete ? undefined : vmFailure(vm.qemu));
    if (problem === undefined) this.idle(vm);
    else this.retire(vm, problem);
    return buildCells(job, names, { results, problem, bootMs: booted ? vm.qemu.bootMs : 0, release: vm.qemu.release });
  }

  /** Waits until the previous runs on this key are done; undefined if the signal aborts first. */
  private async lock(key: string, signal?: AbortSignal): Promise<(() => void) | undefined> {
    const before = this.queues.get(key) ?? Promise.resolve();
    const mine = deferred();
    const end = before.then(() => mine.promise);
    this.queues.set(key, end);
    void end.then(() => {
      if (this.queues.get(key) === end) this.queues.delete(key);
    });
    if (await unlessAborted(before, signal)) return mine.resolve;
    mine.resolve();
    return undefined;
  }

  /** The key's VM, marked busy; booted if there is none. Undefined when closed or aborted while waiting for room. */
  private async vmFor(key: string, m: Machine, signal?: AbortSignal): Promise<WarmVm | undefined> {
    let vm = this.vms.get(key);
    if (!vm) {
      if (!(await this.room(signal))) return undefined;
      vm = this.boot(key, m);
    }
    clearTimeout(vm.idleTimer);
    vm.busy = true;
    vm.qemu.keepAlive(true);
    return vm;
  }

  private async room(signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (this.closed || signal?.aborted) return false;
      if (this.vms.size < this.maxVms) return true;
      const lru = [...this.vms.values()].filter((v) => !v.busy).sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (lru) this.retire(lru, 'making room for another kernel');
      else await unlessAborted(this.changed.promise, signal);
    }
  }

  private boot(key: string, m: Machine): WarmVm {
    // The disk is unlinked at once and reaches QEMU as an inherited fd: a VM living for minutes
    // leaves no file behind, however it or this process ends.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflens-vm-'));
    const disk = fs.openSync(path.join(tmp, 'disk.img'), 'w+');
    fs.rmSync(tmp, { recursive: true });
    fs.ftruncateSync(disk, (m.resultsDiskMb + m.memoryMb) * MiB); // sparse
    const args = qemuArgs({ vmlinux: m.image.vmlinux, initrd: baseInitrd(m.cacheDir), disk: '/dev/fd/3', accel: m.accel, memoryMb: m.memoryMb, lsm: m.lsm, serve: true });
    const qemu = new Qemu(m.qemu, args, { fd3: disk });
    const vm: WarmVm = {
      key, qemu, disk, resultsDiskMb: m.resultsDiskMb, served: 0, busy: true, lastUsed: Date.now(),
      gone: qemu.exited.then(() => {
        // A VM that died on its own leaves the pool here; the next run on its key boots a fresh one.
        this.retire(vm, 'exited');
        this.running.delete(vm);
        fs.closeSync(disk);
      }),
    };
    this.running.add(vm);
    this.vms.set(key, vm);
    this.counts.boots++;
    return vm;
  }

  private idle(vm: WarmVm): void {
    vm.busy = false;
    vm.lastUsed = Date.now();
    vm.qemu.keepAlive(false);
    vm.idleTimer = setTimeout(() => this.retire(vm, 'idle'), this.idleMs);
    vm.idleTimer.unref();
    this.notify();
  }

  private retire(vm: WarmVm, why: string): void {
    clearTimeout(vm.idleTimer);
    if (this.vms.get(vm.key) === vm) this.vms.delete(vm.key);
    if (vm.qemu.running) {
      vm.qemu.keepAlive(true); // until its exit is seen
      vm.qemu.kill(why);
    }
    this.notify();
  }

  private notify(): void {
    this.changed.resolve();
    this.changed = deferred();
  }
}
