/**
 * Loads grammars/bpf-verifier-log.tmLanguage.json into vscode-textmate (with the oniguruma wasm
 * from node_modules) and tokenizes text line by line, the way VS Code colours a document.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import { ROOT } from './fixtures';

export const GRAMMAR_PATH = path.join(ROOT, 'grammars', 'bpf-verifier-log.tmLanguage.json');
export const SCOPE = 'source.bpf-verifier-log';
const ONIG_WASM = path.join(ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm');

/**
 * Stand-in for the C grammar that source notes and source context embed: no patterns, so C text
 * keeps only the scopes our grammar gives it (meta.embedded.line.c…). Tests assert our scopes only.
 */
const STUB_C_GRAMMAR = JSON.stringify({ scopeName: 'source.c', name: 'C (stub)', patterns: [], repository: {} });

export interface Token {
  text: string;
  /** Scopes without the root `source.bpf-verifier-log`. */
  scopes: string[];
}

export interface LoadedGrammar {
  grammar: vsctm.IGrammar;
  /** Scope names the registry asked for while loading (to see that `source.c` was wanted). */
  requested: string[];
}

let onigLoaded: Promise<void> | undefined;

function loadOnig(): Promise<void> {
  // loadWASM may run only once per process.
  onigLoaded ??= oniguruma.loadWASM(fs.readFileSync(ONIG_WASM));
  return onigLoaded;
}

export async function loadGrammar(): Promise<LoadedGrammar> {
  await loadOnig();
  const requested: string[] = [];
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => {
      requested.push(scopeName);
      if (scopeName === SCOPE) return vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR_PATH, 'utf8'), GRAMMAR_PATH);
      if (scopeName === 'source.c') return vsctm.parseRawGrammar(STUB_C_GRAMMAR, 'c.stub.json');
      return null;
    },
  });
  const grammar = await registry.loadGrammar(SCOPE);
  if (!grammar) throw new Error(`${GRAMMAR_PATH}: grammar did not load`);
  return { grammar, requested };
}

/** Tokenizes consecutive lines, carrying the rule stack from one line to the next. */
export function tokenizeLines(grammar: vsctm.IGrammar, lines: readonly string[]): Token[][] {
  let stack = vsctm.INITIAL;
  return lines.map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes.slice(1) }));
  });
}

/** `"text"=scope scope` list of a line's tokens, for assertion messages. */
export function formatTokens(tokens: readonly Token[]): string {
  return tokens
    .filter((t) => t.text.trim() !== '' || t.scopes.length)
    .map((t) => `${JSON.stringify(t.text)}=${t.scopes.map((s) => s.replace(/\.bpf-verifier-log$/, '')).join(' ') || '-'}`)
    .join('  ');
}
