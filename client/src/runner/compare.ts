import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ALIGN_LOGS_METHOD, type AlignLogsParams, type AlignLogsResult } from '../protocol';
import { cellVerdict, type MatrixCell } from './matrix';
import type { MatrixView } from './matrixView';

export const COMPARE_KERNEL_LOGS = 'bpflens.compareKernelLogs';
const SCHEME = 'bpflens-aligned';

/** The aligned texts, served read-only to the diff editor. */
export class AlignedDocuments implements vscode.TextDocumentContentProvider {
	private readonly texts = new Map<string, string>();

	provideTextDocumentContent(uri: vscode.Uri): string {
		return this.texts.get(uri.toString()) ?? '';
	}

	put(name: string, text: string): vscode.Uri {
		const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${name}`, query: String(Date.now()) });
		this.texts.set(uri.toString(), text);
		return uri;
	}

	register(): vscode.Disposable {
		return vscode.workspace.registerTextDocumentContentProvider(SCHEME, this);
	}
}

function label(m: MatrixCell): string {
	return m.variant === 'default' ? m.kernel : `${m.kernel} ${m.variant}`;
}

async function pickCells(view: MatrixView, first?: MatrixCell): Promise<[MatrixCell, MatrixCell] | undefined> {
	const withLogs = view.current?.cells.filter((c) => c.logFile) ?? [];
	if (withLogs.length < 2) {
		void vscode.window.showInformationMessage('bpflens: load an object on at least two kernels first ("bpflens: Load Object on Kernels…").');
		return undefined;
	}
	const item = (m: MatrixCell) => ({ label: `${m.program} on ${label(m)}`, description: cellVerdict(m), cell: m });
	const a = first ?? (await vscode.window.showQuickPick(withLogs.map(item), { title: 'Compare kernels (1/2): first log' }))?.cell;
	if (!a) return undefined;
	const others = withLogs.filter((c) => c !== a && c.program === a.program);
	if (!others.length) {
		void vscode.window.showInformationMessage(`bpflens: ${a.program} has no other kernel's log to compare with.`);
		return undefined;
	}
	// Default: the first cell whose verdict differs, since that is usually the question.
	others.sort((x, y) => Number(y.state !== a.state) - Number(x.state !== a.state));
	const b = (await vscode.window.showQuickPick(others.map(item), { title: `Compare kernels (2/2): compare ${label(a)} with` }))?.cell;
	return b ? [a, b] : undefined;
}

/**
 * Two kernels' logs of one program in a diff editor, aligned by instruction by the language
 * server, opened at the first row where the walks diverge; the logs themselves open beside on request.
 */
export async function compareKernelLogs(
	ctx: { client: LanguageClient; view: MatrixView; docs: AlignedDocuments },
	first?: MatrixCell,
	second?: MatrixCell,
): Promise<AlignLogsResult | undefined> {
	const pair = first && second ? ([first, second] as const) : await pickCells(ctx.view, first);
	if (!pair) return undefined;
	const [a, b] = pair;
	const params: AlignLogsParams = { left: vscode.Uri.file(a.logFile!).toString(), right: vscode.Uri.file(b.logFile!).toString() };
	const result = await ctx.client.sendRequest<AlignLogsResult>(ALIGN_LOGS_METHOD, params);
	const left = ctx.docs.put(`${a.program} on ${label(a)}.aligned`, result.left);
	const right = ctx.docs.put(`${b.program} on ${label(b)}.aligned`, result.right);
	const row = result.divergence?.row ?? 0;
	await vscode.commands.executeCommand('vscode.diff', left, right, `${a.program}: ${label(a)} ↔ ${label(b)} (aligned by instruction)`, {
		selection: new vscode.Range(row, 0, row, 0),
	});
	const what = result.divergence ? `first divergence at row ${row + 1}: ${result.divergence.reason}` : 'the two walks are the same';
	// Not awaited: a notification with a button settles only when the user closes it.
	void vscode.window.showInformationMessage(`bpflens: ${a.program}, ${label(a)} vs ${label(b)}: ${what}`, 'Open Both Logs There').then(async (open) => {
		if (!open) return;
		await revealLog(a.logFile!, result.leftLines, row, vscode.ViewColumn.One);
		await revealLog(b.logFile!, result.rightLines, row, vscode.ViewColumn.Two);
	});
	return result;
}

/** Opens a log at the step of `row`, or of the nearest earlier row that has one on this side. */
async function revealLog(file: string, lines: (number | null)[], row: number, column: vscode.ViewColumn): Promise<void> {
	let line = 0;
	for (let r = Math.min(row, lines.length - 1); r >= 0; r--) {
		if (lines[r] !== null) {
			line = lines[r]!;
			break;
		}
	}
	const editor = await vscode.window.showTextDocument(vscode.Uri.file(file), { viewColumn: column, preview: false });
	const at = new vscode.Range(line, 0, line, 0);
	editor.selection = new vscode.Selection(at.start, at.start);
	editor.revealRange(at, vscode.TextEditorRevealType.InCenter);
}
