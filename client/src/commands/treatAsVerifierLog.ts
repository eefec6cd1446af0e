import * as vscode from 'vscode';
import { LANGUAGE_ID } from '../protocol';

export const TREAT_AS_VERIFIER_LOG = 'bpflens.treatAsVerifierLog';

/**
 * Verifier logs often arrive as `*.txt`/`*.log` or pasted into an untitled editor, where the
 * file patterns cannot recognise them. Menus pass the clicked resource; the palette passes
 * nothing, so fall back to the active editor.
 */
export async function treatAsVerifierLog(resource?: unknown): Promise<void> {
	let doc: vscode.TextDocument | undefined;
	if (resource instanceof vscode.Uri) {
		doc = await vscode.workspace.openTextDocument(resource);
	} else {
		doc = vscode.window.activeTextEditor?.document;
	}
	if (!doc) {
		void vscode.window.showInformationMessage('bpflens: open a file first, then treat it as a verifier log.');
		return;
	}
	if (doc.languageId !== LANGUAGE_ID) {
		await vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
	}
}
