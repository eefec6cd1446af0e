import * as fs from 'fs';
import * as path from 'path';
import type { Cell } from '../../../runner/src/vm';
import { readElf } from '../../../server/src/mapping/elf';
import { programsOf } from '../../../server/src/mapping/programs';

/**
 * An object's bytes and the programs libbpf loads from it (subprograms in `.text` go with their
 * callers); an Error naming the file and the problem when it is unreadable, not BPF, or empty.
 */
export function readObject(object: string): { bytes: Buffer; programs: string[] } {
	let bytes: Buffer;
	try {
		bytes = fs.readFileSync(object);
	} catch (e) {
		throw new Error(`${object}: cannot read the object: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
	}
	let programs: string[];
	try {
		programs = programsOf(readElf(bytes, object)).filter((p) => !p.isSubprog).map((p) => p.name);
	} catch (e) {
		// The ELF reader's own errors already name the file.
		const why = (e as Error).message;
		throw new Error(`${object}: not a BPF object: ${why.startsWith(`${object}: `) ? why.slice(object.length + 2) : why}`);
	}
	if (!programs.length) throw new Error(`${object}: no BPF programs in it (only subprograms or no code)`);
	return { bytes, programs };
}

/** What one "Load Object on Kernels…" asked for. */
export interface RunRequest {
	/** Absolute path of the object. */
	object: string;
	programs: string[];
	kernels: string[];
	variants: string[];
	logLevel: 1 | 2;
}

export type CellState = 'pending' | 'accepted' | 'rejected' | 'error';

export interface MatrixCell {
	program: string;
	kernel: string;
	variant: string;
	state: CellState;
	/** The runner's cell once it arrived. */
	cell?: Cell;
	/** The verifier log written to disk, beside a link to the object (so the language server maps it to C). */
	logFile?: string;
}

/**
 * One run of an object on a matrix of kernels: every expected (program, kernel, variant) cell
 * from the start, pending until the runner reports it, so the view fills in as VMs finish.
 */
export class MatrixRun {
	readonly cells: MatrixCell[];
	state: 'running' | 'done' | 'cancelled' | 'failed' = 'running';
	error: string | null = null;

	constructor(readonly request: RunRequest, readonly dir: string) {
		this.cells = request.programs.flatMap((program) =>
			request.kernels.flatMap((kernel) => request.variants.map((variant): MatrixCell => ({ program, kernel, variant, state: 'pending' }))));
		fs.mkdirSync(dir, { recursive: true });
		// `*.o` beside a log is where the language server looks for its object.
		const link = path.join(dir, path.basename(request.object));
		fs.rmSync(link, { force: true });
		fs.symlinkSync(request.object, link);
	}

	get objectName(): string {
		return path.basename(this.request.object);
	}

	/** Takes the runner's cells (all so far; already-known ones are skipped); true if anything changed. */
	update(cells: readonly Cell[]): boolean {
		let changed = false;
		for (const c of cells) {
			// A VM that failed before programs were known reports one cell without a program: it stands for all of them.
			const targets = this.cells.filter((m) => m.kernel === c.kernel && m.variant === c.variant && m.state === 'pending' && (m.program === c.program || c.program === ''));
			for (const m of targets) {
				m.cell = c;
				m.state = c.verdict;
				if (c.log) m.logFile = this.writeLog(m, c);
				changed = true;
			}
		}
		return changed;
	}

	/** Pending cells the runner never reported (cancelled or failed job). */
	settle(): void {
		for (const m of this.cells) if (m.state === 'pending') m.state = 'error';
	}

	private writeLog(m: MatrixCell, c: Cell): string {
		const file = path.join(this.dir, `${m.program}.${m.kernel}.${m.variant}.verifier.log`);
		// `# ` lines are capture headers to the log grammar: they say where the log came from.
		const header = [
			`# bpflens runner: ${this.objectName}, program ${m.program}, kernel ${c.kernelRelease || c.kernel} (${c.kernel}), variant ${c.variant}`,
			`# verdict: ${c.verdict}${c.errno ? `, errno ${c.errno} (${c.errnoName})` : ''}, log level ${c.logLevel}, load ${c.loadMs} ms${c.truncated ? ', log truncated' : ''}`,
			`# ${sizes(c)}`,
		];
		fs.writeFileSync(file, header.join('\n') + '\n' + c.log);
		return file;
	}
}

/**
 * Runs older than the newest `keep` in `dir` (one directory each, named `<ms since epoch>-<object>`)
 * are deleted: every run writes a log per cell, and the storage is the user's disk.
 */
export function pruneRuns(dir: string, keep: number): void {
	let runs: string[];
	try {
		runs = fs.readdirSync(dir).filter((d) => /^\d+-/.test(d));
	} catch {
		return;
	}
	runs.sort((a, b) => Number(b.split('-')[0]) - Number(a.split('-')[0]));
	for (const old of runs.slice(keep)) fs.rmSync(path.join(dir, old), { recursive: true, force: true });
}

/** A one-line verdict for a cell: `accepted`, `rejected EACCES`, `VM: timeout after …`. */
export function cellVerdict(m: MatrixCell): string {
	if (m.state === 'pending') return 'loading…';
	const c = m.cell;
	if (!c) return 'not run';
	if (c.verdict === 'accepted') return 'accepted';
	if (c.verdict === 'rejected') return `rejected ${c.errnoName || `errno ${c.errno}`}${c.jitFailed ? ' (the JIT failed after the verifier passed)' : ''}`;
	return `VM: ${c.vmProblem ?? 'error'}`;
}

/** What the load measured: `34 insns processed, 216 bytes translated, 140 bytes JIT-ed`. */
export function sizes(c: Cell): string {
	const parts = [`${c.insnsProcessed} insns processed`];
	if (c.xlatedBytes) parts.push(`${c.xlatedBytes} bytes translated`, c.jitedBytes ? `${c.jitedBytes} bytes JIT-ed` : 'not JIT-ed');
	return parts.join(', ');
}
