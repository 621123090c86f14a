package jclip.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Deterministic memory release. Every tensor created while a scope is open on this thread belongs
 * to the innermost one; closing the scope closes all of them except those passed to
 * {@link #keep}, which move to the enclosing scope (or belong to no scope, and so to the caller,
 * when there is none). Tensors made outside any scope, such as parameters, live until closed.
 *
 * <pre>{@code
 * for (int step = 0; step < steps; step++) {
 *     try (MemoryScope scope = MemoryScope.open()) {
 *         Tensor loss = model.loss(x, y);   // activations, graph and temporaries: this scope
 *         loss.backward();                  // leaf gradients belong to their parameters
 *         optimizer.step();
 *     }                                     // everything the step made is released here
 * }
 * }</pre>
 */
public final class MemoryScope implements AutoCloseable {
    private static final ThreadLocal<Deque<MemoryScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Tensor> owned = new ArrayList<>();
    private final Deque<MemoryScope> stack;
    private boolean closed;

    private MemoryScope(Deque<MemoryScope> stack) {
        this.stack = stack;
    }

    public static MemoryScope open() {
        Deque<MemoryScope> stack = STACK.get();
        MemoryScope scope = new MemoryScope(stack);
        stack.push(scope);
        return scope;
    }

    /** The innermost open scope of this thread, or null. */
    static MemoryScope current() {
        return STACK.get().peek();
    }

    void adopt(Tensor t) {
        owned.add(t);
        t.scope = this;
    }

    /** Moves t out of this scope into the enclosing one (or to the caller); returns t. */
    public Tensor keep(Tensor t) {
        if (t.scope == this) {
            MemoryScope parent = parent();
            if (parent != null) parent.adopt(t);
            else t.scope = null;
        }
        return t;
    }

    public void keep(Iterable<Tensor> tensors) {
        for (Tensor t : tensors) keep(t);
    }

    /**
     * Takes t out of whatever scope holds it: the caller now owns it and closes it. Parameters,
     * optimizer state and gradients are made this way.
     */
    public static Tensor untracked(Tensor t) {
        t.scope = null;
        return t;
    }

    /**
     * Closes this scope keeping {@code result} (as {@link #keep} does) and hands every other tensor
     * it owns to the autograd graph: they move to the enclosing scope, marked so that backward closes
     * each as soon as its node has run, when no later node can read it. For a module's internals,
     * which nothing outside the module holds: a deep model's backward then frees the activations as
     * it goes instead of holding all of them, with all the gradients, until the step's scope closes.
     * Such a graph supports one backward (a second one finds its internals closed, and says so).
     */
    public Tensor closeIntoGraph(Tensor result) {
        if (closed) throw new IllegalStateException("memory scope already closed");
        if (stack.peek() != this) throw new IllegalStateException("memory scopes must be closed innermost first");
        keep(result);
        for (Tensor t : owned) {
            if (t.scope != this) continue;
            t.graphOwned = true;
            keep(t);
        }
        close();
        return result;
    }

    private MemoryScope parent() {
        boolean seen = false;
        for (MemoryScope s : stack) {
            if (seen) return s;
            if (s == this) seen = true;
        }
        return null;
    }

    @Override
    public void close() {
        if (closed) return;
        if (stack.peek() != this) throw new IllegalStateException("memory scopes must be closed innermost first");
        closed = true;
        stack.pop();
        for (Tensor t : owned) if (t.scope == this) t.close();
        owned.clear();
    }
}
