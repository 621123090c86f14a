package jclip.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jclip.kernels.DType;
import jclip.tensor.Autograd;
import jclip.tensor.Device;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;

/**
 * A tree of named parameters, buffers and child modules, as in PyTorch: dotted names
 * ({@code transformer.resblocks.0.attn.in_proj_weight}) follow registration order, which is the
 * order of {@link #stateDict()}. Parameters and buffers belong to the module (no memory scope
 * holds them); {@link #close()} releases them all.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a trainable tensor; it requires grad and belongs to this module. */
    protected final Tensor parameter(String name, Tensor value) {
        checkName(name);
        Tensor p = MemoryScope.untracked(value).requiresGrad(true);
        parameters.put(name, p);
        return p;
    }

    /** Registers state that is saved and loaded but not trained (running statistics). */
    protected final Tensor buffer(String name, Tensor value) {
        checkName(name);
        buffers.put(name, MemoryScope.untracked(value));
        return value;
    }

    protected final <M extends Module> M child(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".") || parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name))
            throw new IllegalArgumentException("bad or repeated member name '" + name + "' in " + getClass().getSimpleName());
    }

    /** Every parameter, by dotted name, in registration order. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, false);
        return out;
    }

    /** Parameters and buffers, PyTorch's order: each module's own parameters, its buffers, then its children. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, true);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean params, boolean bufs) {
        if (params) parameters.forEach((k, v) -> out.put(prefix + k, v));
        if (bufs) buffers.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collect(prefix + k + ".", out, params, bufs));
    }

    public List<Module> children() {
        return new ArrayList<>(children.values());
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor p : namedParameters().values()) n += p.numel();
        return n;
    }

    /** What a non-strict load left out. */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {}

    /**
     * Copies values into this module's parameters and buffers (converting F16/BF16 to F32).
     * Every problem is reported in one exception: missing keys and unexpected keys (when strict)
     * and shape mismatches (always).
     */
    public LoadResult loadStateDict(Map<String, Tensor> state, boolean strict) {
        return loadStateDict(StateSource.of(state), strict);
    }

    /** {@link #loadStateDict(Map, boolean)} from a source that may read each value only when it is copied. */
    public LoadResult loadStateDict(StateSource state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), mismatched = new ArrayList<>();
        for (var e : own.entrySet()) {
            String key = e.getKey();
            if (!state.keys().contains(key)) missing.add(key);
            else if (!java.util.Arrays.equals(state.shape(key), e.getValue().shape()))
                mismatched.add(key + ": checkpoint " + java.util.Arrays.toString(state.shape(key))
                        + ", model " + java.util.Arrays.toString(e.getValue().shape()));
            else if (state.dtype(key).isFloatingPoint() != e.getValue().dtype().isFloatingPoint() && e.getValue().dtype() != DType.I64)
                mismatched.add(key + ": checkpoint dtype " + state.dtype(key) + ", model " + e.getValue().dtype());
        }
        for (String k : state.keys()) if (!own.containsKey(k)) unexpected.add(k);
        if (!mismatched.isEmpty() || strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            StringBuilder sb = new StringBuilder("cannot load state dict into " + getClass().getSimpleName() + ":");
            if (!mismatched.isEmpty()) sb.append("\n  shape mismatch (").append(mismatched.size()).append("): ").append(String.join("; ", mismatched));
            if (strict && !missing.isEmpty()) sb.append("\n  missing keys (").append(missing.size()).append("): ").append(String.join(", ", missing));
            if (strict && !unexpected.isEmpty()) sb.append("\n  unexpected keys (").append(unexpected.size()).append("): ").append(String.join(", ", unexpected));
            throw new IllegalArgumentException(sb.toString());
        }
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            for (var e : own.entrySet()) {
                if (state.keys().contains(e.getKey())) state.copyInto(e.getKey(), e.getValue());
            }
        }
        return new LoadResult(missing, unexpected);
    }

    /**
     * Moves every parameter and buffer to {@code device} in place (see {@link Tensor#moveTo}), so
     * the fields that hold them stay valid; gradients held so far are dropped.
     */
    public Module to(Device device) {
        for (Tensor t : stateDict().values()) t.moveTo(device);
        return this;
    }

    /** The device of the first parameter or buffer (the CPU for a module with none). */
    public Device device() {
        for (Tensor t : stateDict().values()) return t.device();
        return Device.cpu();
    }

    /** Training mode (the default): batch statistics in BatchNorm, dropout active. */
    public Module train() {
        setTraining(true);
        return this;
    }

    /** Evaluation mode: running statistics in BatchNorm, no dropout. */
    public Module eval() {
        setTraining(false);
        return this;
    }

    private void setTraining(boolean value) {
        training = value;
        for (Module m : children.values()) m.setTraining(value);
    }

    public boolean isTraining() {
        return training;
    }

    /** Clears the gradient of every parameter. */
    public void zeroGrad() {
        for (Tensor p : namedParameters().values()) p.zeroGrad();
    }

    /** Releases every parameter and buffer (and their gradients). */
    @Override
    public void close() {
        for (Tensor t : stateDict().values()) t.close();
    }
}
