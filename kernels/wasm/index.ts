// fedmed's WebAssembly kernels (AssemblyScript). Pointers are byte offsets
// into the shared memory the host imports; sizes are in float32 elements.

/** y[i] = value for i < n, four lanes at a time. */
export function fill(y: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), value);
}
