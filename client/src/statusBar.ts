import * as vscode from 'vscode';
import { LANGUAGE_ID, type SummaryParams, type Verdict } from './protocol';

const ICONS: Record<Verdict, string> = {
	rejected: '$(error)',
	accepted: '$(pass)',
	unknown: '$(question)',
};

/**
 * One status bar item that follows the active editor. Summaries arrive for every analysed
 * document, not only the visible one, so they are cached per URI and the item is re-rendered
 * whenever the active editor (or its language) changes.
 */
export class SummaryStatusBar implements vscode.Disposable {
	private readonly item: vscode.StatusBarItem;
	private readonly summaries = new Map<string, SummaryParams>();
	private readonly disposables: vscode.Disposable[] = [];

	constructor() {
		this.item = vscode.window.createStatusBarItem('bpflens.summary', vscode.StatusBarAlignment.Left, 100);
		this.item.name = 'bpflens Verifier Summary';
		// The Problems view is where the server's diagnostics for a rejected log end up.
		this.item.command = 'workbench.actions.view.problems';

		this.disposables.push(
			this.item,
			vscode.window.onDidChangeActiveTextEditor(() => this.render()),
			// setTextDocumentLanguage re-opens the document under the new language without
			// changing the active editor, so language switches only show up here.
			vscode.workspace.onDidOpenTextDocument((doc) => {
				if (doc === vscode.window.activeTextEditor?.document) {
					this.render();
				}
			}),
			// Closed documents will never be shown again under this URI's old analysis; a
			// re-open triggers a fresh summary from the server.
			vscode.workspace.onDidCloseTextDocument((doc) => {
				this.summaries.delete(doc.uri.toString());
			}),
		);
		this.render();
	}

	update(summary: SummaryParams): void {
		// Round-trip through Uri so a server that re-encodes the URI (e.g. `%3A` vs `:`) still
		// matches the key `document.uri.toString()` produces.
		const key = vscode.Uri.parse(summary.uri).toString();
		this.summaries.set(key, summary);
		if (vscode.window.activeTextEditor?.document.uri.toString() === key) {
			this.render();
		}
	}

	/** Forgets everything, e.g. when the server restarts and will resend summaries. */
	clear(): void {
		this.summaries.clear();
		this.render();
	}

	private render(): void {
		const doc = vscode.window.activeTextEditor?.document;
		if (!doc || doc.languageId !== LANGUAGE_ID) {
			this.item.hide();
			return;
		}
		const summary = this.summaries.get(doc.uri.toString());
		if (!summary) {
			// Not a spinner: if the server skips the log (size cap) or is down, nothing would
			// ever stop it.
			this.item.text = '$(watch) BPF pending';
			this.item.tooltip = 'No summary from the bpflens language server for this log yet.';
			this.item.backgroundColor = undefined;
			this.item.show();
			return;
		}
		this.item.text = formatText(summary);
		this.item.tooltip = formatTooltip(summary);
		// Rejection is the one state worth catching the eye from across the window.
		this.item.backgroundColor =
			summary.verdict === 'rejected' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
		this.item.show();
	}

	dispose(): void {
		for (const d of this.disposables) {
			d.dispose();
		}
		this.summaries.clear();
	}
}

export function formatText(s: SummaryParams): string {
	const parts = [`${ICONS[s.verdict]} BPF ${s.verdict}`];
	if (s.processedInsns !== null) {
		parts.push(`${s.processedInsns} insns`);
	}
	if (s.totalStates !== null) {
		parts.push(`${s.totalStates} states`);
	}
	return parts.join(' · ');
}

export function formatTooltip(s: SummaryParams): vscode.MarkdownString {
	const lines = [
		`**bpflens** — verifier ${s.verdict}`,
		'',
		`- Log generation: ${s.generation || 'unknown'}`,
		`- Truncated: ${s.truncated ? 'yes — the log was cut off, the verdict may be incomplete' : 'no'}`,
		`- Processed instructions: ${s.processedInsns ?? 'n/a'}`,
		`- Total states: ${s.totalStates ?? 'n/a'}`,
		`- Peak states: ${s.peakStates ?? 'n/a'}`,
		`- Errors: ${s.errorCount}`,
		'',
		'Click to open the Problems view.',
	];
	return new vscode.MarkdownString(lines.join('\n'));
}
