// A fragment (scripts/embed-wgsl.mjs): the tree sum over a workgroup. The shader that includes it
// declares WG, `alias Partial = f32;` (or vec2f, ...) and `var<workgroup> partial: array<Partial, WG>;`.
// Every invocation of the workgroup must call it: it holds barriers.

/** The sum of every invocation's `value`, returned to each; `partial` may be reused on return. */
fn workgroupSum(lid: u32, value: Partial) -> Partial {
  partial[lid] = value;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) {
      partial[lid] += partial[lid + half];
    }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier(); // before partial is reused
  return total;
}
