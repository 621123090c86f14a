package jclip.kernels.cuda.launch;

import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.cuda.CudaBuffer;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/**
 * Launches src/main/cuda/indexing.cu: indexSelect, gather and their scatter-add backwards, with I32
 * or I64 indices. An index outside [0, dim) is an error, as on the CPU backend, but one found on the
 * device: checking it here would need a copy back per call, so the kernel records it in the
 * device's {@link jclip.kernels.cuda.DeviceErrors} (selecting NaN for it and adding nothing) and the
 * next read or synchronize throws an IndexOutOfBoundsException naming the op and the index.
 */
public final class Indexing {
    private static final String MODULE = "indexing";

    private final CudaDevice device;
    private final Checked indexSelect32, indexSelect64;
    private final Checked indexAdd32, indexAdd64;
    private final Checked gather32, gather64;
    private final Checked scatterAdd32, scatterAdd64;

    /** A kernel and the site id it records bad indices under. */
    private record Checked(CudaKernel kernel, int site) {}

    public Indexing(CudaDevice device) {
        this.device = device;
        indexSelect32 = checked(device, "indexSelect", "jclip_index_select_i32");
        indexSelect64 = checked(device, "indexSelect", "jclip_index_select_i64");
        indexAdd32 = checked(device, "indexAdd", "jclip_index_add_i32");
        indexAdd64 = checked(device, "indexAdd", "jclip_index_add_i64");
        gather32 = checked(device, "gather", "jclip_gather_i32");
        gather64 = checked(device, "gather", "jclip_gather_i64");
        scatterAdd32 = checked(device, "scatterAdd", "jclip_scatter_add_i32");
        scatterAdd64 = checked(device, "scatterAdd", "jclip_scatter_add_i64");
    }

    private static Checked checked(CudaDevice device, String op, String name) {
        CudaKernel kernel = device.kernel(MODULE, name);
        return new Checked(kernel, device.errors().site(op, kernel));
    }

    /** out[o, i, j] = src[o, index[i], j]. */
    public void indexSelect(Buffer src, int srcOffset, Buffer index, int indexOffset, Buffer out,
            int outer, int srcDim, int count, int inner) {
        int n = sizes("indexSelect", outer, srcDim, count, inner);
        Args.f32("indexSelect", "src", src, srcOffset, Args.count("indexSelect", "src", outer, srcDim, inner));
        Args.index("indexSelect", "index", index, indexOffset, count);
        Args.f32("indexSelect", "out", out, 0, n);
        if (n == 0) return;
        launch(index.dtype() == DType.I32 ? indexSelect32 : indexSelect64, src, srcOffset, index, indexOffset, out, srcDim, count, inner, n);
    }

    /** dst[o, index[i], j] += g[o, i, j]. */
    public void indexAdd(Buffer g, Buffer index, int indexOffset, Buffer dst, int outer, int dstDim, int count, int inner) {
        int n = sizes("indexAdd", outer, dstDim, count, inner);
        Args.f32("indexAdd", "g", g, 0, n);
        Args.index("indexAdd", "index", index, indexOffset, count);
        Args.f32("indexAdd", "dst", dst, 0, Args.count("indexAdd", "dst", outer, dstDim, inner));
        if (n == 0) return;
        launch(index.dtype() == DType.I32 ? indexAdd32 : indexAdd64, g, 0, index, indexOffset, dst, dstDim, count, inner, n);
    }

    /** out[o, i, j] = src[o, index[o, i, j], j]. */
    public void gather(Buffer src, int srcOffset, Buffer index, int indexOffset, Buffer out,
            int outer, int srcDim, int count, int inner) {
        int n = sizes("gather", outer, srcDim, count, inner);
        Args.f32("gather", "src", src, srcOffset, Args.count("gather", "src", outer, srcDim, inner));
        Args.index("gather", "index", index, indexOffset, n);
        Args.f32("gather", "out", out, 0, n);
        if (n == 0) return;
        launch(index.dtype() == DType.I32 ? gather32 : gather64, src, srcOffset, index, indexOffset, out, srcDim, count, inner, n);
    }

    /** dst[o, index[o, i, j], j] += g[o, i, j]. */
    public void scatterAdd(Buffer g, Buffer index, int indexOffset, Buffer dst, int outer, int dstDim, int count, int inner) {
        int n = sizes("scatterAdd", outer, dstDim, count, inner);
        Args.f32("scatterAdd", "g", g, 0, n);
        Args.index("scatterAdd", "index", index, indexOffset, n);
        Args.f32("scatterAdd", "dst", dst, 0, Args.count("scatterAdd", "dst", outer, dstDim, inner));
        if (n == 0) return;
        launch(index.dtype() == DType.I32 ? scatterAdd32 : scatterAdd64, g, 0, index, indexOffset, dst, dstDim, count, inner, n);
    }

    /**
     * All eight kernels take (from, index, to, dim, count, inner, n, error record, site),
     * n = outer·count·inner.
     */
    private void launch(Checked checked, Buffer from, int fromOffset, Buffer index, int indexOffset, Buffer to,
            int dim, int count, int inner, int n) {
        checked.kernel.pointer(from, fromOffset).pointer(index, indexOffset).pointer(to, 0).i32(dim).i32(count).i32(inner).i32(n)
                .pointer(device.errors().record(), 0).i32(checked.site).launch(Layout.blocks(n), Layout.THREADS, 0);
    }

    /** outer·count·inner, the element count of the [outer, count, inner] side. */
    private static int sizes(String op, int outer, int dim, int count, int inner) {
        Args.nonNegative(op, "outer", outer);
        Args.nonNegative(op, "dim", dim);
        Args.nonNegative(op, "count", count);
        Args.nonNegative(op, "inner", inner);
        return Args.count(op, "the indexed side", outer, count, inner);
    }
}
