/** DWARF file names → files on disk (mapping/source-files.ts), on the fixture objects' real DWARF. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { resolveSource } from '../../server/src/mapping/source-files';
import { FIXTURES, tempDir } from '../helpers/fixtures';

// clang ran at the repository root: the objects name their source `test/fixtures/src/x.c`, comp_dir `.`.
const DWARF_NAME = 'test/fixtures/src/xdp_nobounds.c';
const SOURCE = path.join(FIXTURES, 'src', 'xdp_nobounds.c');

describe('resolveSource', () => {
  const elsewhere = tempDir('bpflens-src-');
  const inDir = (f: () => void) => {
    const cwd = process.cwd();
    process.chdir(elsewhere);
    try {
      f();
    } finally {
      process.chdir(cwd);
    }
  };

  it('finds a relative DWARF name above the object', () => {
    inDir(() => assert.equal(resolveSource(DWARF_NAME, path.join(FIXTURES, 'obj', 'xdp_nobounds.o')), SOURCE));
  });

  it('follows a link to the object (the editor writes kernel-matrix logs beside one)', () => {
    const link = path.join(elsewhere, 'xdp_nobounds.o');
    fs.symlinkSync(path.join(FIXTURES, 'obj', 'xdp_nobounds.o'), link);
    inDir(() => assert.equal(resolveSource(DWARF_NAME, link), SOURCE));
  });

  it('says null rather than guess', () => {
    inDir(() => assert.equal(resolveSource('nowhere/none.c', path.join(elsewhere, 'missing.o')), null));
  });
});
