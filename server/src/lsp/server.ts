/**
 * The language server: glue between LSP and the analysis core. It converts types and schedules
 * work; every answer is computed in `features/`, `diagnose/`, `mapping/` and `log/`.
 *
 * Order of work per log version: the error diagnostic from the log's tail first (fast at any
 * size), then the full model in the background for hovers, definitions, symbols and folding,
 * then the object match (settings, or `*.o` beside the log) for C squiggles and C navigation.
 */
import * as fs from 'fs';
import { fileURLToPath } from 'url';
import {
  CodeActionKind, createConnection, DiagnosticSeverity, type CodeAction, type TextEdit, DocumentSymbol, FoldingRange, FoldingRangeKind, Location, ProposedFeatures,
  SymbolKind, TextDocuments, TextDocumentSyncKind, type Diagnostic, type InitializeParams, type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { diagnose, type Diagnosis, type Fix } from '../diagnose/diagnosis';
import { fixesFor } from '../diagnose/fixes';
import { jitFixFor } from '../diagnose/fixes/build-flag';
import { alignLogs, renderSide } from '../features/align';
import { definition, hover, symbols, type SymbolInfo } from '../features/log-features';
import {
  cErrorOf, cLineHover, describeFrames, logLinesOfC, mapsFile, sourceOfLogLine, variableAt, type CError, type MappedLog,
} from '../features/source-features';
import type { VerifierLog } from '../log/model';
import { lineText, parseLog } from '../log/parse';
import { SMALL_LOG_CHARS, summarizeLog, summaryOf, type LogSummary } from '../log/summary';
import { matchLog } from '../mapping/match';
import { resolveSource } from '../mapping/source-files';
import { ProgramSourceMap } from '../mapping/source-map';
import { CDiagnostics } from './c-diagnostics';
import { cDiagnostic, END_OF_LINE, fileUri, lineRange, logDiagnostics } from './convert';
import { ObjectRegistry } from './objects';

export const SUMMARY_METHOD = 'bpflens/summary';
/** Two logs aligned by instruction (`features/align.ts`); the client shows them in a diff editor. */
export const ALIGN_LOGS_METHOD = 'bpflens/alignLogs';
const LOG_LANGUAGE = 'bpf-verifier-log';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const registry = new ObjectRegistry();
const cDiagnostics = new CDiagnostics();
let maxLogBytes = 1024 * 1024 * 1024;
let roots: string[] = [];
let canPullConfig = false;

interface Analysis {
  version: number;
  summary: LogSummary;
  diagnosis: Diagnosis;
  log: Promise<VerifierLog | null>;
  mapped: Promise<MappedLog | null>;
  /** jit-failed: the -mcpu=v4 edit of the program's build, once its object is found. */
  buildFix?: Fix;
}
const analyses = new Map<string, Analysis>();

connection.onInitialize((params: InitializeParams): InitializeResult => {
  const mb = (params.initializationOptions as { diagnostics?: { maxLogSizeMB?: number } } | undefined)?.diagnostics?.maxLogSizeMB;
  if (typeof mb === 'number' && mb > 0) maxLogBytes = mb * 1024 * 1024;
  roots = (params.workspaceFolders ?? []).map((f) => fileURLToPath(f.uri));
  if (!roots.length && params.rootUri) roots = [fileURLToPath(params.rootUri)];
  canPullConfig = params.capabilities.workspace?.configuration === true;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      documentSymbolProvider: true,
      foldingRangeProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
    },
    serverInfo: { name: 'bpflens', version: '0.1.0' },
  };
});

function isLog(doc: TextDocument): boolean {
  return doc.languageId === LOG_LANGUAGE;
}

/** What an unreadable log shows: nothing, rather than a crash. */
function emptySummary(): LogSummary {
  return summaryOf(parseLog(''));
}

function summarise(uri: string, text: string): LogSummary {
  try {
    return summarizeLog(text);
  } catch (e) {
    connection.console.error(`bpflens: ${uri}: cannot summarise the log: ${(e as Error).stack ?? e}`);
    return emptySummary();
  }
}

function parseSafely(uri: string, text: string): VerifierLog | null {
  const t0 = performance.now();
  try {
    const log = parseLog(text);
    connection.console.info(`bpflens: ${uri}: model of ${log.lineCount} lines, ${log.events.count} instructions in ${(performance.now() - t0).toFixed(0)} ms`);
    return log;
  } catch (e) {
    connection.console.error(`bpflens: ${uri}: cannot parse the log: ${(e as Error).stack ?? e}`);
    return null;
  }
}

/**
 * The full model, built after the diagnostics are on the wire: a timer (not setImmediate) lets
 * the JSON-RPC writer, which flushes on setImmediate, send them first.
 */
function parseLater(uri: string, text: string): Promise<VerifierLog | null> {
  if (text.length > maxLogBytes) {
    connection.console.warn(`bpflens: ${uri}: ${(text.length / 1048576).toFixed(0)} MB is over bpflens.diagnostics.maxLogSizeMB; only the error is shown`);
    return Promise.resolve(null);
  }
  return new Promise((resolve) => setTimeout(() => resolve(parseSafely(uri, text)), 0));
}

async function configuredObjects(uri: string): Promise<string[]> {
  if (!canPullConfig) return [];
  try {
    const cfg = (await connection.workspace.getConfiguration({ scopeUri: uri, section: 'bpflens' })) as { objects?: unknown } | null;
    return Array.isArray(cfg?.objects) ? cfg.objects.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * A JIT failure maps no instruction (its log may show none), so its fix needs only the object:
 * the one holding the program the loader names, or the only candidate. Its sources say where the
 * build is.
 */
async function buildFixFor(uri: string, s: LogSummary): Promise<Fix | null> {
  const file = uri.startsWith('file:') ? fileURLToPath(uri) : null;
  const { objects } = await registry.candidates(file, await configuredObjects(uri), roots);
  return jitFixFor(objects, s.loader.programName, (o) => (f) => resolveSource(f, o.file, roots) ?? f, readSource);
}

/** Finds the log's program among the candidate objects; says so when objects exist but none fits. */
async function mapLog(uri: string, log: VerifierLog | null): Promise<{ m: MappedLog | null; problem: string | null }> {
  if (!log || log.events.count === 0) return { m: null, problem: null };
  const file = uri.startsWith('file:') ? fileURLToPath(uri) : null;
  const { objects, problems } = await registry.candidates(file, await configuredObjects(uri), roots);
  for (const p of problems) connection.console.warn(`bpflens: ${p}`);
  if (!objects.length) return { m: null, problem: null };
  const res = matchLog(log, objects);
  for (const o of objects) if (o.dwarfProblem) connection.console.warn(`bpflens: ${o.dwarfProblem}`);
  if (!res.match) {
    connection.console.warn(`bpflens: ${uri}: ${res.problem}`);
    return { m: null, problem: `bpflens: no object matches this log, C locations are unavailable: ${res.problem}` };
  }
  const object = res.match.object.file;
  connection.console.info(`bpflens: ${uri}: program ${res.match.program} of ${object} (${res.match.matched}/${res.match.checked} instructions agree)`);
  return { m: { uri, log, map: new ProgramSourceMap(res.match), resolve: (f) => resolveSource(f, object, roots) ?? f }, problem: null };
}

function readSource(file: string): string | null {
  const open = documents.get(fileUri(file));
  if (open) return open.getText();
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Publishes the log's diagnostics (with C places when mapped) and the C files' squiggles. */
function publish(uri: string, a: Analysis, m: MappedLog | null, objectProblem: string | null): void {
  const cErrors: (CError | null)[] = a.summary.errors.map((e) => (m && e.insn !== null ? cErrorOf(m, e.insn, readSource) : null));
  const fixes = a.diagnosis.errors.map((e, i) => {
    if (e.code === 'jit-failed') return a.buildFix ? [a.buildFix] : [];
    if (!m || !cErrors[i]) return [];
    const section = m.map.match.object.object.programs.find((p) => p.name === m.map.program)?.section ?? '';
    return fixesFor({ error: e, map: m.map, resolve: m.resolve, read: readSource, section });
  });
  const diags = logDiagnostics(uri, a.summary, a.diagnosis, cErrors, fixes);
  if (objectProblem) {
    diags.push({ range: lineRange(0), severity: DiagnosticSeverity.Warning, source: 'bpflens', code: 'object-mismatch', message: objectProblem });
  }
  void connection.sendDiagnostics({ uri, version: a.version, diagnostics: diags });
  const perFile = new Map<string, Diagnostic[]>();
  cErrors.forEach((c, i) => {
    if (!c || !m) return;
    const src = m.map.at(c.insn)!;
    const chain = src.inlineChain.map((f) => Location.create(fileUri(m.resolve(f.file ?? c.file)), {
      start: { line: Math.max(0, (f.line ?? 1) - 1), character: Math.max(0, (f.column ?? 1) - 1) },
      end: { line: Math.max(0, (f.line ?? 1) - 1), character: END_OF_LINE },
    }));
    const cu = fileUri(c.file);
    perFile.set(cu, [...(perFile.get(cu) ?? []), cDiagnostic(uri, a.summary, a.diagnosis, i, c, chain, fixes[i])]);
  });
  for (const f of cDiagnostics.set(uri, perFile)) void connection.sendDiagnostics({ uri: f, diagnostics: cDiagnostics.of(f) });
}

function refresh(doc: TextDocument): void {
  const t0 = performance.now();
  const text = doc.getText();
  // A small log is parsed whole once; the summary would parse it whole anyway.
  const small = text.length <= SMALL_LOG_CHARS && text.length <= maxLogBytes ? parseSafely(doc.uri, text) : null;
  const summary = small ? summaryOf(small) : summarise(doc.uri, text);
  const log = small ? Promise.resolve(small) : parseLater(doc.uri, text);
  const mapping = log.then((l) => mapLog(doc.uri, l)).catch((e: unknown) => ({
    m: null, problem: `bpflens: cannot map this log to an object: ${(e as Error).message}`,
  }));
  const mapped = mapping.then((r) => r.m);
  const a: Analysis = { version: doc.version, summary, diagnosis: diagnose(summary), log, mapped };
  analyses.set(doc.uri, a);
  publish(doc.uri, a, null, null);
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
  void mapping.then(({ m, problem }) => {
    if (analyses.get(doc.uri) !== a) return;
    if (m || problem) publish(doc.uri, a, m, problem);
  });
  if (a.diagnosis.errors.some((e) => e.code === 'jit-failed')) {
    void Promise.all([buildFixFor(doc.uri, summary), mapping]).then(([fix, { m, problem }]) => {
      if (analyses.get(doc.uri) !== a || !fix) return;
      a.buildFix = fix;
      publish(doc.uri, a, m, problem);
    });
  }
}

documents.onDidOpen((e) => {
  if (isLog(e.document)) refresh(e.document);
});
documents.onDidChangeContent((e) => {
  if (!isLog(e.document)) return;
  const cur = analyses.get(e.document.uri);
  if (!cur || cur.version !== e.document.version) refresh(e.document);
});
documents.onDidClose((e) => {
  if (!analyses.delete(e.document.uri)) return;
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  for (const f of cDiagnostics.set(e.document.uri, new Map())) void connection.sendDiagnostics({ uri: f, diagnostics: cDiagnostics.of(f) });
});

async function modelOf(uri: string): Promise<VerifierLog | null> {
  const a = analyses.get(uri);
  return a ? a.log : null;
}

/** Every open log mapped to an object that has `file` among its sources. */
async function logsMapping(file: string): Promise<MappedLog[]> {
  const out: MappedLog[] = [];
  for (const a of analyses.values()) {
    const m = await a.mapped;
    if (m && mapsFile(m, file)) out.push(m);
  }
  return out;
}

function cFileOf(uri: string): string | null {
  return uri.startsWith('file:') && /\.(c|h)$/.test(uri) ? fileURLToPath(uri) : null;
}

connection.onHover(async (p) => {
  const cFile = cFileOf(p.textDocument.uri);
  if (cFile) {
    const md = cLineHover(await logsMapping(cFile), cFile, p.position.line + 1);
    return md ? { contents: { kind: 'markdown', value: md } } : null;
  }
  const a = analyses.get(p.textDocument.uri);
  const log = await modelOf(p.textDocument.uri);
  if (!a || !log) return null;
  const m = await a.mapped;
  const h = hover(log, p.position.line, p.position.character);
  const parts: string[] = [];
  if (h && m) {
    const v = variableAt(m, p.position.line, p.position.character);
    if (v) parts.push(`C variable: \`${v}\``, '');
  }
  if (h) parts.push(h.markdown);
  else if (m) {
    // On an instruction's own text: where it comes from in C.
    const src = sourceOfLogLine(m, p.position.line);
    if (!src || !/^\s*\d+:/.test(lineText(log, p.position.line).slice(0, p.position.character + 1))) return null;
    parts.push(`insn ${src.insn} (${src.function}, ${src.section}+${src.offset})`, '');
    parts.push(...describeFrames(src.inlineChain, m.resolve).map((l) => `- ${l}`));
  }
  if (!parts.length) return null;
  return {
    contents: { kind: 'markdown', value: parts.join('\n') },
    range: h ? { start: { line: h.span.line, character: h.span.start }, end: { line: h.span.line, character: h.span.end } } : undefined,
  };
});

connection.onDefinition(async (p) => {
  const cFile = cFileOf(p.textDocument.uri);
  if (cFile) {
    return logLinesOfC(await logsMapping(cFile), cFile, p.position.line + 1).map((l) => Location.create(l.uri, lineRange(l.line)));
  }
  const a = analyses.get(p.textDocument.uri);
  const log = await modelOf(p.textDocument.uri);
  if (!a || !log) return null;
  const d = definition(log, p.position.line, p.position.character);
  if (d) return Location.create(p.textDocument.uri, { start: { line: d.line, character: d.start }, end: { line: d.line, character: d.end } });
  // From an instruction to its C line.
  const m = await a.mapped;
  const loc = m && sourceOfLogLine(m, p.position.line)?.location;
  if (!m || !loc) return null;
  const line = loc.line - 1;
  return Location.create(fileUri(m.resolve(loc.file)), { start: { line, character: Math.max(0, (loc.column ?? 1) - 1) }, end: { line, character: END_OF_LINE } });
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

// Quick fixes travel in the diagnostics' data: computed once when the log is mapped.
connection.onCodeAction((p): CodeAction[] => {
  const out: CodeAction[] = [];
  for (const d of p.context.diagnostics) {
    // A fix without edits is advice (its title says it); the diagnostic's message carries it already.
    for (const f of ((d.data as { fixes?: Fix[] } | undefined)?.fixes ?? []).filter((x) => x.edits.length)) {
      const changes: Record<string, TextEdit[]> = {};
      for (const e of f.edits) {
        (changes[fileUri(e.file)] ??= []).push({
          range: { start: { line: e.range.start.line, character: e.range.start.column }, end: { line: e.range.end.line, character: e.range.end.column } },
          newText: e.newText,
        });
      }
      out.push({ title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: out.length === 0, edit: { changes } });
    }
  }
  return out;
});

/** The model of an open log, else of the file on disk (logs of a runner's matrix need not be open). */
async function logAt(uri: string): Promise<VerifierLog> {
  const open = await modelOf(uri);
  if (open) return open;
  let text: string;
  try {
    text = fs.readFileSync(fileURLToPath(uri), 'utf8');
  } catch (e) {
    throw new Error(`${uri}: cannot read the log: ${(e as Error).message}`);
  }
  const log = parseSafely(uri, text);
  if (!log) throw new Error(`${uri}: cannot parse the log`);
  return log;
}

connection.onRequest(ALIGN_LOGS_METHOD, async (p: { left: string; right: string }) => {
  const [left, right] = await Promise.all([logAt(p.left), logAt(p.right)]);
  const a = alignLogs(left, right);
  return {
    left: renderSide(a.rows, 'left'),
    right: renderSide(a.rows, 'right'),
    // 0-based log line of each row's step, to jump from the aligned view into the logs themselves.
    leftLines: a.rows.map((r) => r.left?.line ?? null),
    rightLines: a.rows.map((r) => r.right?.line ?? null),
    divergence: a.divergence,
    aligned: a.aligned,
  };
});

process.on('uncaughtException', (e) => connection.console.error(`bpflens: unexpected error: ${e.stack ?? e}`));

documents.listen(connection);
connection.listen();
