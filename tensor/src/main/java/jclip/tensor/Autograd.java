package jclip.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode differentiation. A tensor made by a differentiable op while gradients are enabled
 * keeps a {@link Node}: its inputs and a rule that maps the output's gradient to theirs.
 * {@code backward} sorts the graph once (iteratively, so graphs of any depth are fine) and walks
 * it in reverse, summing gradients that reach a tensor along several paths.
 */
public final class Autograd {
    private Autograd() {}

    /** Maps the gradient of an op's output to the gradients of its inputs (null: no gradient). */
    @FunctionalInterface
    public interface Rule {
        Tensor[] apply(Tensor gradOutput);
    }

    /** Where a tensor came from. */
    static final class Node {
        final String op;
        final Tensor[] inputs;
        final Rule rule;

        Node(String op, Tensor[] inputs, Rule rule) {
            this.op = op;
            this.inputs = inputs;
            this.rule = rule;
        }
    }

    /** A region in which ops record nothing; closing it restores the previous mode. */
    public static final class NoGrad implements AutoCloseable {
        private final boolean previous;
        private boolean closed;

        private NoGrad() {
            previous = ENABLED.get();
            ENABLED.set(false);
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            ENABLED.set(previous);
        }
    }

    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> true);

    /** {@code try (var g = Autograd.noGrad()) { ... }}: nothing inside is recorded. */
    public static NoGrad noGrad() {
        return new NoGrad();
    }

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    /**
     * f(x) without keeping f's activations (gradient checkpointing): the forward runs without
     * recording and frees everything but the result; the backward runs f again on x, recording,
     * under the forward's {@link Autocast} mode, and back-propagates through it, so the parameters f
     * uses get their gradients then. f must compute the same values both times (no randomness).
     * When x needs no gradient, f runs as it is.
     */
    public static Tensor checkpoint(java.util.function.UnaryOperator<Tensor> f, Tensor x) {
        if (!needsGrad(x)) return f.apply(x);
        boolean bf16 = Autocast.isEnabled();
        Tensor y;
        try (MemoryScope scope = MemoryScope.open(); NoGrad g = noGrad()) {
            y = scope.keep(f.apply(x));
        }
        return record(y, "checkpoint", g -> {
            Tensor input = x.alias().requiresGrad(true);
            Tensor again;
            boolean previous = ENABLED.get();
            ENABLED.set(true);
            try (Autocast a = bf16 ? Autocast.bf16() : null) {
                again = f.apply(input);
            } finally {
                ENABLED.set(previous);
            }
            backward(again, g);
            return new Tensor[] {input.grad() == null ? null : input.grad().alias()};
        }, x);
    }

    /** Whether an op on these inputs must record a node. */
    static boolean needsGrad(Tensor... inputs) {
        if (!ENABLED.get()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
        return false;
    }

    /** Attaches a node to out when any input requires a gradient; returns out. */
    static Tensor record(Tensor out, String op, Rule rule, Tensor... inputs) {
        if (needsGrad(inputs)) out.setNode(new Node(op, inputs, rule));
        return out;
    }

    static void backward(Tensor root, Tensor seed) {
        if (!root.requiresGrad()) throw new IllegalStateException("backward() on a tensor that does not require grad");
        if (!Arrays.equals(root.shape(), seed.shape()))
            throw new IllegalArgumentException("gradient shape " + Arrays.toString(seed.shape())
                    + " differs from the tensor's " + Arrays.toString(root.shape()));
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        try (NoGrad g = noGrad(); MemoryScope outer = MemoryScope.open()) {
            grads.put(root, seed.alias());
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor grad = grads.remove(t);
                if (grad == null) continue;
                Node node = t.node();
                if (node == null) {
                    t.accumulateGrad(grad);
                    grad.close();
                    continue;
                }
                try (MemoryScope step = MemoryScope.open()) {
                    Tensor[] inputGrads = node.rule.apply(grad);
                    for (int k = 0; k < node.inputs.length; k++) {
                        Tensor input = node.inputs[k];
                        if (input == null || !input.requiresGrad() || inputGrads[k] == null) continue;
                        Tensor gk = inputGrads[k];
                        if (!Arrays.equals(gk.shape(), input.shape()))
                            throw new IllegalStateException(node.op + " backward gave a gradient of shape "
                                    + Arrays.toString(gk.shape()) + " for an input of shape " + Arrays.toString(input.shape()));
                        Tensor previous = grads.get(input);
                        Tensor sum = previous == null ? gk.alias() : previous.add(gk);
                        grads.put(input, step.keep(sum));
                        if (previous != null) previous.close();
                    }
                }
                grad.close();
                if (t.graphOwned) t.close();
            }
        }
    }

    /** Tensors reachable from root through nodes, each after all of its inputs (iterative DFS). */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object[]> stack = new ArrayDeque<>(); // {tensor, next input index}
        stack.push(new Object[] {root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Tensor t = (Tensor) top[0];
            int next = (Integer) top[1];
            Node node = t.node();
            if (node != null && next < node.inputs.length) {
                top[1] = next + 1;
                Tensor in = node.inputs[next];
                if (in != null && in.requiresGrad() && visited.add(in)) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
