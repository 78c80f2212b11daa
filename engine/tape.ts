/**
 * Reverse-mode autodiff. Each op that has an input wanting a gradient records
 * a node on its output: the inputs and a backward rule written in terms of
 * other ops, so every backend gets gradients for free. backward() walks the
 * nodes reachable from the output in decreasing creation order (a
 * topological order, without recursion) and accumulates into the leaves.
 */
import { state, untrack } from './state.js';
import { sameShape } from './strides.js';
import type { Storage, Tensor } from './tensor.js';
import { add } from './ops/elementwise.js';
import { fullLike } from './ops/creation.js';
import { endScope, startScope } from './scope.js';

/** Maps the output's gradient to one gradient per input (null where an input needs none). */
export type BackwardRule = (dy: Tensor) => (Tensor | null)[];

export interface TapeNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly rule: BackwardRule;
  /** The storage and its version that the inputs, then the output, had when recorded: the values the rule will read. */
  readonly saved: readonly SavedVersion[];
}

interface SavedVersion {
  readonly storage: Storage;
  readonly version: number;
}

function savedVersion(t: Tensor): SavedVersion {
  const storage = t.storage;
  return { storage, version: storage.version };
}

export interface BackwardOptions {
  /** The gradient of the output; ones when omitted (the output must then be a scalar). */
  gradient?: Tensor;
  /**
   * Keep the batch dimension in parameter gradients: each leaf's grad becomes
   * [batch, ...leaf.shape], one gradient per sample (for DP-SGD). The value
   * is the batch size. A leaf whose leading axis is the batch (an input)
   * keeps its ordinary gradient, except with a batch of one, where every
   * leaf's gradient is [1, ...shape].
   */
  perSample?: number;
}

/** Whether an op's output must record a node: recording is on and some input wants a gradient. */
export function needsGrad(inputs: readonly (Tensor | null | undefined)[]): boolean {
  return state.recording && inputs.some((t) => t?.requiresGrad);
}

/** Attaches a backward rule to `y` when any input wants a gradient; returns y. */
export function record(op: string, y: Tensor, inputs: readonly Tensor[], rule: BackwardRule): Tensor {
  if (needsGrad(inputs)) {
    y.requiresGrad = true;
    y.node = { op, inputs, rule, saved: [...inputs, y].map(savedVersion) };
  }
  return y;
}

/** Runs `fn` without recording any tape (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const was = state.recording;
  state.recording = false;
  try {
    return fn();
  } finally {
    state.recording = was;
  }
}

/**
 * True while a per-sample backward runs and `t` is a leaf, or a reshape of
 * one (a parameter viewed for broadcasting): ops then keep the batch
 * dimension in its gradient.
 */
export function wantsPerSample(t: Tensor): boolean {
  if (state.perSampleBatch === 0) return false;
  if (t.isLeaf) return true;
  return t.node?.op === 'reshape' && wantsPerSample(t.node.inputs[0]!);
}

/** Whether backward() is running (rules may then add into a leaf's gradient in place). */
let inBackward = false;

/**
 * The gradient leaf `t` already holds, when a backward rule may add its own
 * into it in place rather than return a new one to be summed: while
 * backward() runs, for a leaf whose grad has `shape` and storage of its own
 * (no view of it would see the change). A rule that adds into it returns it;
 * backward() then leaves it be.
 */
export function gradToAddInto(t: Tensor, shape: readonly number[]): Tensor | null {
  const g = t.grad;
  if (!inBackward || !t.isLeaf || !g || g.storage.refs !== 1) return null;
  return sameShape(g.shape, shape) ? g : null;
}

/**
 * Left on a tensor once backward() has run its rule: the rule and the tensors
 * it saved are gone, so a second pass through it must fail (as PyTorch's
 * "backward through the graph a second time") rather than treat it as a leaf.
 */
const spent: TapeNode = { op: 'spent', inputs: [], rule: () => [], saved: [] };

export function backward(output: Tensor, options: BackwardOptions): void {
  if (output.isDisposed) throw new Error(`backward(): ${output} was disposed`);
  if (!output.requiresGrad) throw new Error(`backward(): ${output} does not require a gradient (no input asked for one)`);
  if (!options.gradient && output.size !== 1) throw new Error(`backward(): ${output} is not a scalar; pass { gradient }`);
  if (options.gradient && !sameShape(options.gradient.shape, output.shape)) {
    throw new Error(`backward(): the gradient ${options.gradient} does not match the output ${output}`);
  }
  const order = reachableNodes(output);
  const grads = new Map<Tensor, Tensor>();
  const seed = options.gradient ? options.gradient.alias() : fullLike(output, 1);
  grads.set(output, seed);
  const wasRecording = state.recording;
  state.recording = false;
  state.perSampleBatch = options.perSample ?? 0;
  const wasInBackward = inBackward; // a rule may itself run a backward pass
  inBackward = true;
  try {
    if (!output.node) {
      accumulateLeaf(output, seed, 'the seed'); // a leaf's gradient is the seed itself, as in PyTorch
      grads.delete(output); // only now: were it refused, finally frees the seed
    }
    for (const t of order) {
      const dy = grads.get(t);
      const node = t.node!;
      t.node = spent; // the rule's saved tensors can go once it has run
      if (!dy) continue;
      checkUsable(t, node);
      grads.delete(t);
      const inputGrads = runRule(node, dy);
      // A leaf's own grad, returned, was added into in place (gradToAddInto): nothing more to do.
      const addedInPlace = new Set(node.inputs.map((input, i) => (input.grad && inputGrads[i] === input.grad ? input.grad : null)));
      // Each input that wants a gradient gets its own reference (a rule may pass dy through or give
      // one tensor to two inputs), so that accumulating or freeing one never touches another.
      const owned = node.inputs.map((input, i) => (input.requiresGrad && !addedInPlace.has(inputGrads[i] ?? null) ? (inputGrads[i]?.alias() ?? null) : null));
      for (const g of new Set(inputGrads)) if (g && g !== dy && !addedInPlace.has(g)) g.dispose();
      node.inputs.forEach((input, i) => {
        const g = owned[i];
        if (!g) return;
        if (input.node) accumulate(grads, input, g);
        else accumulateLeaf(input, g, node.op);
      });
      dy.dispose();
    }
  } finally {
    state.recording = wasRecording;
    state.perSampleBatch = 0;
    inBackward = wasInBackward;
    for (const g of grads.values()) g.dispose();
  }
}

/** Runs a node's rule in its own scope, so its temporaries are freed as soon as it returns, or throws. */
function runRule(node: TapeNode, dy: Tensor): (Tensor | null)[] {
  startScope();
  let inputGrads: (Tensor | null)[] = [];
  try {
    inputGrads = node.rule(dy);
  } finally {
    endScope(inputGrads.filter((g): g is Tensor => g !== null));
  }
  return inputGrads;
}

/** Refuses a node whose graph is gone: already differentiated through, or with inputs a scope has freed. */
function checkUsable(t: Tensor, node: TapeNode): void {
  if (node === spent) {
    throw new Error(`backward(): ${t} was already differentiated through and its graph freed; recompute it, or cut the graph with alias()`);
  }
  const freed = node.inputs.find((input) => input.requiresGrad && input.isDisposed);
  if (freed) {
    throw new Error(`backward(): ${freed}, an input of ${node.op}, was disposed before backward() reached it; call backward() inside the tidy() that built the graph`);
  }
  // The rule reads its inputs' and output's values: refuse them changed in place since, as PyTorch does.
  const changed = [...node.inputs, t].find((u, i) => {
    if (u.isDisposed) return false;
    const { storage, version } = node.saved[i]!;
    return u.storage !== storage || u.storage.version !== version;
  });
  if (changed) {
    throw new Error(
      `backward(): ${changed}, used by ${node.op}, was modified in place (an optimizer step, assign() or loadStateDict()) after the forward pass; run the forward pass again after the update`,
    );
  }
}

function accumulate(grads: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = grads.get(t);
  if (!prev) {
    grads.set(t, g);
    return;
  }
  grads.set(t, add(prev, g));
  prev.dispose();
  g.dispose();
}

function accumulateLeaf(leaf: Tensor, given: Tensor, op: string): void {
  const batch = state.perSampleBatch;
  const g = batch === 1 ? asSingleSample(given, leaf) : given;
  const batchAligned = batch > 1 && leaf.shape[0] === batch && g.size === leaf.size;
  const expected = batch > 0 && !batchAligned ? [batch, ...leaf.shape] : leaf.shape;
  if (!sameShape(g.shape, expected)) {
    const what = batch > 0 ? 'a per-sample gradient' : 'a gradient';
    throw new Error(`backward(): ${op} gave ${what} of shape [${g.shape}] for ${leaf}, expected [${expected}]`);
  }
  untrack(g); // a leaf's gradient outlives the scope backward() ran in
  if (!leaf.grad) {
    leaf.grad = g;
    return;
  }
  const sum = add(leaf.grad, g);
  untrack(sum);
  leaf.grad.dispose();
  g.dispose();
  leaf.grad = sum;
}

/**
 * With a batch of one, the gradient is the per-sample gradient, but its form
 * cannot be told from shapes ([1, cIn, k, k] may be a weight or a batch), so
 * ops give either [1, ...shape] or shape: view it as [1, ...leaf.shape].
 */
function asSingleSample(g: Tensor, leaf: Tensor): Tensor {
  if (g.size !== leaf.size || g.rank === leaf.rank + 1) return g;
  const view = g.alias([1, ...leaf.shape]);
  g.dispose();
  return view;
}

/** Every tensor with a node reachable from `output`, newest first. */
function reachableNodes(output: Tensor): Tensor[] {
  const seen = new Set<Tensor>();
  const stack = [output];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t) || !t.node) continue;
    seen.add(t);
    for (const input of t.node.inputs) if (input.node && !seen.has(input)) stack.push(input);
  }
  return [...seen].sort((a, b) => b.id - a.id);
}
