package jclip.tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jclip.kernels.DType;

/**
 * Tensors laid out back to back in one storage (one per device and dtype), each a contiguous view
 * of it. Why: on the CPU, G1 gives a Java array of half a heap region or more (1 MiB at -Xmx4g, 2 MiB
 * at 5-8g) whole regions of its own, so a ViT-B/32 weight of 2.4 MB takes 4 MiB: the model's 300-odd
 * matrices waste 136-222 MiB per copy, and training holds four copies (weights, gradients, AdamW's
 * two moments). One array per copy wastes at most one region. On a GPU it is one allocation
 * instead of hundreds. The storage lives until the last of its views is closed.
 */
public final class Flat {
    private Flat() {}

    /** One storage's elements at most: what a Java array holds. */
    static final int MAX_ELEMENTS = Integer.MAX_VALUE - 16;

    /** Zeroed tensors of the shapes, dtypes and devices of {@code like}, in order; the caller owns them. */
    public static List<Tensor> zerosLike(List<Tensor> like) {
        Tensor[] out = new Tensor[like.size()];
        layOut(like, true, (i, flat, at, strides) ->
                out[i] = MemoryScope.untracked(flat.view(at, like.get(i).shape(), strides)));
        return List.of(out);
    }

    /**
     * Moves the data of these leaf tensors into one new storage per device and dtype; each stays the
     * same object with the same values, now a view of that storage (as {@link Tensor#moveTo} moves a
     * leaf to another device in place). A tensor whose storage other tensors share (tied weights, a
     * view of it held somewhere) is left where it is, since moving it would untie them.
     */
    public static void pack(List<Tensor> tensors) {
        List<Tensor> movable = new ArrayList<>();
        for (Tensor t : tensors) {
            if (t.node() != null) throw new IllegalArgumentException("only leaf tensors are packed, not " + t);
            if (!t.storage.isShared() && !movable.contains(t)) movable.add(t);
        }
        layOut(movable, false, (i, flat, at, strides) -> {
            Tensor t = movable.get(i);
            t.kernels().copy(t.shape(), t.buffer(), t.offset, t.strides, flat.buffer(), at, strides);
            Storage old = t.storage;
            flat.storage.retain();
            t.storage = flat.storage;
            t.offset = at;
            t.strides = strides;
            old.release();
        });
    }

    /** Where tensor i of a layout goes: at offset {@code at} of {@code flat}, contiguous. */
    private interface Placement {
        void place(int i, Tensor flat, int at, int[] strides);
    }

    /** One new storage per group (zeroed or not), each tensor's place in it handed to placement in order. */
    private static void layOut(List<Tensor> tensors, boolean zeroed, Placement placement) {
        for (List<Integer> group : groups(tensors)) {
            Tensor first = tensors.get(group.get(0));
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor flat = Tensor.empty(first.device(), first.dtype(), total(tensors, group));
                if (zeroed) flat.kernels().fill(flat.buffer(), 0, flat.numel(), 0);
                int at = 0;
                for (int i : group) {
                    int[] shape = tensors.get(i).shape();
                    placement.place(i, flat, at, Shape.contiguousStrides(shape));
                    at += Shape.numel(shape);
                }
            }
        }
    }

    /** Indices of tensors that share a device and dtype, in order, cut where a storage would overflow. */
    private static List<List<Integer>> groups(List<Tensor> tensors) {
        record Key(Device device, DType dtype) {}
        Map<Key, List<List<Integer>>> byKey = new LinkedHashMap<>();
        Map<Key, Long> filled = new LinkedHashMap<>();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            Key key = new Key(t.device(), t.dtype());
            List<List<Integer>> groups = byKey.computeIfAbsent(key, k -> new ArrayList<>());
            long size = filled.getOrDefault(key, 0L);
            if (groups.isEmpty() || size + t.numel() > MAX_ELEMENTS) {
                groups.add(new ArrayList<>());
                size = 0;
            }
            groups.get(groups.size() - 1).add(i);
            filled.put(key, size + t.numel());
        }
        List<List<Integer>> out = new ArrayList<>();
        byKey.values().forEach(out::addAll);
        return out;
    }

    private static int total(List<Tensor> tensors, List<Integer> group) {
        long n = 0;
        for (int i : group) n += tensors.get(i).numel();
        return Math.toIntExact(n);
    }
}
