/** C files get squiggles from every mapped log that fails in them; this keeps them merged per file. */
import type { Diagnostic } from 'vscode-languageserver/node';

export class CDiagnostics {
  private readonly byFile = new Map<string, Map<string, Diagnostic[]>>();

  /** Replaces what `logUri` says about every file; returns the files whose diagnostics changed. */
  set(logUri: string, perFile: Map<string, Diagnostic[]>): string[] {
    const touched = new Set<string>();
    for (const [file, m] of this.byFile) if (m.delete(logUri)) touched.add(file);
    for (const [file, diags] of perFile) {
      let m = this.byFile.get(file);
      if (!m) this.byFile.set(file, (m = new Map()));
      m.set(logUri, diags);
      touched.add(file);
    }
    return [...touched];
  }

  of(fileUri: string): Diagnostic[] {
    return [...(this.byFile.get(fileUri)?.values() ?? [])].flat();
  }
}
