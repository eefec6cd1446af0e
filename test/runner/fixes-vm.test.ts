/**
 * Quick fixes that only a kernel in a VM can prove (this host refuses LSM loads, never runs with
 * bpf_jit_harden=2 for a test, and is newer than the kernels that refuse map values as keys).
 * Each test compiles a fixture of test/fixtures/vm-src/, loads it in the runner's VMs, diagnoses
 * the real log, applies the fix offered, rebuilds and loads again. Needs the runner's cache
 * (runner/setup.sh, run first like test/runner/vm.test.ts does) and clang; the errno 524 test
 * needs clang-19 for -mcpu=v4.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MatrixRun } from '../../client/src/runner/matrix';
import { check } from '../../server/src/cli/check';
import { diagnoseFile, diagnoseWithObjects, readText } from '../../server/src/cli/diagnose-file';
import { diagnose, type DiagnosedError, type Fix } from '../../server/src/diagnose/diagnosis';
import { fixesFor } from '../../server/src/diagnose/fixes';
import { applyEdits } from '../../server/src/diagnose/fixes/c-source';
import { explainError } from '../../server/src/diagnose/messages';
import { parseLog } from '../../server/src/log/parse';
import { summaryOf } from '../../server/src/log/summary';
import { loadObject } from '../../server/src/mapping/mapped-object';
import { matchLog } from '../../server/src/mapping/match';
import { ProgramSourceMap } from '../../server/src/mapping/source-map';
import { defaultCacheDir, runMatrix, type Cell } from '../../runner/src/vm';
import { FIXTURES, ROOT } from '../helpers/fixtures';
import { LspClient, uriOf } from '../helpers/lsp-client';
import { CodeActionRequest, type CodeAction, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';

const KERNELS = ['5.10', '6.12', '6.18', '7.3'];
const VM_SRC = path.join(FIXTURES, 'vm-src');
const cacheDir = defaultCacheDir();
const multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
const hasClang19 = spawnSync('clang-19', ['--version']).status === 0;

function compile(src: string, obj: string, cc = 'clang', flags: string[] = []): void {
  const r = spawnSync(cc, ['-g', '-O2', '-target', 'bpf', ...flags, `-I/usr/include/${multiarch}`, '-c', src, '-o', obj], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** Applies a fix's edits of `file` to it on disk. */
function applyFile(file: string, fix: Fix): void {
  fs.writeFileSync(file, applyEdits(fs.readFileSync(file, 'utf8'), fix.edits.filter((e) => path.resolve(e.file) === path.resolve(file))));
}

const series = (release: string) => /^\d+\.\d+/.exec(release)?.[0] ?? release;
const show = (cells: Cell[]) => cells.map((c) => `${c.kernel} ${c.variant} ${path.basename(c.object)} ${c.verdict} ${c.errnoName}`).join('; ');

describe('quick fixes proven by loads in VMs', { timeout: 600_000 }, () => {
  let dir = '';
  before(() => {
    const r = spawnSync('bash', [path.join(ROOT, 'runner', 'setup.sh'), ...KERNELS], {
      encoding: 'utf8', env: { ...process.env, BPFLENS_RUNNER_CACHE: cacheDir }, timeout: 150_000,
    });
    assert.equal(r.status, 0, `runner/setup.sh ${KERNELS.join(' ')} failed (needs root and the Debian mirrors):\n${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-15).join('\n')}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflens-fixes-vm-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('barrier_var: an LSM return value the source bounds but clang 14 returns unchecked loads on 6.12, 6.18 and 7.3 after the fix; the re-clamp does not', async () => {
    const src = path.join(dir, 'lsm_long_ret.c');
    fs.copyFileSync(path.join(VM_SRC, 'lsm_long_ret.c'), src);
    const obj = path.join(dir, 'lsm_long_ret.o');
    compile(src, obj);
    const kernels = ['6.12', '6.18', '7.3'];
    const first = await runMatrix({ objects: [obj], kernels, logLevel: 1, cacheDir, variants: [{ lsm: true }] });
    assert.deepEqual(first.map((c) => [c.kernel, c.verdict]), kernels.map((k) => [k, 'rejected']), show(first));
    for (const c of first) assert.match(c.log, /At program exit the register R0 has smin=0 smax=4294967295 should have been in \[-4095, 0\]/);

    const log = path.join(dir, 'lsm_long_ret.log');
    fs.writeFileSync(log, first.find((c) => c.kernel === '6.18')!.log);
    const d = await diagnoseWithObjects(log, [obj], 'lsm_long_ret');
    const [barrier, reclamp] = d.errors[0].fixes;
    assert.match(barrier?.title ?? '', /^Return ret \(long\) as checked: barrier_var\(ret\); before return ret;/, d.errors[0].fixes.map((f) => f.title).join(' | '));
    assert.match(reclamp?.title ?? '', /^Return a value in \[-4095, 0\]/);

    // The offered fix, and the re-clamp of the return-range fix it is preferred to, side by side.
    const srcReclamp = path.join(dir, 'reclamp', 'lsm_long_ret.c');
    fs.mkdirSync(path.dirname(srcReclamp));
    fs.writeFileSync(srcReclamp, applyEdits(fs.readFileSync(src, 'utf8'), reclamp.edits));
    assert.match(fs.readFileSync(srcReclamp, 'utf8'), /\treturn \(ret\) < -4095 \? -4095 : \(ret\) > 0 \? 0 : \(ret\);/);
    applyFile(src, barrier);
    assert.match(fs.readFileSync(src, 'utf8'), /\tbarrier_var\(ret\);\n\treturn ret;/);
    const objReclamp = path.join(dir, 'reclamp', 'lsm_long_ret.o');
    compile(src, obj);
    compile(srcReclamp, objReclamp);
    const second = await runMatrix({ objects: [obj, objReclamp], kernels, logLevel: 1, cacheDir, variants: [{ lsm: true }] });
    assert.deepEqual(
      second.map((c) => [c.kernel, c.object, c.verdict]),
      kernels.flatMap((k) => [[k, obj, 'accepted'], [k, objReclamp, 'rejected']]),
      show(second),
    );
  });

  it('-mcpu=v4: a long jump blinding overflows fails with errno 524 under harden2, is diagnosed jit-failed, and loads on 6.18 and 7.3 built as the fix says',
    { skip: hasClang19 ? false : 'clang-19 is not installed (scripts/setup.sh installs it): -mcpu=v4 needs clang 18 or newer' }, async () => {
      const work = path.join(dir, 'long_jump');
      fs.mkdirSync(work);
      execFileSync(process.execPath, [path.join(VM_SRC, 'gen-long-jump.mjs'), path.join(work, 'long_jump.c')]);
      // The project's build: the system clang (14 here), as a Makefile a user would have.
      const makefile = path.join(work, 'Makefile');
      fs.writeFileSync(makefile, [
        'CLANG ?= clang',
        'long_jump.o: long_jump.c',
        `\t$(CLANG) -g -O2 -target bpf -I/usr/include/${multiarch} -c long_jump.c -o long_jump.o`,
        '',
      ].join('\n'));
      const make = (...vars: string[]) => execFileSync('make', ['-s', '-C', work, ...vars], { encoding: 'utf8' });
      make();
      const obj = path.join(work, 'long_jump.o');
      const kernels = ['6.18', '7.3'];
      const cells = await check([obj], kernels, ['default', 'harden2'], 1);
      assert.deepEqual(
        cells.map((c) => [series(c.kernel), c.variant, c.verdict, c.errno]),
        kernels.flatMap((k) => [[k, 'default', 'accepted', 0], [k, 'harden2', 'rejected', 524]]),
      );
      for (const c of cells.filter((x) => x.variant === 'harden2')) {
        const e = c.error!;
        assert.equal(e.code, 'jit-failed', `${c.kernel}: ${e.code} ${e.message}`);
        assert.equal(e.category, 'Program Structure');
        // 6.18's log ends with the stats line; 7.3 prints the patch that failed.
        assert.match(e.message, c.kernel.startsWith('7.3') ? /^insn \d+ cannot be patched due to 16-bit range$/ : /^processed \d+ insns/);
        assert.match(e.explanation, /^The verifier accepted the program; the JIT could not compile it/);
        assert.match(e.explanation, /kernel 6\.6 or newer/);
        assert.equal(e.fixes.length, 1);
        assert.match(e.fixes[0].title, /^Build with -mcpu=v4 in .*Makefile .*\(clang here is version 14, which has no -mcpu=v4: build with clang 18 or newer\)$/);
      }
      const fix = cells.find((c) => c.variant === 'harden2')!.error!.fixes[0];
      fs.copyFileSync(obj, path.join(work, 'long_jump.v1.o'));
      const makefileV1 = fs.readFileSync(makefile, 'utf8');
      applyFile(fix.edits[0].file, fix);
      assert.match(fs.readFileSync(makefile, 'utf8'), /\$\(CLANG\) -g -O2 -target bpf -mcpu=v4 /);
      fs.rmSync(obj);
      make('CLANG=clang-19');

      const old = path.join(work, 'long_jump.v1.o');
      const second = await runMatrix({ objects: [old, obj], kernels, logLevel: 1, cacheDir, variants: [{ jitHarden: 2 }] });
      assert.deepEqual(
        second.map((c) => [c.kernel, path.basename(c.object), c.verdict, c.errno]),
        kernels.flatMap((k) => [[k, 'long_jump.v1.o', 'rejected', 524], [k, 'long_jump.o', 'accepted', 0]]),
        show(second),
      );
      // libbpf's own text says 524 too: the log it wraps is diagnosed the same way; and so is the
      // log the editor writes for the cell (its header carries the errno the log itself lacks).
      const editorRun = new MatrixRun({ object: old, programs: ['long_jump'], kernels, variants: ['harden2'], logLevel: 1 }, path.join(work, 'editor-run'));
      editorRun.update(second.filter((x) => x.object === old));
      for (const c of second.filter((x) => x.verdict === 'rejected')) {
        assert.match(c.libbpf, /failed to load: -524/);
        const d = diagnose(summaryOf(parseLog(c.libbpf)));
        assert.equal(d.verdict, 'rejected');
        assert.deepEqual(d.errors.map((e) => [e.code, e.fixes.length, e.fixes[0].edits.length]), [['jit-failed', 1, 0]]);
        const cellLog = editorRun.cells.find((m) => m.kernel === c.kernel)!.logFile!;
        assert.deepEqual(diagnoseFile(cellLog).errors.map((e) => e.code), ['jit-failed'], cellLog);
      }
      // In the editor: the cell's log gets the jit-failed diagnostic (6.18's log holds no verifier
      // error at all), and a code action when the log maps to its object (the link beside it).
      // (the build as it was when long_jump.v1.o was made, before the fix above edited it)
      fs.writeFileSync(makefile, makefileV1);
      const lsp = LspClient.start();
      try {
        await lsp.initialize({});
        const cellLog = editorRun.cells.find((m) => m.kernel === '6.18')!.logFile!;
        await lsp.open(uriOf(cellLog), fs.readFileSync(cellLog, 'utf8'));
        const p = await lsp.diagnosticsFor(uriOf(cellLog), 1, 60_000);
        assert.deepEqual(p.diagnostics.map((x) => x.code), ['jit-failed']);
        assert.match(String(p.diagnostics[0].message), /^processed \d+ insns.*\nProgram Structure: The verifier accepted the program; the JIT could not compile it/);
        const mapped = await lsp.waitFor<PublishDiagnosticsParams>('textDocument/publishDiagnostics',
          (x) => x.uri === uriOf(cellLog) && (x.diagnostics[0]?.data as { fixes?: unknown[] } | undefined)?.fixes?.length === 1, 60_000);
        const actions = (await lsp.conn.sendRequest(CodeActionRequest.type, {
          textDocument: { uri: uriOf(cellLog) }, range: mapped.diagnostics[0].range, context: { diagnostics: mapped.diagnostics },
        })) as CodeAction[];
        assert.deepEqual(actions.map((a) => Object.keys(a.edit!.changes!).map((u) => path.basename(u))), [['Makefile']]);
        assert.match(actions[0].title, /^Build with -mcpu=v4 in /);
        assert.deepEqual(lsp.errorLogs(), []);
      } finally {
        lsp.kill();
      }
    });

  it('stack copy of a map value used as a map key: the fixed source loads on 5.10 and on this host (acceptance by kernels < 4.18 is unproven here)', async () => {
    const src = path.join(dir, 'map_value_key.c');
    fs.copyFileSync(path.join(VM_SRC, 'map_value_key.c'), src);
    const obj = path.join(dir, 'map_value_key.o');
    compile(src, obj);
    const [cell] = await runMatrix({ objects: [obj], kernels: ['5.10'], logLevel: 2, cacheDir });
    assert.equal(cell.verdict, 'accepted', cell.libbpf);
    // What kernels before 4.18 print at the second lookup: check_func_arg's "R%d type=%s
    // expected=%s", with the type the 5.10 log shows in R2 there. Not a log from such a kernel:
    // none runs here, and no real log of this message is in the repository.
    const call = /^(\d+): .*\bR2(?:_w)?=(map_value)\(.*\n\1: \(85\) call bpf_map_lookup_elem#1$/m.exec(cell.log);
    assert.ok(call, 'the 5.10 log shows the lookup with a map value in R2');
    const message = `R2 type=${call[2]} expected=fp`;
    const ex = explainError([message], message);
    const error: DiagnosedError = {
      message, category: ex.category, code: ex.code, insn: Number(call[1]), logLine: 1, source: null,
      explanation: ex.explanation, hints: ex.hints, fixes: [], causalPath: [],
    };
    assert.equal(error.code, 'arg-type-mismatch');
    const log = parseLog(cell.log);
    const match = matchLog(log, [await loadObject(obj)], 'map_value_key').match;
    assert.ok(match, 'the 5.10 log matches the object');
    const fixes = fixesFor({ error, map: new ProgramSourceMap(match), resolve: (f) => f, read: readText, section: 'tracepoint/syscalls/sys_enter_openat' });
    assert.deepEqual(fixes.map((f) => f.title), [
      "Kernels before 4.18 take only stack memory as bpf_map_lookup_elem()'s key: copy *task (struct task_key) to the stack and pass &task_copy",
    ]);
    applyFile(src, fixes[0]);
    assert.match(fs.readFileSync(src, 'utf8'), /\tstruct task_key task_copy = \*task;\n\tn = bpf_map_lookup_elem\(&opens, &task_copy\);/);
    compile(src, obj);
    const loads = await check([obj], ['host', '5.10'], ['default'], 1);
    assert.deepEqual(loads.map((c) => [series(c.kernel), c.verdict]), [[series(os.release()), 'accepted'], ['5.10', 'accepted']], loads.map((c) => c.error?.message ?? c.vmProblem).join(' | '));
  });
});
