/** The `bpflens` command as users run it: a real process on real logs. */
import Ajv from 'ajv';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Diagnosis } from '../server/src/diagnose/diagnosis';
import { FIXTURES, list, ROOT, tempDir } from './helpers/fixtures';

const BIN = path.join(ROOT, 'bin', 'bpflens.js');
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'diagnose.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);

function run(args: string[], input?: string) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, cwd: ROOT });
}

const allLogs = [
  ...list('logs', '.log'), ...list('logs', '.libbpf.txt'), ...list('public', '.log'),
  ...fs.readdirSync(path.join(FIXTURES, 'kernels')).filter((d) => d !== 'src' && !d.endsWith('.md')).flatMap((d) => list(`kernels/${d}`, '.log')),
];

describe('bpflens diagnose --format json', () => {
  for (const rel of allLogs) {
    it(`${rel} follows the contract`, () => {
      const r = run(['diagnose', path.join(FIXTURES, rel), '--format', 'json']);
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { errors: { logLine: number; message: string }[] };
      assert.ok(validate(out), JSON.stringify(validate.errors));
      const lines = fs.readFileSync(path.join(FIXTURES, rel), 'utf8').split('\n');
      for (const e of out.errors) {
        // logLine is 1-based and points at the first line of the message.
        assert.equal(lines[e.logLine - 1].trim(), e.message.split('\n')[0]);
      }
    });
  }

  it('diagnoses the packet error with its source line', () => {
    const out = JSON.parse(run(['diagnose', path.join(FIXTURES, 'logs/xdp_nobounds.L1.log'), '--format', 'json']).stdout);
    assert.equal(out.verdict, 'rejected');
    assert.equal(out.generation, '6.x');
    assert.equal(out.errors[0].code, 'pkt-out-of-bounds');
    assert.equal(out.errors[0].insn, 11);
    assert.equal(out.errors[0].source.file, 'xdp_nobounds.c');
    assert.equal(out.stats.processedInsns, 12);
  });

  it('reads standard input', () => {
    const text = fs.readFileSync(path.join(FIXTURES, 'logs/map_null.L1.log'), 'utf8');
    const out = JSON.parse(run(['diagnose', '-', '--format', 'json'], text).stdout);
    assert.equal(out.errors[0].code, 'null-deref');
  });

  it('prints a readable report by default and can fail CI on a rejection', () => {
    const r = run(['diagnose', path.join(FIXTURES, 'logs/xdp_nobounds.L1.log'), '--fail-on-reject']);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /REJECTED/);
    assert.match(r.stdout, /error\[pkt-out-of-bounds\] Memory Safety at insn 11/);
    assert.equal(run(['diagnose', path.join(FIXTURES, 'logs/xdp_pass.L1.log'), '--fail-on-reject']).status, 0);
  });
});

describe('bad input gets a clear error naming the file', () => {
  const tmp = tempDir('bpflens-cli-');
  const cases: [string, string, RegExp][] = [
    ['missing file', path.join(tmp, 'nope.log'), /nope\.log: cannot read the log: no such file/],
    ['directory', tmp, /is a directory/],
    ['ELF object', path.join(FIXTURES, 'obj/map_null.o'), /map_null\.o: this is an ELF object, not a verifier log/],
  ];
  for (const [name, file, msg] of cases) {
    it(name, () => {
      const r = run(['diagnose', file]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, msg);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    });
  }
  it('unknown format and missing argument are usage errors', () => {
    assert.equal(run(['diagnose', 'x.log', '--format', 'xml']).status, 2);
    assert.equal(run(['diagnose']).status, 2);
  });
  it('garbage text is diagnosed as unknown, not a crash', () => {
    const f = path.join(tmp, 'garbage.log');
    fs.writeFileSync(f, 'hello\nworld\n\u00ff\u1234 R1= ( ((( \n');
    const r = run(['diagnose', f, '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(validate(JSON.parse(r.stdout)));
  });
});

describe('bpflens diagnose --object', () => {
  const tmp = tempDir('bpflens-obj-');
  const log = path.join(FIXTURES, 'logs/xdp_nobounds.L1.log');
  const src = path.join(FIXTURES, 'src/xdp_nobounds.c');
  const haveClang = spawnSync('clang', ['--version']).status === 0;
  const multiarch = haveClang ? spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout.trim() : '';
  const compile = (out: string, flags: string[]) => {
    const r = spawnSync('clang', [...flags, '-O2', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', src, '-o', out]);
    assert.equal(r.status, 0, String(r.stderr));
    return out;
  };

  it('fills the source from DWARF and adds the inline chain', () => {
    const r = run(['diagnose', log, '--object', path.join(FIXTURES, 'obj/xdp_nobounds.o'), '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Diagnosis;
    assert.ok(validate(out), JSON.stringify(validate.errors));
    assert.deepEqual(out.errors[0].source, { file: 'test/fixtures/src/xdp_nobounds.c', line: 22, column: 10 });
    assert.deepEqual(out.errors[0].inlineChain!.map((f) => f.function), ['parse_ip', 'xdp_nobounds']);
    assert.equal(out.object!.matched, true);
  });
  it('an object without -g: says what is missing, keeps the log\'s own source', { skip: haveClang ? false : 'needs clang' }, () => {
    const obj = compile(path.join(tmp, 'nodebug.o'), ['-g0']);
    const out = JSON.parse(run(['diagnose', log, '--object', obj, '--format', 'json']).stdout);
    assert.equal(out.object.matched, true);
    assert.ok(out.object.warnings.some((w: string) => w.includes('nodebug.o') && /-g/.test(w)), out.object.warnings.join('\n'));
    assert.deepEqual(out.errors[0].source, { file: 'xdp_nobounds.c', line: 22, column: null });
  });
  it('compressed debug sections: named, and the log features keep working', { skip: haveClang ? false : 'needs clang' }, () => {
    const obj = compile(path.join(tmp, 'gz.o'), ['-g', '-gz']);
    const out = JSON.parse(run(['diagnose', log, '--object', obj, '--format', 'json']).stdout);
    assert.ok(out.object.warnings.some((w: string) => w.includes('gz.o') && /compress/i.test(w)), out.object.warnings.join('\n'));
    assert.equal(out.errors[0].code, 'pkt-out-of-bounds');
  });
  it('a truncated object is a clear error naming the file', () => {
    const obj = path.join(tmp, 'cut.o');
    fs.writeFileSync(obj, fs.readFileSync(path.join(FIXTURES, 'obj/xdp_nobounds.o')).subarray(0, 300));
    const r = run(['diagnose', log, '--object', obj]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cut\.o: /);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  });
  it('a missing object is a clear error', () => {
    const r = run(['diagnose', log, '--object', path.join(tmp, 'none.o')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /none\.o: cannot read the object: no such file/);
  });
});

describe('npx bpflens', () => {
  it('--help lists the diagnose command', () => {
    const r = spawnSync('npx', ['--no-install', 'bpflens', '--help'], { encoding: 'utf8', cwd: ROOT });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /diagnose \[options\] <log>/);
  });
});

describe('bpflens compare', () => {
  const kernelLog = (k: string, p: string) => path.join(FIXTURES, 'kernels', k, `${p}.L2.log`);

  it('shows the first divergence of two kernels and exits 1', () => {
    const r = run(['compare', kernelLog('5.10.251-deb11-cloud', 'xdp_nobounds'), kernelLog('7.3.4-deb13bpo-cloud', 'xdp_nobounds')]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /first divergence \(state\) at row 10: after insn 9: left R3 = scalar, unbounded/);
    assert.match(r.stdout, /^>> 9: r3 \|= r2 .*\| 9: r3 \|= r2/m);
  });

  it('exits 0 when the walks agree, with JSON on request', () => {
    const r = run(['compare', kernelLog('6.12.117-deb12-cloud', 'loop_bounded'), kernelLog('7.3.4-deb13bpo-cloud', 'loop_bounded'), '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { divergence: unknown; aligned: boolean; rows: unknown[] };
    assert.equal(out.divergence, null);
    assert.equal(out.aligned, true);
    assert.ok(out.rows.length > 500);
  });

  it('names a missing or binary input and exits 2', () => {
    const missing = run(['compare', '/nonexistent.log', kernelLog('6.12.117-deb12-cloud', 'loop_bounded')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^bpflens: \/nonexistent\.log: cannot read the log: no such file/);
    const elf = run(['compare', kernelLog('6.12.117-deb12-cloud', 'loop_bounded'), path.join(FIXTURES, 'obj', 'xdp_nobounds.o')]);
    assert.equal(elf.status, 2);
    assert.match(elf.stderr, /xdp_nobounds\.o: this is an ELF object, not a verifier log/);
  });
});
