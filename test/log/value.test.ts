/** Register values of every generation, decoded and described. Inputs are copied from the fixture logs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeStackSlot, describeValue, parseValue } from '../../server/src/log/value';

describe('parseValue', () => {
  it('6.x packet pointer', () => {
    const v = parseValue('pkt(id=8199,off=54,r=0,smin=smin32=0,smax=umax=smax32=umax32=127,var_off=(0x0; 0x7f))');
    assert.equal(v.type, 'pkt');
    assert.equal(v.attrs.off, '54');
    assert.equal(v.attrs.smin32, '0');
    assert.equal(v.attrs.umax32, '127');
    assert.equal(v.attrs.var_off, '(0x0; 0x7f)');
  });
  it('5.x inv constants and old attribute names', () => {
    assert.deepEqual([parseValue('inv2').type, parseValue('inv2').constant], ['scalar', '2']);
    const v = parseValue('inv(id=0,umax_value=255,var_off=(0x0; 0xff))');
    assert.equal(v.type, 'scalar');
    assert.equal(v.attrs.umax, '255');
  });
  it('4.x attributes after the parenthesis', () => {
    const v = parseValue('map_value(ks=20,vs=48,id=0),min_value=0,max_value=0');
    assert.equal(v.type, 'map_value');
    assert.equal(v.attrs.vs, '48');
    assert.equal(v.attrs.umax, '0');
    assert.equal(parseValue('imm4,min_value=4,max_value=4').constant, '4');
  });
  it('precise scalars, nullable and trusted pointers, stack pointers', () => {
    assert.deepEqual([parseValue('P15848').precise, parseValue('P15848').constant], [true, '15848']);
    const n = parseValue('map_value_or_null(id=1,map=open_count,ks=4,vs=8)');
    assert.deepEqual([n.type, n.maybeNull, n.attrs.map], ['map_value', true, 'open_count']);
    const t = parseValue('ptr_or_null_task_struct(id=2,ref_obj_id=2)');
    assert.deepEqual([t.type, t.maybeNull, t.attrs.ref_obj_id], ['ptr_task_struct', true, '2']);
    assert.deepEqual(parseValue('trusted_ptr_task_struct()').modifiers, ['trusted']);
    assert.deepEqual(parseValue('fp[0]-8').stack, { frame: 0, offset: -8 });
    assert.deepEqual(parseValue('fp-16').stack, { frame: null, offset: -16 });
    assert.equal(parseValue('0x281084cb08f834f9').constant, '0x281084cb08f834f9');
    assert.equal(parseValue('scalar(smin=smin32=0,smax=umax=smax32=umax32=1,var_off=(0x0; 0x1))').constant, null);
  });
});

describe('describeValue', () => {
  it('explains packet pointers in words', () => {
    assert.equal(describeValue(parseValue('pkt(id=0,off=12,r=0)')), 'packet pointer, 12 bytes past data, 0 bytes proven readable');
    assert.equal(describeValue(parseValue('pkt(r=14)')), 'packet pointer, at data, 14 bytes proven readable');
  });
  it('explains nullable map values and scalar ranges', () => {
    assert.match(describeValue(parseValue('map_value_or_null(id=1,map=stats,ks=4,vs=8)')), /may be NULL.*map stats/);
    assert.match(describeValue(parseValue('scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))')), /signed range \[0, 0xffffffff\]/);
    assert.equal(describeValue(parseValue('scalar()')), 'scalar, unbounded: any 64-bit value');
  });
  it('explains stack slots', () => {
    assert.match(describeStackSlot('0000????'), /4 bytes zero, 4 bytes invalid \(never written/);
    assert.match(describeStackSlot('map_value(map=acc,ks=4,vs=8)'), /^spilled register: pointer to a map value/);
  });
});
