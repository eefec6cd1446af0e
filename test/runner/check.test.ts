/**
 * `bpflens check` as CI runs it: real loads in the runner's VMs, reports in every format. SARIF is
 * validated against the official SARIF 2.1.0 JSON Schema; JUnit is checked to be well-formed XML.
 */
import Ajv from 'ajv-draft-04';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { FIXTURES, ROOT } from '../helpers/fixtures';

const BIN = path.join(ROOT, 'bin', 'bpflens.js');
const OBJECTS = ['xdp_nobounds.o', 'bpf_loop.o'].map((o) => path.join(FIXTURES, 'obj', o));

function check(format: string) {
  return spawnSync(process.execPath, [BIN, 'check', ...OBJECTS, '--kernels', '5.10,6.18', '--format', format], { encoding: 'utf8', cwd: ROOT });
}

describe('bpflens check', { timeout: 170_000 }, () => {
  before(() => {
    const r = spawnSync('bash', [path.join(ROOT, 'runner', 'setup.sh'), '5.10', '6.18'], { encoding: 'utf8', timeout: 150_000 });
    assert.equal(r.status, 0, `runner setup failed: ${(r.stdout + r.stderr).slice(-2000)}`);
  });

  it('a table: bpf_loop works on 6.18 but not on 5.10, xdp_nobounds nowhere; exit status 1', () => {
    const r = check('text');
    assert.equal(r.status, 1, r.stderr);
    const row = (program: string, kernel: string) => r.stdout.split('\n').find((l) => l.startsWith(program) && l.includes(` ${kernel}.`))!;
    assert.match(row('bpf_loop', '5'), /FAIL EINVAL/);
    assert.match(row('bpf_loop', '6'), /PASS/);
    assert.match(row('xdp_nobounds', '5'), /FAIL EACCES\s+pkt-out-of-bounds test\/fixtures\/src\/xdp_nobounds\.c:22/);
  });

  it('SARIF 2.1.0 valid against the official schema, results at the failing C lines', () => {
    const r = check('sarif');
    const sarif = JSON.parse(r.stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }).compile(schema);
    assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 5)));
    const results = sarif.runs[0].results;
    const packet = results.filter((x) => x.ruleId === 'pkt-out-of-bounds');
    assert.equal(packet.length, 2, 'one per kernel');
    for (const p of packet) {
      assert.equal(p.locations[0].physicalLocation.artifactLocation.uri, 'test/fixtures/src/xdp_nobounds.c');
      assert.equal(p.locations[0].physicalLocation.region.startLine, 22);
    }
    assert.ok(results.some((x) => x.ruleId !== 'pkt-out-of-bounds'), 'bpf_loop on 5.10');
  });

  it('JUnit: well-formed, a suite per kernel, failures for the rejections', () => {
    const r = check('junit');
    assert.equal(XMLValidator.validate(r.stdout), true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(r.stdout) as { testsuites: { '@_tests': string; '@_failures': string; testsuite: unknown[] } };
    assert.equal(doc.testsuites['@_tests'], '4');
    assert.equal(doc.testsuites['@_failures'], '3');
    assert.equal(doc.testsuites.testsuite.length, 2);
  });

  it('the host kernel, opt-in: same loader, same cells; variants that would change the host are refused', () => {
    const r = spawnSync(process.execPath, [BIN, 'check', OBJECTS[0], '--kernels', 'host', '--variants', 'default,lsm', '--format', 'json'], { encoding: 'utf8', cwd: ROOT });
    assert.equal(r.status, 1, r.stderr);
    const cells = JSON.parse(r.stdout) as { kernel: string; variant: string; verdict: string; errnoName: string; error: { code: string } | null; vmProblem: string | null }[];
    const def = cells.find((c) => c.variant === 'default')!;
    assert.deepEqual([def.verdict, def.errnoName, def.error?.code], ['rejected', 'EACCES', 'pkt-out-of-bounds']);
    const lsm = cells.find((c) => c.variant === 'lsm')!;
    assert.equal(lsm.verdict, 'error');
    assert.match(lsm.vmProblem!, /not run on the host/);
  });

  it('bad input is a clear error', () => {
    const r = spawnSync(process.execPath, [BIN, 'check', path.join(FIXTURES, 'nope.o')], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /nope\.o: cannot read the object: no such file/);
    const v = spawnSync(process.execPath, [BIN, 'check', OBJECTS[0], '--variants', 'turbo'], { encoding: 'utf8' });
    assert.equal(v.status, 2);
    assert.match(v.stderr, /unknown variant turbo/);
    const p = spawnSync(process.execPath, [BIN, 'check', OBJECTS[0], '--programs', 'a;b'], { encoding: 'utf8' });
    assert.equal(p.status, 2);
    assert.match(p.stderr, /--programs: 'a;b' is not a BPF program name/);
  });

  it('--programs: only the chosen program of a two-program object', () => {
    const r = spawnSync(process.execPath, [BIN, 'check', path.join(FIXTURES, 'obj', 'subprog_fail.o'), '--kernels', 'host', '--programs', 'subprog_fail_tc', '--format', 'json'], { encoding: 'utf8', cwd: ROOT });
    assert.equal(r.status, 1, r.stderr);
    const cells = JSON.parse(r.stdout) as { program: string; verdict: string; error: { code: string } | null }[];
    assert.deepEqual(cells.map((c) => [c.program, c.verdict, c.error?.code]), [['subprog_fail_tc', 'rejected', 'null-deref']]);
  });
});
