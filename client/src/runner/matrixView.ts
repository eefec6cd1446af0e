import * as vscode from 'vscode';
import { cellVerdict, sizes, type MatrixCell, type MatrixRun } from './matrix';

export const MATRIX_VIEW = 'bpflens.matrix';
export const OPEN_CELL_LOG = 'bpflens.openCellLog';

type Node = { kind: 'program'; program: string } | { kind: 'cell'; cell: MatrixCell };

const ICONS: Record<MatrixCell['state'], vscode.ThemeIcon> = {
	pending: new vscode.ThemeIcon('loading~spin'),
	accepted: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
	rejected: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
	error: new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')),
};

/** Worst state first: a program shows the worst of its cells. */
const RANK: MatrixCell['state'][] = ['rejected', 'error', 'pending', 'accepted'];

/** The kernel matrix of the latest run: program → (kernel, variant) cells with their verdicts. */
export class MatrixView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
	private run: MatrixRun | undefined;
	private readonly changed = new vscode.EventEmitter<Node | undefined>();
	readonly onDidChangeTreeData = this.changed.event;
	readonly view: vscode.TreeView<Node>;

	constructor() {
		this.view = vscode.window.createTreeView(MATRIX_VIEW, { treeDataProvider: this, showCollapseAll: true });
	}

	get current(): MatrixRun | undefined {
		return this.run;
	}

	show(run: MatrixRun): void {
		this.run = run;
		this.refresh();
	}

	refresh(): void {
		const r = this.run;
		if (r) {
			const done = r.cells.filter((c) => c.state !== 'pending').length;
			this.view.description = `${r.objectName} · ${done}/${r.cells.length}${r.state === 'running' ? '' : ` · ${r.state}`}`;
			this.view.message = r.error ?? undefined;
		}
		this.changed.fire(undefined);
	}

	getChildren(node?: Node): Node[] {
		if (!this.run) return [];
		if (!node) return this.run.request.programs.map((program) => ({ kind: 'program', program }));
		if (node.kind === 'program') return this.run.cells.filter((c) => c.program === node.program).map((cell) => ({ kind: 'cell', cell }));
		return [];
	}

	getTreeItem(node: Node): vscode.TreeItem {
		if (node.kind === 'program') {
			const cells = this.run!.cells.filter((c) => c.program === node.program);
			const worst = RANK.find((s) => cells.some((c) => c.state === s)) ?? 'pending';
			const item = new vscode.TreeItem(node.program, vscode.TreeItemCollapsibleState.Expanded);
			item.id = `program:${node.program}`;
			item.iconPath = ICONS[worst];
			const passed = cells.filter((c) => c.state === 'accepted').length;
			item.description = `${passed}/${cells.length} accepted`;
			item.contextValue = 'program';
			return item;
		}
		const m = node.cell;
		const item = new vscode.TreeItem(m.variant === 'default' ? m.kernel : `${m.kernel} · ${m.variant}`, vscode.TreeItemCollapsibleState.None);
		item.id = `cell:${m.program}:${m.kernel}:${m.variant}`;
		item.iconPath = ICONS[m.state];
		item.description = cellVerdict(m);
		const c = m.cell;
		item.tooltip = c
			? new vscode.MarkdownString([
				`**${m.program}** on ${c.kernelRelease || c.kernel} (${m.variant})`,
				'',
				`${cellVerdict(m)}${c.loadMs ? `, load ${c.loadMs} ms` : ''}${c.bootMs > 0 ? `, boot ${c.bootMs} ms` : ''}${c.truncated ? ', log truncated' : ''}`,
				'',
				sizes(c),
			].join('\n'))
			: 'waiting for the VM';
		if (m.logFile) {
			item.command = { command: OPEN_CELL_LOG, title: 'Open Verifier Log', arguments: [m] };
			item.contextValue = 'cellWithLog';
		}
		return item;
	}

	dispose(): void {
		this.view.dispose();
		this.changed.dispose();
	}
}
