/** What each failing fixture program must be diagnosed as: one table for every test that checks it. */
export const FAILING_FIXTURE_CODES: Record<string, string> = {
  array_oob: 'map-value-access',
  bad_ctx: 'ctx-access',
  helper_badarg: 'arg-type-mismatch',
  license_gpl: 'gpl-only',
  map_null: 'null-deref',
  ret_range: 'ret-range',
  ringbuf_leak: 'ref-leak',
  scalar_deref: 'scalar-deref',
  stack_uninit: 'stack-read-uninit',
  unbounded_loop: 'infinite-loop',
  xdp_nobounds: 'pkt-out-of-bounds',
  subprog_fail_xdp: 'null-deref',
  subprog_fail_tc: 'null-deref',
  signed_index: 'ptr-offset-range',
  spin_leak: 'region-violation',
};
