package jclip.nn;

import java.util.Map;
import java.util.Set;
import jclip.kernels.DType;
import jclip.tensor.Tensor;

/**
 * Where {@link Module#loadStateDict(StateSource, boolean)} takes its values from: names, shapes and
 * dtypes up front (so that every problem is found before anything is copied), then each value copied
 * into its parameter on request. A file-backed source reads one tensor per copy and releases it
 * before the next, so loading needs no second copy of the weights.
 */
public interface StateSource {
    Set<String> keys();

    int[] shape(String key);

    DType dtype(String key);

    /** Copies the value of {@code key} into {@code target} (same shape; floating dtypes converted). */
    void copyInto(String key, Tensor target);

    /** A source over tensors in memory (the caller keeps owning them). */
    static StateSource of(Map<String, Tensor> state) {
        return new StateSource() {
            @Override
            public Set<String> keys() {
                return state.keySet();
            }

            @Override
            public int[] shape(String key) {
                return state.get(key).shape();
            }

            @Override
            public DType dtype(String key) {
                return state.get(key).dtype();
            }

            @Override
            public void copyInto(String key, Tensor target) {
                target.copyFrom(state.get(key));
            }
        };
    }
}
