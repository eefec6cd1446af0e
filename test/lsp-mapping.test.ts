/**
 * The language server joins a real log to its real object: the failing C line is squiggled with
 * the inline chain, log hovers name C variables, and navigation goes both ways.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest, DefinitionRequest, HoverRequest, type CodeAction, type Location, type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { FIXTURES, ROOT, tempDir } from './helpers/fixtures';
import { LspClient } from './helpers/lsp-client';

const uri = (f: string) => pathToFileURL(f).href;
const C_FILE = path.join(FIXTURES, 'src/xdp_nobounds.c');

/** A log with its object beside it, as a user keeps them. */
function workspace(log: string, object: string): { dir: string; log: string } {
  const dir = tempDir('bpflens-lsp-');
  fs.copyFileSync(path.join(FIXTURES, 'logs', log), path.join(dir, log));
  fs.copyFileSync(path.join(FIXTURES, 'obj', object), path.join(dir, object));
  return { dir, log: path.join(dir, log) };
}

function hoverText(h: unknown): string {
  return (h as { contents: { value: string } } | null)?.contents.value ?? '';
}

test('a log beside its object: C squiggle, inline chain, variables, navigation', { timeout: 30000 }, async () => {
  const ws = workspace('xdp_nobounds.L1.log', 'xdp_nobounds.o');
  const client = LspClient.start();
  try {
    await client.initialize({}, { rootUri: uri(ROOT) });
    const text = fs.readFileSync(ws.log, 'utf8');
    const logUri = uri(ws.log);
    await client.open(logUri, text);
    // The C file's squiggle arrives once the model is built and the object matched.
    const c = await client.waitFor<PublishDiagnosticsParams>('textDocument/publishDiagnostics', (p) => p.uri === uri(C_FILE) && p.diagnostics.length > 0);
    const d = c.diagnostics[0];
    const cLines = fs.readFileSync(C_FILE, 'utf8').split('\n');
    const failing = cLines.findIndex((l) => l.includes('ip->protocol == IPPROTO_UDP'));
    assert.equal(d.range.start.line, failing);
    // clang puts a member access's column on the member name.
    assert.equal(d.range.start.character, cLines[failing].indexOf('protocol'));
    assert.equal(d.code, 'pkt-out-of-bounds');
    assert.match(String(d.message), /R1 offset is outside of the packet \(insn 11\)/);
    assert.match(String(d.message), /Inline chain: `parse_ip` at xdp_nobounds\.c:\d+:\d+, inlined into `xdp_nobounds` at xdp_nobounds\.c:\d+:\d+/);
    const chainLines = d.relatedInformation!.filter((r) => r.location.uri === uri(C_FILE)).map((r) => r.location.range.start.line);
    assert.ok(chainLines.includes(failing));
    assert.ok(chainLines.includes(cLines.findIndex((l) => l.includes('if (parse_ip('))), 'the call site in the hook');
    assert.ok(d.relatedInformation!.some((r) => r.location.uri === logUri));
    // The log's own diagnostic now points at the C place too.
    const logDiags = await client.waitFor<PublishDiagnosticsParams>('textDocument/publishDiagnostics', (p) => p.uri === logUri && p.diagnostics[0]?.relatedInformation?.some((r) => r.location.uri === uri(C_FILE)) === true);
    assert.equal(logDiags.diagnostics.length, 1);

    const lines = text.split('\n');
    const insn11 = lines.findIndex((l) => l.startsWith('11: (71)'));
    const h = await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri: logUri }, position: { line: insn11, character: lines[insn11].indexOf('(r1 +23)') + 1 } });
    assert.match(hoverText(h), /C variable: `data \(void \*\), eth \(struct ethhdr \*\), ip \(struct iphdr \*\) = R1\+14`/);

    const toC = (await client.conn.sendRequest(DefinitionRequest.type, { textDocument: { uri: logUri }, position: { line: insn11, character: 1 } })) as Location;
    assert.equal(toC.uri, uri(C_FILE));
    assert.equal(toC.range.start.line, failing);

    await client.open(uri(C_FILE), cLines.join('\n'), 1, 'c');
    const ch = await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri: uri(C_FILE) }, position: { line: failing, character: 8 } });
    assert.match(hoverText(ch), /\*\*xdp_nobounds\*\*/);
    assert.match(hoverText(ch), /insn 11 `r1 = \*\(u8 \*\)\(r1 \+23\)`.*R1 \(data, eth\)=`pkt\(r=14\)`/);
    // Ctrl+. on the squiggle: the bounds check, named after the program's own variables.
    const actions = (await client.conn.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: uri(C_FILE) }, range: d.range, context: { diagnostics: [d] },
    })) as CodeAction[];
    assert.equal(actions.length, 1);
    assert.match(actions[0].title, /if \(\(void \*\)\(ip \+ 1\) > data_end\) return 0;/);
    const edit = actions[0].edit!.changes![uri(C_FILE)][0];
    assert.equal(edit.range.start.line, failing);
    assert.equal(edit.newText, '\tif ((void *)(ip + 1) > data_end)\n\t\treturn 0;\n');

    const toLog = (await client.conn.sendRequest(DefinitionRequest.type, { textDocument: { uri: uri(C_FILE) }, position: { line: failing, character: 8 } })) as Location[];
    assert.ok(toLog.some((l) => l.uri === logUri && l.range.start.line === insn11));
    assert.deepEqual(await client.stop(), { code: 0, signal: null });
  } finally {
    client.kill();
  }
});

test('the bpflens.objects setting names the object; a wrong one is reported in the log', { timeout: 30000 }, async () => {
  const client = LspClient.start();
  try {
    await client.initialize({}, { rootUri: uri(ROOT), settings: { objects: ['test/fixtures/obj/xdp_nobounds.o'] } });
    const logFile = path.join(FIXTURES, 'logs/map_null.L1.log');
    await client.open(uri(logFile), fs.readFileSync(logFile, 'utf8'));
    const p = await client.waitFor<PublishDiagnosticsParams>('textDocument/publishDiagnostics', (x) => x.uri === uri(logFile) && x.diagnostics.some((d) => d.code === 'object-mismatch'));
    const warn = p.diagnostics.find((d) => d.code === 'object-mismatch')!;
    assert.match(String(warn.message), /xdp_nobounds\.o/);
    assert.equal(warn.severity, 2);
    // The error itself is still there, from the log alone.
    assert.ok(p.diagnostics.some((d) => d.code === 'null-deref'));

    const good = path.join(FIXTURES, 'logs/xdp_nobounds.L1.log');
    await client.open(uri(good), fs.readFileSync(good, 'utf8'));
    await client.waitFor<PublishDiagnosticsParams>('textDocument/publishDiagnostics', (x) => x.uri === uri(C_FILE) && x.diagnostics.length === 1);
  } finally {
    client.kill();
  }
});
