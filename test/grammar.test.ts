/**
 * The TextMate grammar (grammars/bpf-verifier-log.tmLanguage.json) on real verifier logs: every
 * line kind gets its scope, and logs the kernel accepted show nothing in an `invalid.*` scope.
 * The embedded C grammar is a stub (test/helpers/textmate.ts), so only our own scopes are asserted.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { before, describe, it } from 'node:test';
import type { IGrammar } from 'vscode-textmate';
import { FIXTURES, list, meta, read } from './helpers/fixtures';
import { formatTokens, loadGrammar, tokenizeLines, type Token } from './helpers/textmate';

/** A fixture file (path relative to test/fixtures) or an inline line. */
type Source = { file: string } | { text: string };
/**
 * [token text, scope]: some token whose text matches (string: equal, or contains it when longer
 * than two characters; '' = any token; RegExp: tested) carries a scope containing `scope`.
 * A scope '!s' means no token of the line carries a scope containing s.
 */
type Expect = [string | RegExp, string];
/** [name, source, regex picking the first matching line, expectations]. */
type Case = [string, Source, RegExp, Expect[]];

const K = (f: string): Source => ({ file: `kernels/${f}` });
const F = (f: string): Source => ({ file: `public/${f}` });
const O = (f: string): Source => ({ file: `logs/${f}` });
const T = (text: string): Source => ({ text });

const CASES: Case[] = [
  // instruction lines, all generations
  ['instruction 5.10', K('5.10.251-deb11-cloud/xdp_nobounds.log'), /^11: \(71\)/, [
    ['11', 'constant.numeric.insn-index'], ['71', 'constant.other.opcode'], ['r1', 'variable.other.register'],
    ['u8', 'storage.type.size'], ['+23', 'constant.numeric'], ['=', 'keyword.operator'], ['', '!invalid'],
  ]],
  ['call helper 6.18', K('6.18.15-deb13bpo-cloud/xdp_pass.L2.log'), /call bpf_map_lookup_elem#1\b/, [
    ['call', 'keyword.control.call'], ['bpf_map_lookup_elem', 'entity.name.function.helper'], ['1', 'constant.numeric.helper-id'],
  ]],
  ['call kfunc 7.3', K('7.3.4-deb13bpo-cloud/iter_num.L2.log'), /^\d+: \(85\) call bpf_iter_num_next#\d+ +;/, [
    ['bpf_iter_num_next', 'entity.name.function.helper'], [';', 'punctuation.separator.state'],
    ['fp-8', 'variable.other.stack-slot'], ['iter_num', 'support.type.register-type'], ['state', 'variable.parameter.field'],
    ['refs', 'variable.parameter.field'],
  ]],
  ['goto 5.10', K('5.10.251-deb11-cloud/xdp_nobounds.log'), /goto pc\+9/, [
    ['if', 'keyword.control.conditional'], ['goto', 'keyword.control.jump'], ['pc', 'variable.language.pc'], ['+9', 'constant.numeric.offset'],
  ]],
  ['exit', K('6.1.192-deb12-cloud/xdp_pass.L2.log'), /^\d+: \(95\) exit/, [['exit', 'keyword.control.exit']]],
  ['lock xadd', K('6.18.15-deb13bpo-cloud/xdp_pass.L2.log'), /\(db\) lock/, [['lock', 'storage.modifier.lock']]],
  ['ld_imm64 hex 4.9', F('bcc-issue209-type-inv-expected-fp.log'), /^40: \(18\)/, [['0x93c8960', 'constant.numeric']]],
  ['call N (4.9 helper id)', F('bcc-pr1483-tcptracer-4.9.log'), /^1: \(85\) call 14/, [['14', 'constant.numeric.helper-id']]],
  ['tab liveness note 7.3', K('7.3.4-deb13bpo-cloud/bpf_loop.L2.log'), /\tr3: _ -> fp0\+0/, [[/r3: _/, 'comment.line.liveness-note']]],
  ['// comment 7.3', K('7.3.4-deb13bpo-cloud/bpf_loop.L2.log'), /call bpf_loop#181 \/\/ r3=fp0-8/, [
    ['//', 'comment.line.double-slash'], ['r3=fp0-8', 'comment.line.double-slash'],
  ]],
  ['stack use/def annotation 7.3', K('7.3.4-deb13bpo-cloud/bpf_loop.L2.log'), /; def: fp0-8/, [['def', 'keyword.other.annotation']]],

  // state after ';' (6.x+)
  ['state comment pkt 7.3', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^5: \(2d\)/, [
    ['R3', 'variable.other.register'], ['pkt', 'support.type.register-type'], ['pkt_end', 'support.type.register-type'],
    ['r', 'variable.parameter.field'], ['imm', 'variable.parameter.field'], ['14', 'constant.numeric'], ['', '!invalid'],
  ]],
  ['state comment scalar 6.18', K('6.18.15-deb13bpo-cloud/xdp_nobounds.log'), /^6: \(71\)/, [
    ['scalar', 'support.type.register-type'], ['smin32', 'variable.parameter.field'], ['var_off', 'variable.parameter.field'],
    ['0xff', 'constant.numeric'], ['255', 'constant.numeric'],
  ]],
  ['frame1: in state 6.1', K('6.1.192-deb12-cloud/bpf_loop.L2.log'), /^15: \(67\) r1 <<= 32 +; frame1:/, [
    ['frame', 'entity.name.tag.frame'], ['R1', 'variable.other.register'], ['_w', 'storage.modifier.liveness'],
  ]],
  ['_w suffix + ctx 5.10', K('5.10.251-deb11-cloud/loop_bounded.L2.log'), /^2: R1=ctx/, [
    ['R2', 'variable.other.register'], ['_w', 'storage.modifier.liveness'], ['inv', 'support.type.register-type'],
    ['0', 'constant.numeric'], ['ctx', 'support.type.register-type'], ['fp', 'support.type.register-type'],
  ]],
  ['branch state line 5.10 (leading space)', K('5.10.251-deb11-cloud/xdp_nobounds.log'), /^ R0_w=inv2/, [
    ['R0', 'variable.other.register'], ['inv', 'support.type.register-type'], ['2', 'constant.numeric'], ['pkt_end', 'support.type.register-type'],
  ]],
  ['insn: state line 6.18', K('6.18.15-deb13bpo-cloud/xdp_nobounds.log'), /^0: R1=ctx\(\) R10=fp0/, [
    ['0', 'constant.numeric.insn-index'], ['ctx', 'support.type.register-type'], ['R10', 'variable.other.register'],
  ]],
  ['stack slot 5.10 fp-8=mmmm????', K('5.10.251-deb11-cloud/loop_big.L2.excerpt.log'), /fp-8=mmmm\?\?\?\?/, [
    ['fp-8', 'variable.other.stack-slot'], ['mmmm????', 'constant.other.stack-slot-type'],
  ]],
  ['stack slot 6.1 fp-8_w=00000000', K('6.1.192-deb12-cloud/bpf_loop.L2.log'), /fp-8_w=00000000/, [
    ['fp-8', 'variable.other.stack-slot'], ['_w', 'storage.modifier.liveness'], ['00000000', 'constant.other.stack-slot-type'],
  ]],
  ['fp[0]-8 frame-qualified 6.18', K('6.18.15-deb13bpo-cloud/bpf_loop.L2.log'), /R2=fp\[0\]-8/, [
    ['fp', 'support.type.register-type'], ['-8', 'constant.numeric'],
  ]],
  ['map_value_or_null 5.10', K('5.10.251-deb11-cloud/xdp_pass.L2.log'), /map_value_or_null/, [['map_value_or_null', 'support.type.register-type']]],
  ['precise P prefix 6.1', K('6.1.192-deb12-cloud/bpf_loop.L2.log'), /R3_w=Pscalar/, [['P', 'storage.modifier.precise'], ['scalar', 'support.type.register-type']]],
  ['rdonly_mem 7.3', K('7.3.4-deb13bpo-cloud/iter_num.L2.log'), /R0=rdonly_mem/, [['rdonly_mem', 'support.type.register-type']]],
  ['4.9 map_value_or_null + inv', F('bcc-pr1483-tcptracer-4.9.log'), /^ R0=map_value_or_null/, [
    ['map_value_or_null', 'support.type.register-type'], ['ks', 'variable.parameter.field'], ['inv', 'support.type.register-type'],
  ]],
  ['synthetic state', T(' R1=pkt(r=14,imm=14) R0_w=P2 R6=map_value(map=acc,ks=4,vs=8) fp-8=mmmm8191 fp-16_w=0000???? frame1: R9=invP-1'), /./, [
    ['pkt', 'support.type.register-type'], ['P', 'storage.modifier.precise'], ['2', 'constant.numeric'], ['map_value', 'support.type.register-type'],
    ['fp-8', 'variable.other.stack-slot'], ['mmmm', 'constant.other.stack-slot-type'], ['8191', 'constant.numeric'],
    ['0000????', 'constant.other.stack-slot-type'], ['frame', 'entity.name.tag.frame'], ['inv', 'support.type.register-type'], ['-1', 'constant.numeric'],
  ]],

  // source notes
  ['source note 5.10 (no file)', K('5.10.251-deb11-cloud/xdp_nobounds.log'), /^; if \(ip->protocol/, [
    [';', 'punctuation.definition.source-note'], [/\bif\b/, 'meta.embedded.line.c'], ['', '!invalid'],
  ]],
  ['source note 6.18 @ file:line', K('6.18.15-deb13bpo-cloud/xdp_nobounds.log'), /^; if \(ip->protocol.*@/, [
    ['@', 'keyword.operator.at'], ['xdp_nobounds.c', 'markup.underline.link.source-location'], ['22', 'constant.numeric.line-number'],
    ['xdp_nobounds.c', 'string.unquoted.file-name'],
  ]],
  ['source note empty C text 7.3', K('7.3.4-deb13bpo-cloud/iter_num.L2.log'), /^;  @ iter_num.c:0/, [['iter_num.c', 'markup.underline.link'], ['0', 'constant.numeric.line-number']]],

  // control flow, functions
  ['from N to M 5.x', F('xdp-tutorial-issue218-precision-from-to-5.x.log'), /^from \d+ to \d+: R/, [
    ['from', 'keyword.control.from'], ['to', 'keyword.control.to'], ['R1', 'variable.other.register'],
  ]],
  ['from N to M: safe', K('6.1.192-deb12-cloud/loop_bounded.L2.log'), /^from \d+ to \d+: safe/, [['safe', 'markup.inserted.safe']]],
  ['from N to M: frame1:', K('6.18.15-deb13bpo-cloud/bpf_loop.L2.log'), /^from 8 to 15: frame1:/, [['frame', 'entity.name.tag.frame']]],
  ['N: safe', K('6.1.192-deb12-cloud/loop_bounded.L2.log'), /^\d+: safe$/, [['safe', 'markup.inserted.safe']]],
  ['func#0 @0', K('7.3.4-deb13bpo-cloud/bpf_loop.L2.log'), /^func#1 @15/, [['func', 'keyword.other.func'], ['1', 'constant.numeric.func-index'], ['15', 'constant.numeric.insn-index']]],
  ['subprog listing header 7.3', K('7.3.4-deb13bpo-cloud/bpf_loop.L2.log'), /^subprog#1 cb:/, [['cb', 'entity.name.function']]],
  ['Validating (synthetic)', T('Validating cb() func#1...'), /./, [['Validating', 'keyword.other.validating'], ['cb', 'entity.name.function'], ['1', 'constant.numeric.func-index']]],
  ['Func# is safe (synthetic)', T("Func#2 ('f') is safe for any args that match its prototype"), /./, [['2', 'constant.numeric.func-index'], ["'f'", 'entity.name.function'], [/is safe/, 'markup.inserted.safe']]],
  ['Live regs header', K('7.3.4-deb13bpo-cloud/bpf_loop.L2.log'), /^Live regs before insn:/, [['Live regs before insn', 'keyword.other.live-regs']]],
  ['Live regs table line', K('7.3.4-deb13bpo-cloud/bpf_loop.L2.log'), /^\s+1\s+8: \.1234/, [
    ['1', 'constant.numeric.call-depth'], ['8', 'constant.numeric.insn-index'], ['3', 'variable.other.register.live'],
    ['.', 'comment.live-mask.dead'], ['call', 'keyword.control.call'],
  ]],
  ['Live regs line with ; zext', K('7.3.4-deb13bpo-cloud/xdp_nobounds.L2.log'), /; zext$/, [['zext', 'keyword.other.annotation']]],

  // bookkeeping (dimmed)
  ['mark_precise', K('6.18.15-deb13bpo-cloud/loop_bounded.L2.log'), /^mark_precise: frame0: regs=/, [[/mark_precise/, 'comment.line.bookkeeping'], ['', '!invalid']]],
  ['frame 0: propagating', K('6.18.15-deb13bpo-cloud/bpf_loop.L2.log'), /^frame 0: propagating/, [[/propagating/, 'comment.line.bookkeeping']]],
  ['(0) frame 0 insn N +live', K('6.18.15-deb13bpo-cloud/bpf_loop.L2.log'), /^\(0\) frame 0 insn \d+ \+live/, [[/\+live/, 'comment.line.bookkeeping']]],
  ['(8,15) live stack update', K('6.18.15-deb13bpo-cloud/bpf_loop.L2.log'), /^\(8,15\) live stack update/, [[/live stack/, 'comment.line.bookkeeping']]],
  ['SCC enter', K('7.3.4-deb13bpo-cloud/iter_num.L2.log'), /^SCC enter \(1\)/, [[/SCC/, 'comment.line.bookkeeping']]],
  ['regs= stack= before 5.10', K('5.10.251-deb11-cloud/loop_bounded.L2.log'), /^regs=4 stack=0 before/, [[/regs=/, 'comment.line.bookkeeping']]],
  ['last_idx 5.10', K('5.10.251-deb11-cloud/loop_bounded.L2.log'), /^last_idx/, [[/last_idx/, 'comment.line.bookkeeping']]],
  ['parent already had', K('6.1.192-deb12-cloud/loop_bounded.L2.log'), /^parent already had/, [[/parent/, 'comment.line.bookkeeping']]],
  ['returning from callee', K('6.18.15-deb13bpo-cloud/bpf_loop.L2.log'), /^returning from callee:/, [[/returning/, 'comment.line.bookkeeping']]],
  ['topo_order', K('7.3.4-deb13bpo-cloud/bpf_loop.L2.log'), /^topo_order/, [[/topo_order/, 'comment.line.bookkeeping']]],

  // errors
  ['invalid access to packet', K('5.10.251-deb11-cloud/xdp_nobounds.log'), /^invalid access to packet/, [[/invalid access/, 'invalid.illegal.error']]],
  ['outside of the packet', K('6.18.15-deb13bpo-cloud/xdp_nobounds.log'), /outside of the packet/, [[/outside/, 'invalid.illegal.error']]],
  ['min value outside allowed range 7.3', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /allowed memory range/, [[/outside/, 'invalid.illegal.error']]],
  ['func_info mismatch 5.10', K('5.10.251-deb11-cloud/bpf_loop.log'), /^number of funcs/, [[/doesn't match/, 'invalid.illegal.error']]],
  ['invalid mem access 4.9', F('bcc-pr1483-tcptracer-4.9.log'), /invalid mem access/, [[/invalid mem/, 'invalid.illegal.error']]],
  ['expected= 4.9', F('bcc-issue209-type-inv-expected-fp.log'), /expected=fp/, [[/expected=/, 'invalid.illegal.error']]],
  ...[
    'R0 !read_ok',
    'Unreleased reference id=2 alloc_insn=7',
    'infinite loop detected at insn 5',
    'At program exit the register R0 has smin=0 smax=4 should have been in [0, 1]',
    'cannot call GPL-restricted function from non-GPL compatible program',
    'R1 pointer arithmetic on map_ptr prohibited',
    'math between pkt pointer and register with unbounded min value is not allowed',
    'BPF program is too large. Processed 1000001 insn',
    'The sequence of 8193 jumps is too complex.',
    'R3 invalid mem access \'scalar\'',
    'R2 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value',
  ].map((line): Case => ['error: ' + line, T(line), /./, [[/./, 'invalid.illegal.error']]]),

  // stats
  ['processed stats', K('7.3.4-deb13bpo-cloud/loop_big.log'), /^processed/, [
    ['processed', 'keyword.other.stats'], ['48012', 'constant.numeric.stat'], ['total_states', 'keyword.other.stats'],
    ['473', 'constant.numeric.stat'], ['limit', 'keyword.other.stats'], ['1000000', 'constant.numeric.stat'],
  ]],
  ['verification time (synthetic)', T('verification time 6053 usec'), /./, [['verification time', 'keyword.other.stats'], ['6053', 'constant.numeric.stat']]],
  ['stack depth (synthetic)', T('stack depth 8+16'), /./, [['8+16', 'constant.numeric.stat']]],

  // v7.3 explained failure block
  ['Verification failed header', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^Verification failed:/, [
    ['Verification failed', 'invalid.illegal.verification-failed'], ['Memory Safety', 'entity.name.section.category'],
    ['Access outside bounds', 'invalid.illegal.problem'],
  ]],
  ['Reason:', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^Reason:/, [['Reason', 'entity.name.section.block']]],
  ['At:', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^At:/, [['At', 'entity.name.section.block']]],
  ['Causal path:', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^Causal path:/, [['Causal path', 'entity.name.section.block']]],
  ['Suggestion:', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^Suggestion:/, [['Suggestion', 'entity.name.section.block']]],
  ['Reason prose stays plain', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /memory access is 23 and is outside/, [['', '!invalid']]],
  ['location line', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^  xdp_nobounds @ xdp_nobounds.c:22:10/, [
    ['xdp_nobounds', 'entity.name.function'], ['xdp_nobounds.c', 'markup.underline.link'], ['22', 'constant.numeric.line-number'],
    ['10', 'constant.numeric.column-number'],
  ]],
  ['Source context:', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^  Source context:/, [['Source context', 'entity.name.section.context']]],
  ['>>> source line', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^  >>> 22 \|/, [
    ['>>>', 'keyword.operator.marker'], ['22', 'constant.numeric.line-number'], ['|', 'punctuation.separator.gutter'],
    [/\bif\b/, 'meta.embedded.line.c'],
  ]],
  ['^-- error:', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /\^-- error:/, [['^--', 'keyword.operator.caret'], [/access may be/, 'invalid.illegal.caret-error']]],
  ['^-- branch:', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /\^-- branch:/, [['branch', 'keyword.other.note-kind'], [/took the false/, 'markup.italic.note']]],
  ['Instruction context:', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^  Instruction context:/, [['Instruction context', 'entity.name.section.context']]],
  ['>>> instruction line', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^  >>> 11 \| \(71\)/, [
    ['>>>', 'keyword.operator.marker'], ['11', 'constant.numeric.insn-index'], ['71', 'constant.other.opcode'],
    ['r1', 'variable.other.register'], ['u8', 'storage.type.size'], ['', '!embedded'],
  ]],
  ['plain instruction context line', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^ {7}9 \| \(4f\)/, [['4f', 'constant.other.opcode'], ['r3', 'meta.context.instruction']]],

  // this repo's own fixtures (6.18 host)
  ['cur state: after infinite loop', O('unbounded_loop.L1.log'), /^cur state:/, [['cur state', 'keyword.other.state-label'], ['map_value', 'support.type.register-type'], ['0000????', 'constant.other.stack-slot-type']]],
  ['infinite loop', O('unbounded_loop.L1.log'), /^infinite loop/, [[/infinite/, 'invalid.illegal.error']]],
  ['GPL-restricted', O('license_gpl.L1.log'), /GPL-restricted/, [[/GPL/, 'invalid.illegal.error']]],
  ['At program exit', O('ret_range.L1.log'), /^At program exit/, [[/At program exit/, 'invalid.illegal.error']]],
  ['Unreleased reference', O('ringbuf_leak.L1.log'), /^Unreleased reference/, [[/Unreleased/, 'invalid.illegal.error']]],
  ['reference leak', O('ringbuf_leak.L1.log'), /reference leak/, [[/leak/, 'invalid.illegal.error']]],
  ['expected= 6.18', O('helper_badarg.L1.log'), /expected=map_ptr/, [[/expected=/, 'invalid.illegal.error']]],
  ['invalid read from stack', O('stack_uninit.L1.log'), /^invalid read from stack/, [[/invalid/, 'invalid.illegal.error']]],
  ['max value is outside', O('array_oob.L1.log'), /max value is outside/, [[/outside/, 'invalid.illegal.error']]],
  ['Func# is safe (real)', O('global_func.L1.log'), /^Func#1/, [["'classify'", 'entity.name.function'], [/is safe/, 'markup.inserted.safe']]],
  ['jump with same-line target state', O('ringbuf_leak.L1.log'), /goto pc\+6 21: R0=/, [['goto', 'keyword.control.jump'], ['21', 'constant.numeric.insn-index'], ['ringbuf_mem', 'support.type.register-type'], ['0x3f', 'constant.numeric']]],
  ['libbpf wrapper around the log', O('array_oob.L2.libbpf.txt'), /BEGIN PROG LOAD LOG/, [[/BEGIN/, 'keyword.control.load-log-marker']]],
  ['map_ptr(map=...) 6.18', O('array_oob.L1.log'), /R1=map_ptr\(map=/, [['map_ptr', 'support.type.register-type'], ['map', 'variable.parameter.field']]],
  // wrappers
  ['libbpf BEGIN', T("libbpf: prog 'handle_tp': -- BEGIN PROG LOAD LOG --"), /./, [
    ['libbpf', 'entity.name.tag.loader'], ["'handle_tp'", 'string.quoted.single.object-name'], [/BEGIN PROG LOAD LOG/, 'keyword.control.load-log-marker'],
  ]],
  ['bare END marker', T('-- END PROG LOAD LOG --'), /./, [[/END PROG LOAD LOG/, 'keyword.control.load-log-marker']]],
  ['libbpf failure', T("libbpf: prog 'handle_tp': failed to load: -13"), /./, [[/failed/, 'invalid.illegal.libbpf-error']]],
  ['# header (sample logs)', K('7.3.4-deb13bpo-cloud/xdp_nobounds.log'), /^# verdict/, [[/verdict/, 'comment.line.number-sign']]],
  ['elision marker', K('7.3.4-deb13bpo-cloud/loop_big.L2.excerpt.log'), /^\[\.\.\./, [[/omitted/, 'comment.line.elision']]],
  // old kernels and loader wrappers (public fixtures)
  ['4.x bare types imm0/fp', F('kernel-doc-filter-txt-4.9-from-to.log'), /^  from 5 to 8:/, [
    ['from', 'keyword.control.from'], ['imm', 'support.type.register-type'], ['0', 'constant.numeric'], ['fp', 'support.type.register-type'],
  ]],
  ['4.x error indented', F('kernel-doc-filter-txt-4.9-from-to.log'), /R0 invalid mem access 'imm'/, [[/invalid/, 'invalid.illegal.error']]],
  ['4.x min_value suffix', F('p4c-xdp-issue41-kernel-4.10.1.log'), /^ R0=inv56/, [['inv', 'support.type.register-type'], ['56', 'constant.numeric'], ['min_value', 'variable.parameter.field']]],
  ['4.x fp-424=ctx slot', F('bpftrace-issue584-safe-pruning-fragment.log'), /fp-424=ctx/, [['fp-424', 'variable.other.stack-slot'], ['ctx', 'support.type.register-type']]],
  ['precise invP0 5.x', F('xdp-tutorial-issue218-precision-from-to-5.x.log'), /R3_w=invP0/, [['P', 'storage.modifier.precise'], ['0', 'constant.numeric']]],
  ['bcc bpf: prefix', F('bcc-issue1236-biosnoop-4.4-map-value-or-null.log'), /^bpf: Failed/, [['bpf', 'entity.name.tag.loader'], [/Failed/, 'invalid.illegal']]],
  ['bcc HINT', F('bcc-issue1236-biosnoop-4.4-map-value-or-null.log'), /^HINT:/, [['HINT', 'keyword.other.hint']]],
  ['libbpf old DUMP LOG marker', F('xdp-tutorial-issue269-libbpf-5.x.log'), /BEGIN DUMP LOG/, [[/BEGIN DUMP LOG/, 'keyword.control.load-log-marker']]],
  ['libbpf old END LOG marker', F('xdp-tutorial-issue269-libbpf-5.x.log'), /END LOG/, [[/END LOG/, 'keyword.control.load-log-marker']]],
  ['libbpf real BEGIN PROG LOAD LOG', F('libbpf-bootstrap-android-issue1-5.10.log'), /BEGIN PROG LOAD LOG/, [[/BEGIN PROG LOAD LOG/, 'keyword.control.load-log-marker'], ["'update_rq_clock'", 'string.quoted.single']]],
  ['libbpf real END PROG LOAD LOG', F('libbpf-bootstrap-android-issue1-5.10.log'), /^-- END PROG LOAD LOG --/, [[/END PROG LOAD LOG/, 'keyword.control.load-log-marker']]],
  ['mem type + refs 5.10', F('libbpf-bootstrap-android-issue1-5.10.log'), /^ R0_w=mem/, [['mem', 'support.type.register-type'], ['ref_obj_id', 'variable.parameter.field'], ['refs', 'variable.parameter.field']]],
  ['ERR: wrapper', F('xdp-tutorial-issue269-libbpf-5.x.log'), /^ERR: loading BPF-OBJ/, [[/ERR/, 'invalid.illegal.error']]],
  ['iproute2 rejected', F('cilium-issue11107-tc-4.9-complexity.log'), /^Prog section/, [[/rejected/, 'invalid.illegal.error']]],
  ['iproute2 loader info', F('cilium-issue11107-tc-4.9-complexity.log'), /^ - Instructions:/, [['Instructions', 'variable.other.key'], ['3409', 'constant.numeric']]],
  ['iproute2 Verifier analysis:', F('cilium-issue11107-tc-4.9-complexity.log'), /^Verifier analysis:/, [['Verifier analysis', 'entity.name.section.loader']]],
  ['cilium/ebpf indented func#', F('pwru-issue404-cilium-ebpf-5.4.log'), /^\s+func#1 @50/, [['func', 'keyword.other.func']]],
  ['cilium/ebpf indented state', F('pwru-issue404-cilium-ebpf-5.4.log'), /^\s+0: R1=ctx/, [['ctx', 'support.type.register-type']]],
  ['cilium/ebpf indented source note', F('pwru-issue404-cilium-ebpf-5.4.log'), /^\s+; int BPF_PROG/, [[';', 'punctuation.definition.source-note'], [/\bint BPF_PROG\b/, 'meta.embedded.line.c']]],
  ['cilium/ebpf indented error', F('pwru-issue404-cilium-ebpf-5.4.log'), /^\s+invalid bpf_context access/, [[/invalid/, 'invalid.illegal.error']]],
  ['cilium/ebpf indented stats', F('pwru-issue404-cilium-ebpf-5.4.log'), /^\s+processed 2 insns/, [['processed', 'keyword.other.stats']]],
  ['back-edge', F('bpftrace-issue632-back-edge.log'), /^back-edge/, [[/back-edge/, 'invalid.illegal.error']]],
  ['4.10 cannot add', F('p4c-xdp-issue41-kernel-4.10.1.log'), /^cannot add/, [[/cannot/, 'invalid.illegal.error']]],
  ['logrus-wrapped instruction', F('cilium-pr11109-logrus-4.9-fragment.log'), /msg="3272: \(15\)/, [
    [/level=warning/, 'comment.line.wrapper-prefix'], ['3272', 'constant.numeric.insn-index'], ['15', 'constant.other.opcode'], ['goto', 'keyword.control.jump'],
    [/subsys/, 'comment.line.wrapper-suffix'],
  ]],
  ['logrus-wrapped state', F('cilium-pr11109-logrus-4.9-fragment.log'), /msg=" R0=inv/, [['R0', 'variable.other.register'], ['map_value', 'support.type.register-type']]],
  ['journald-wrapped error', F('cilium-issue4103-journald-tc-invalid-stack.log'), /invalid stack off/, [[/invalid stack/, 'invalid.illegal.error'], [/cilium-agent/, 'comment.line.wrapper-prefix']]],
  // The check asserted C scopes here (if -> keyword.control, int -> storage.type) with tm-grammars' C grammar; with the
  // stub source.c only our own scopes are asserted: the C text is embedded, the ` @ file:line` suffix is not.
  ['C text of source note embedded (source.c)', K('6.18.15-deb13bpo-cloud/xdp_nobounds.log'), /^; if \(ip->protocol.*@/, [
    [/ip->protocol == 17/, 'meta.embedded.line.c'], ['xdp_nobounds.c', '!embedded'], ['22', '!embedded'],
  ]],
];

function holds(tokens: readonly Token[], [want, scope]: Expect): boolean {
  const neg = scope.startsWith('!');
  const needle = neg ? scope.slice(1) : scope;
  const textOk = (t: Token): boolean =>
    want === '' ? true : want instanceof RegExp ? want.test(t.text) : t.text === want || (want.length > 2 && t.text.includes(want));
  const hit = tokens.some((t) => textOk(t) && t.scopes.some((s) => s.includes(needle)));
  return neg ? !hit : hit;
}

let grammar: IGrammar;
let requested: string[] = [];
const tokenized = new Map<string, { lines: string[]; tokens: Token[][] }>();

function tokenizedFile(rel: string): { lines: string[]; tokens: Token[][] } {
  let f = tokenized.get(rel);
  if (!f) {
    const lines = read(rel).split(/\r?\n/);
    f = { lines, tokens: tokenizeLines(grammar, lines) };
    tokenized.set(rel, f);
  }
  return f;
}

before(async () => {
  ({ grammar, requested } = await loadGrammar());
});

describe('grammar: scopes per line kind', () => {
  it('ports all 128 cases of the grammar check', () => {
    assert.equal(CASES.length, 128);
    assert.equal(new Set(CASES.map((c) => c[0])).size, CASES.length, 'case names are unique');
  });

  it('asks the registry for source.c (embedded C of source notes)', () => {
    assert.ok(requested.includes('source.c'), `requested: ${requested.join(', ')}`);
  });

  for (const [name, src, pick, expects] of CASES) {
    it(name, () => {
      let line: string;
      let tokens: Token[];
      let where: string;
      if ('text' in src) {
        line = src.text;
        tokens = tokenizeLines(grammar, [line])[0];
        where = 'inline';
      } else {
        const f = tokenizedFile(src.file);
        const i = f.lines.findIndex((l) => pick.test(l));
        assert.ok(i >= 0, `no line of ${src.file} matches ${pick}`);
        line = f.lines[i];
        tokens = f.tokens[i];
        where = `${src.file}:${i + 1}`;
      }
      const missing = expects.filter((e) => !holds(tokens, e));
      assert.deepEqual(
        missing.map(([w, s]) => `${String(w)} -> ${s}`),
        [],
        `${where}\n  line: ${line.slice(0, 160)}\n  tokens: ${formatTokens(tokens).slice(0, 1500)}`,
      );
    });
  }
});

/** Accepted by the kernel: `# verdict: PASS` header (kernels/), or the `.json` beside it says so (logs/). */
function accepted(rel: string, lines: readonly string[]): boolean {
  if (lines.some((l) => /^# verdict: PASS\b/.test(l))) return true;
  return fs.existsSync(path.join(FIXTURES, rel.replace(/\.log$/, '.json'))) && meta(rel).verdict === 'accepted';
}

describe('grammar: no invalid.* scope on logs the kernel accepted', () => {
  const kernelDirs = fs
    .readdirSync(path.join(FIXTURES, 'kernels'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'src')
    .map((d) => `kernels/${d.name}`)
    .sort();
  const files = [...kernelDirs.flatMap((d) => list(d, '.log')), ...list('logs', '.log'), ...list('public', '.log')];
  const acceptedFiles = files.filter((rel) => accepted(rel, read(rel).split(/\r?\n/)));

  it('finds accepted logs among the kernel and fixture logs', () => {
    assert.ok(acceptedFiles.some((f) => f.startsWith('kernels/')), 'no accepted kernel log');
    assert.ok(acceptedFiles.some((f) => f.startsWith('logs/')), 'no accepted fixture log');
  });

  for (const rel of acceptedFiles) {
    it(rel, () => {
      const { lines, tokens } = tokenizedFile(rel);
      const red = lines.flatMap((l, i) =>
        tokens[i].some((t) => t.scopes.some((s) => s.startsWith('invalid.'))) ? [`${i + 1}: ${l.slice(0, 100)}`] : [],
      );
      assert.deepEqual(red, []);
    });
  }
});
