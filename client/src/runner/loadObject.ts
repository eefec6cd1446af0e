import * as path from 'path';
import * as vscode from 'vscode';
import type { RunnerConnection } from './connection';
import { MatrixRun, pruneRuns, readObject, type MatrixCell, type RunRequest } from './matrix';
import { MATRIX_VIEW, type MatrixView } from './matrixView';

export const LOAD_OBJECT_ON_KERNELS = 'bpflens.loadObjectOnKernels';
/** Runs whose logs stay on disk (the matrix shows the latest; compare and reopen need its logs). */
const KEPT_RUNS = 20;

/** Arguments a caller (explorer menu, walkthrough, tests) may pass to skip the quick picks. */
export interface LoadArgs {
	object?: string;
	programs?: string[];
	kernels?: string[];
	variants?: string[];
	logLevel?: 1 | 2;
}

async function pickObject(): Promise<string | undefined> {
	const found = await vscode.workspace.findFiles('**/*.o', '**/node_modules/**', 500);
	if (!found.length) {
		void vscode.window.showWarningMessage('bpflens: no BPF object (*.o) in the workspace. Build one with clang -g -O2 -target bpf.');
		return undefined;
	}
	// The object built from the C file being edited first.
	const active = vscode.window.activeTextEditor?.document.uri.fsPath;
	const stem = active ? path.basename(active).replace(/\.[^.]+$/, '') : '';
	const items = found
		.map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(path.dirname(u.fsPath)), file: u.fsPath }))
		.sort((a, b) => Number(b.label === `${stem}.o`) - Number(a.label === `${stem}.o`) || a.label.localeCompare(b.label));
	if (items.length === 1) return items[0].file;
	return (await vscode.window.showQuickPick(items, { title: 'Load object on kernels (1/4): object', matchOnDescription: true }))?.file;
}

/** A multi-select quick pick with `picked` preselected; undefined when dismissed or nothing is chosen. */
async function pickMany(title: string, all: string[], picked: string[], describe?: (s: string) => string): Promise<string[] | undefined> {
	if (all.length === 1) return all;
	const items = all.map((label) => ({ label, description: describe?.(label), picked: picked.includes(label) }));
	const chosen = await vscode.window.showQuickPick(items, { title, canPickMany: true, ignoreFocusOut: true });
	return chosen?.length ? chosen.map((c) => c.label) : undefined;
}

const VARIANT_WORDS: Record<string, string> = {
	default: 'as root, JIT hardening off',
	harden2: 'net.core.bpf_jit_harden=2 (constant blinding; JIT failures show as errno 524)',
	unpriv: 'CAP_BPF + CAP_NET_ADMIN only (no CAP_PERFMON/CAP_SYS_ADMIN)',
	lsm: 'BPF LSM enabled on the kernel command line (lsm/ programs)',
};

export async function loadObjectOnKernels(
	args: LoadArgs | vscode.Uri | undefined,
	ctx: { connection: RunnerConnection; view: MatrixView; storage: vscode.Uri; output: vscode.LogOutputChannel },
): Promise<MatrixRun | undefined> {
	const given: LoadArgs = args instanceof vscode.Uri ? { object: args.fsPath } : args ?? {};
	const cfg = vscode.workspace.getConfiguration('bpflens');
	try {
		const object = given.object ?? (await pickObject());
		if (!object) return undefined;
		// Read once: the programs offered are those of the bytes that are sent.
		const { bytes, programs: all } = readObject(object);
		const programs = given.programs ?? (await pickMany('Load object on kernels (2/4): programs', all, all));
		if (!programs) return undefined;

		const runner = await ctx.connection.client();
		const info = await runner.kernels();
		if (!info.kernels.length) {
			await offerSetup(ctx.connection);
			return undefined;
		}
		const wantedKernels = cfg.get<string[]>('runner.kernels', []);
		const kernels = given.kernels ?? (await pickMany('Load object on kernels (3/4): kernels', info.kernels, wantedKernels.length ? wantedKernels : info.kernels));
		if (!kernels) return undefined;
		const variants = given.variants ?? (await pickMany('Load object on kernels (4/4): variants', info.variants, cfg.get<string[]>('runner.variants', ['default']), (v) => VARIANT_WORDS[v] ?? ''));
		if (!variants) return undefined;
		const logLevel = given.logLevel ?? (cfg.get<number>('runner.logLevel', 2) === 1 ? 1 : 2);

		const request: RunRequest = { object, programs, kernels, variants, logLevel };
		const runs = path.join(ctx.storage.fsPath, 'runs');
		pruneRuns(runs, KEPT_RUNS - 1);
		const run = new MatrixRun(request, path.join(runs, `${Date.now()}-${path.basename(object, '.o')}`));
		ctx.view.show(run);
		void vscode.commands.executeCommand(`${MATRIX_VIEW}.focus`);
		ctx.output.info(`loading ${object} (${programs.join(', ')}) on ${kernels.join(', ')} × ${variants.join(', ')} through ${ctx.connection.describe()}`);

		await vscode.window.withProgress(
			{ location: vscode.ProgressLocation.Notification, title: `bpflens: loading ${run.objectName}`, cancellable: true },
			async (progress, token) => {
				const abort = new AbortController();
				token.onCancellationRequested(() => abort.abort());
				const job = await runner.submit({
					objects: [{ name: run.objectName, data: bytes }], kernels, variants, logLevel,
					programs: programs.length < all.length ? programs : undefined,
				});
				let reported = 0;
				const view = await runner.follow(job.id, (v) => {
					if (run.update(v.cells)) ctx.view.refresh();
					progress.report({ increment: ((v.done - reported) / v.total) * 100, message: `${v.done}/${v.total} VMs done` });
					reported = v.done;
				}, abort.signal);
				run.state = view.state;
				run.error = view.error;
			},
		);
		run.settle();
		ctx.view.refresh();
		ctx.output.info(`${run.objectName}: ${summary(run.cells)}${run.error ? `; ${run.error}` : ''}`);
		void vscode.window.showInformationMessage(`bpflens: ${run.objectName}: ${summary(run.cells)}`);
		return run;
	} catch (e) {
		const message = (e as Error).message;
		ctx.output.error(message);
		void vscode.window.showErrorMessage(`bpflens: ${message}`);
		return undefined;
	}
}

function summary(cells: readonly MatrixCell[]): string {
	const count = (s: MatrixCell['state']) => cells.filter((c) => c.state === s).length;
	return [`${count('accepted')} accepted`, `${count('rejected')} rejected`, ...(count('error') ? [`${count('error')} not run`] : [])].join(', ');
}

/** A local runner without kernels: fetch them in a terminal, where the user sees the downloads. */
async function offerSetup(connection: RunnerConnection): Promise<void> {
	if (!connection.isLocal()) {
		void vscode.window.showErrorMessage(`bpflens: ${connection.describe()} has no kernels set up (run its setup: bash runner/setup.sh all).`);
		return;
	}
	const choice = await vscode.window.showWarningMessage(
		`bpflens: ${connection.describe()} has no kernels yet. Download Debian's 5.10, 6.1, 6.12, 6.18 and 7.3 kernels (about 100 MB, a few minutes)?`,
		'Set Up Kernels',
	);
	if (choice) connection.setupTerminal().show();
}
