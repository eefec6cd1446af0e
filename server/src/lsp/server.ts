/**
 * The language server: glue between LSP and the analysis core. It converts types and schedules
 * work; every answer is computed in `features/`, `diagnose/` and `log/`.
 *
 * Order of work per document version: the error diagnostic from the log's tail first (fast at
 * any size), then the full model in the background for hovers, definitions, symbols, folding.
 */
import {
  createConnection, DiagnosticSeverity, DocumentSymbol, FoldingRange, FoldingRangeKind, Location, ProposedFeatures,
  SymbolKind, TextDocuments, TextDocumentSyncKind, type Diagnostic, type DiagnosticRelatedInformation,
  type InitializeParams, type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { diagnose } from '../diagnose/diagnosis';
import { definition, hover, symbols, type SymbolInfo } from '../features/log-features';
import type { VerifierLog } from '../log/model';
import { parseLog } from '../log/parse';
import { SMALL_LOG_CHARS, summarizeLog, summaryOf, type LogSummary } from '../log/summary';

export const SUMMARY_METHOD = 'bpflens/summary';
/** LSP positions are uinteger (≤ 2^31 - 1); a client clamps it to the line's end. */
const END_OF_LINE = 2 ** 31 - 1;

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let maxLogBytes = 1024 * 1024 * 1024;

interface Analysis {
  version: number;
  summary: LogSummary;
  log: Promise<VerifierLog | null>;
}
const analyses = new Map<string, Analysis>();

connection.onInitialize((params: InitializeParams): InitializeResult => {
  const mb = (params.initializationOptions as { diagnostics?: { maxLogSizeMB?: number } } | undefined)?.diagnostics?.maxLogSizeMB;
  if (typeof mb === 'number' && mb > 0) maxLogBytes = mb * 1024 * 1024;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      documentSymbolProvider: true,
      foldingRangeProvider: true,
    },
    serverInfo: { name: 'bpflens', version: '0.1.0' },
  };
});

function toDiagnostics(uri: string, s: LogSummary): Diagnostic[] {
  const d = diagnose(s);
  return d.errors.map((e, i) => {
    const err = s.errors[i];
    const related: DiagnosticRelatedInformation[] = [];
    if (err.insnLine !== null) {
      related.push({ location: Location.create(uri, lineRange(err.insnLine)), message: `failing instruction ${err.insn}` });
    }
    if (err.note) {
      related.push({
        location: Location.create(uri, lineRange(err.note.line)),
        message: `source: ${err.note.text}${err.note.file ? ` @ ${err.note.file}:${err.note.sourceLine}` : ''}`,
      });
    }
    for (const step of s.kernelDiagnostic?.causalPath ?? []) {
      related.push({ location: Location.create(uri, lineRange(step.line)), message: `kernel causal path: ${step.text}` });
    }
    return {
      range: { start: { line: err.startLine, character: 0 }, end: { line: err.endLine, character: END_OF_LINE } },
      severity: DiagnosticSeverity.Error,
      source: 'bpflens',
      code: e.code,
      message: `${err.headline}\n${e.category}: ${e.explanation}`,
      relatedInformation: related,
      data: { category: e.category, insn: e.insn, source: e.source },
    };
  });
}

function lineRange(line: number) {
  return { start: { line, character: 0 }, end: { line, character: END_OF_LINE } };
}

function summarise(doc: TextDocument, text: string): LogSummary {
  try {
    return summarizeLog(text);
  } catch (e) {
    connection.console.error(`bpflens: ${doc.uri}: cannot summarise the log: ${(e as Error).stack ?? e}`);
    return { generation: 'unknown', verdict: 'unknown', truncated: false, errors: [], stats: emptyStats(), kernelDiagnostic: null, loader: { loaders: [], programName: null, errno: null }, lineCount: null };
  }
}

/**
 * The full model, built after the diagnostics are on the wire: a timer (not setImmediate) lets
 * the JSON-RPC writer, which flushes on setImmediate, send them first.
 */
function parseLater(doc: TextDocument, text: string): Promise<VerifierLog | null> {
  if (text.length > maxLogBytes) {
    connection.console.warn(`bpflens: ${doc.uri}: ${(text.length / 1048576).toFixed(0)} MB is over bpflens.diagnostics.maxLogSizeMB; only the error is shown`);
    return Promise.resolve(null);
  }
  return new Promise((resolve) => setTimeout(() => resolve(parseSafely(doc, text)), 0));
}

function parseSafely(doc: TextDocument, text: string): VerifierLog | null {
  const t0 = performance.now();
  try {
    const log = parseLog(text);
    connection.console.info(`bpflens: ${doc.uri}: model of ${log.lineCount} lines, ${log.events.count} instructions in ${(performance.now() - t0).toFixed(0)} ms`);
    return log;
  } catch (e) {
    connection.console.error(`bpflens: ${doc.uri}: cannot parse the log: ${(e as Error).stack ?? e}`);
    return null;
  }
}

function emptyStats(): LogSummary['stats'] {
  return { processedInsns: null, insnLimit: null, maxStatesPerInsn: null, totalStates: null, peakStates: null, markRead: null, verificationTimeUsec: null, stackDepth: null, line: null };
}

function refresh(doc: TextDocument): void {
  const t0 = performance.now();
  const text = doc.getText();
  // A small log is parsed whole once; the summary would parse it whole anyway.
  const small = text.length <= SMALL_LOG_CHARS && text.length <= maxLogBytes ? parseSafely(doc, text) : null;
  const summary = small ? summaryOf(small) : summarise(doc, text);
  void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: toDiagnostics(doc.uri, summary) });
  void connection.sendNotification(SUMMARY_METHOD, {
    uri: doc.uri,
    verdict: summary.verdict,
    generation: summary.generation,
    truncated: summary.truncated,
    processedInsns: summary.stats.processedInsns,
    totalStates: summary.stats.totalStates,
    peakStates: summary.stats.peakStates,
    errorCount: summary.errors.length,
  });
  connection.console.info(`bpflens: ${doc.uri}: diagnostics published in ${(performance.now() - t0).toFixed(1)} ms`);
  analyses.set(doc.uri, { version: doc.version, summary, log: small ? Promise.resolve(small) : parseLater(doc, text) });
}

documents.onDidOpen((e) => refresh(e.document));
documents.onDidChangeContent((e) => {
  const cur = analyses.get(e.document.uri);
  if (!cur || cur.version !== e.document.version) refresh(e.document);
});
documents.onDidClose((e) => {
  analyses.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

async function modelOf(uri: string): Promise<VerifierLog | null> {
  const a = analyses.get(uri);
  return a ? a.log : null;
}

connection.onHover(async (p) => {
  const log = await modelOf(p.textDocument.uri);
  const h = log && hover(log, p.position.line, p.position.character);
  if (!h) return null;
  return {
    contents: { kind: 'markdown', value: h.markdown },
    range: { start: { line: h.span.line, character: h.span.start }, end: { line: h.span.line, character: h.span.end } },
  };
});

connection.onDefinition(async (p) => {
  const log = await modelOf(p.textDocument.uri);
  const d = log && definition(log, p.position.line, p.position.character);
  if (!d) return null;
  return Location.create(p.textDocument.uri, { start: { line: d.line, character: d.start }, end: { line: d.line, character: d.end } });
});

const SYMBOL_KINDS: Record<SymbolInfo['kind'], SymbolKind> = {
  function: SymbolKind.Function, path: SymbolKind.Namespace, error: SymbolKind.Event, stats: SymbolKind.Number, block: SymbolKind.Object,
};

connection.onDocumentSymbol(async (p): Promise<DocumentSymbol[]> => {
  const log = await modelOf(p.textDocument.uri);
  if (!log) return [];
  return symbols(log).map((s) => {
    const range = { start: { line: s.line, character: 0 }, end: { line: s.endLine, character: 0 } };
    return { name: s.name || '(unnamed)', detail: s.detail, kind: SYMBOL_KINDS[s.kind], range, selectionRange: range };
  });
});

connection.onFoldingRanges(async (p): Promise<FoldingRange[]> => {
  const log = await modelOf(p.textDocument.uri);
  if (!log) return [];
  return log.regions.map((r) => ({
    startLine: r.startLine,
    endLine: r.endLine,
    kind: r.kind === 'path' ? FoldingRangeKind.Region : FoldingRangeKind.Comment,
    collapsedText: r.label,
  }));
});

process.on('uncaughtException', (e) => connection.console.error(`bpflens: unexpected error: ${e.stack ?? e}`));

documents.listen(connection);
connection.listen();
