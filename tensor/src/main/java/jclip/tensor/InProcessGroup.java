package jclip.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;

/**
 * {@code size} ranks as threads of one JVM: rank r's thread uses {@link #rank(int)}. A collective
 * waits until every rank has called it; each rank's input is copied to the host once and the
 * gathered result built on the caller's device, so ranks may live on different devices.
 */
public final class InProcessGroup {
    private final int size;
    private final CyclicBarrier arrived, collected;
    private final Object[] inputs;

    public InProcessGroup(int size) {
        if (size < 1) throw new IllegalArgumentException("a process group needs at least one rank, got " + size);
        this.size = size;
        this.arrived = new CyclicBarrier(size);
        this.collected = new CyclicBarrier(size);
        this.inputs = new Object[size];
    }

    public int size() {
        return size;
    }

    /** The view of the group that rank r's thread uses. */
    public ProcessGroup rank(int r) {
        if (r < 0 || r >= size) throw new IllegalArgumentException("rank " + r + " outside a group of " + size);
        return new ProcessGroup() {
            @Override
            public int rank() {
                return r;
            }

            @Override
            public int size() {
                return size;
            }

            @Override
            public Tensor allGather(Tensor local) {
                return gather(r, local);
            }
        };
    }

    private Tensor gather(int r, Tensor local) {
        Tensor host = local.detach().to(Device.cpu()).contiguous();
        inputs[r] = host;
        await(arrived);
        List<Tensor> parts = new ArrayList<>(size);
        for (Object t : inputs) parts.add((Tensor) t);
        Tensor all;
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            all = Tensor.cat(parts, 0).to(local.device());
        }
        await(collected);  // nobody overwrites inputs before every rank has read them
        return all;
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the other ranks", e);
        } catch (BrokenBarrierException e) {
            throw new IllegalStateException("another rank failed during a collective", e);
        }
    }
}
