package jclip.kernels.cuda;

import jclip.kernels.BatchNormShape;
import jclip.kernels.Conv2dShape;
import jclip.kernels.DType;
import jcuda.Pointer;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnHandle;
import jcuda.jcudnn.cudnnTensorDescriptor;

/**
 * cuDNN through JCudnn for NCHW float32 convolution and batch normalisation. The handle stays on the
 * legacy default stream, which is the device's stream (setting another stream would need JCuda's
 * runtime-API stream type). Descriptors are made per call: they are host-side structs, cheap next to
 * the work they describe.
 */
final class Cudnn {
    // cuDNN enum values (cudnn_graph.h / cudnn_cnn.h), the same in cuDNN 8 and 9.
    private static final int NCHW = 0, FLOAT = 0, CROSS_CORRELATION = 1, SPATIAL = 1;
    /** CUDNN_BN_MIN_EPSILON: the backward reads eps only without saved statistics, but checks it. */
    private static final double MIN_EPSILON = 1e-5;
    private static final int FWD_IMPLICIT_PRECOMP_GEMM = 1, BWD_DATA_ALGO_1 = 1, BWD_FILTER_ALGO_1 = 1;

    private final CudaDevice device;
    private final cudnnHandle handle = new cudnnHandle();
    private final float[] one = {1f}, zero = {0f};
    private final Pointer onePointer = Pointer.to(one), zeroPointer = Pointer.to(zero);

    Cudnn(CudaDevice device) {
        this.device = device;
        device.makeCurrent();
        CudaException.checkCudnn(JCudnn.cudnnCreate(handle), "cudnnCreate");
    }

    /** y = conv(x, w) (+ bias per output channel). */
    synchronized void convolutionForward(CudaBuffer x, CudaBuffer w, CudaBuffer bias, CudaBuffer y, Conv2dShape s) {
        try (Convolution c = new Convolution(s); Workspace ws = new Workspace("cudnnGetConvolutionForwardWorkspaceSize",
                size -> JCudnn.cudnnGetConvolutionForwardWorkspaceSize(handle, c.x, c.w, c.conv, c.y, FWD_IMPLICIT_PRECOMP_GEMM, size))) {
            CudaException.checkCudnn(JCudnn.cudnnConvolutionForward(handle, onePointer, c.x, x.at(0), c.w, w.at(0), c.conv,
                    FWD_IMPLICIT_PRECOMP_GEMM, ws.buffer.at(0), ws.bytes, zeroPointer, c.y, y.at(0)),
                    "cudnnConvolutionForward(" + s + ")");
            if (bias != null) {
                CudaException.checkCudnn(JCudnn.cudnnAddTensor(handle, onePointer, c.bias, bias.at(0), onePointer, c.y, y.at(0)),
                        "cudnnAddTensor(convolution bias)");
            }
        }
    }

    /** gx = the gradient of conv(x, w) with respect to x (written). */
    synchronized void convolutionBackwardData(CudaBuffer gy, CudaBuffer w, CudaBuffer gx, Conv2dShape s) {
        try (Convolution c = new Convolution(s); Workspace ws = new Workspace("cudnnGetConvolutionBackwardDataWorkspaceSize",
                size -> JCudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(handle, c.w, c.y, c.conv, c.x, BWD_DATA_ALGO_1, size))) {
            CudaException.checkCudnn(JCudnn.cudnnConvolutionBackwardData(handle, onePointer, c.w, w.at(0), c.y, gy.at(0), c.conv,
                    BWD_DATA_ALGO_1, ws.buffer.at(0), ws.bytes, zeroPointer, c.x, gx.at(0)),
                    "cudnnConvolutionBackwardData(" + s + ")");
        }
    }

    /** gw (and gBias when given) += the gradients with respect to the weight and bias. */
    synchronized void convolutionBackwardFilter(CudaBuffer x, CudaBuffer gy, CudaBuffer gw, CudaBuffer gBias, Conv2dShape s) {
        try (Convolution c = new Convolution(s); Workspace ws = new Workspace("cudnnGetConvolutionBackwardFilterWorkspaceSize",
                size -> JCudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, c.x, c.y, c.conv, c.w, BWD_FILTER_ALGO_1, size))) {
            CudaException.checkCudnn(JCudnn.cudnnConvolutionBackwardFilter(handle, onePointer, c.x, x.at(0), c.y, gy.at(0), c.conv,
                    BWD_FILTER_ALGO_1, ws.buffer.at(0), ws.bytes, onePointer, c.w, gw.at(0)),
                    "cudnnConvolutionBackwardFilter(" + s + ")");
            if (gBias != null) {
                CudaException.checkCudnn(JCudnn.cudnnConvolutionBackwardBias(handle, onePointer, c.y, gy.at(0), onePointer, c.bias, gBias.at(0)),
                        "cudnnConvolutionBackwardBias(" + s + ")");
            }
        }
    }

    /** Training-mode batch norm of x [n, c, hw], as {@link jclip.kernels.Kernels#batchNormTraining}. */
    synchronized void batchNormTraining(BatchNormShape s, CudaBuffer x, CudaBuffer gamma, CudaBuffer beta,
            CudaBuffer runningMean, CudaBuffer runningVar, CudaBuffer y, CudaBuffer saveMean, CudaBuffer saveInvStd) {
        try (Descriptor data = tensor(s.n(), s.c(), s.hw(), 1); Descriptor channel = tensor(1, s.c(), 1, 1)) {
            CudaException.checkCudnn(JCudnn.cudnnBatchNormalizationForwardTraining(handle, SPATIAL, onePointer, zeroPointer,
                    data.tensor, x.at(0), data.tensor, y.at(0), channel.tensor, gamma.at(0), beta.at(0), s.momentum(),
                    runningMean == null ? null : runningMean.at(0), runningVar == null ? null : runningVar.at(0), s.eps(),
                    saveMean.at(0), saveInvStd.at(0)), "cudnnBatchNormalizationForwardTraining(" + sizes(s) + ")");
        }
    }

    synchronized void batchNormInference(BatchNormShape s, CudaBuffer x, CudaBuffer gamma, CudaBuffer beta,
            CudaBuffer runningMean, CudaBuffer runningVar, CudaBuffer y) {
        try (Descriptor data = tensor(s.n(), s.c(), s.hw(), 1); Descriptor channel = tensor(1, s.c(), 1, 1)) {
            CudaException.checkCudnn(JCudnn.cudnnBatchNormalizationForwardInference(handle, SPATIAL, onePointer, zeroPointer,
                    data.tensor, x.at(0), data.tensor, y.at(0), channel.tensor, gamma.at(0), beta.at(0),
                    runningMean.at(0), runningVar.at(0), s.eps()), "cudnnBatchNormalizationForwardInference(" + sizes(s) + ")");
        }
    }

    /**
     * gx written, gGamma and gBeta accumulated, from the statistics the training forward saved (or,
     * for frozen statistics, the running mean and 1/sqrt(running var + eps)).
     */
    synchronized void batchNormTrainingBackward(BatchNormShape s, CudaBuffer x, CudaBuffer gy, CudaBuffer saveMean,
            CudaBuffer saveInvStd, CudaBuffer gamma, CudaBuffer gx, CudaBuffer gGamma, CudaBuffer gBeta) {
        try (Descriptor data = tensor(s.n(), s.c(), s.hw(), 1); Descriptor channel = tensor(1, s.c(), 1, 1)) {
            CudaException.checkCudnn(JCudnn.cudnnBatchNormalizationBackward(handle, SPATIAL, onePointer, zeroPointer, onePointer, onePointer,
                    data.tensor, x.at(0), data.tensor, gy.at(0), data.tensor, gx.at(0), channel.tensor, gamma.at(0),
                    gGamma.at(0), gBeta.at(0), MIN_EPSILON, saveMean.at(0), saveInvStd.at(0)),
                    "cudnnBatchNormalizationBackward(" + sizes(s) + ")");
        }
    }

    private static String sizes(BatchNormShape s) {
        return s.n() + "x" + s.c() + "x" + s.hw();
    }

    /** The scratch memory one convolution call asks for (its size query's answer), from the caching allocator. */
    private final class Workspace implements AutoCloseable {
        final long bytes;
        final CudaBuffer buffer;

        Workspace(String query, java.util.function.ToIntFunction<long[]> askSize) {
            long[] size = new long[1];
            CudaException.checkCudnn(askSize.applyAsInt(size), query);
            bytes = size[0];
            buffer = new CudaBuffer(device, DType.U8, (int) Math.max(bytes, 1));
        }

        @Override
        public void close() {
            buffer.close();
        }
    }

    private static Descriptor tensor(int n, int c, int h, int w) {
        Descriptor d = new Descriptor();
        CudaException.checkCudnn(JCudnn.cudnnSetTensor4dDescriptor(d.tensor, NCHW, FLOAT, n, c, h, w),
                "cudnnSetTensor4dDescriptor(" + n + "x" + c + "x" + h + "x" + w + ")");
        return d;
    }

    private static final class Descriptor implements AutoCloseable {
        final cudnnTensorDescriptor tensor = new cudnnTensorDescriptor();

        Descriptor() {
            CudaException.checkCudnn(JCudnn.cudnnCreateTensorDescriptor(tensor), "cudnnCreateTensorDescriptor");
        }

        @Override
        public void close() {
            JCudnn.cudnnDestroyTensorDescriptor(tensor);
        }
    }

    /** The descriptors of one convolution shape. */
    private static final class Convolution implements AutoCloseable {
        final cudnnTensorDescriptor x = new cudnnTensorDescriptor(), y = new cudnnTensorDescriptor(), bias = new cudnnTensorDescriptor();
        final cudnnFilterDescriptor w = new cudnnFilterDescriptor();
        final cudnnConvolutionDescriptor conv = new cudnnConvolutionDescriptor();

        Convolution(Conv2dShape s) {
            CudaException.checkCudnn(JCudnn.cudnnCreateTensorDescriptor(x), "cudnnCreateTensorDescriptor");
            CudaException.checkCudnn(JCudnn.cudnnCreateTensorDescriptor(y), "cudnnCreateTensorDescriptor");
            CudaException.checkCudnn(JCudnn.cudnnCreateTensorDescriptor(bias), "cudnnCreateTensorDescriptor");
            CudaException.checkCudnn(JCudnn.cudnnCreateFilterDescriptor(w), "cudnnCreateFilterDescriptor");
            CudaException.checkCudnn(JCudnn.cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor");
            CudaException.checkCudnn(JCudnn.cudnnSetTensor4dDescriptor(x, NCHW, FLOAT, s.n(), s.cIn(), s.h(), s.w()), "cudnnSetTensor4dDescriptor(x)");
            CudaException.checkCudnn(JCudnn.cudnnSetTensor4dDescriptor(y, NCHW, FLOAT, s.n(), s.cOut(), s.hOut(), s.wOut()), "cudnnSetTensor4dDescriptor(y)");
            CudaException.checkCudnn(JCudnn.cudnnSetTensor4dDescriptor(bias, NCHW, FLOAT, 1, s.cOut(), 1, 1), "cudnnSetTensor4dDescriptor(bias)");
            CudaException.checkCudnn(JCudnn.cudnnSetFilter4dDescriptor(w, FLOAT, NCHW, s.cOut(), s.cIn(), s.kH(), s.kW()), "cudnnSetFilter4dDescriptor");
            CudaException.checkCudnn(JCudnn.cudnnSetConvolution2dDescriptor(conv, s.padH(), s.padW(), s.strideH(), s.strideW(), 1, 1,
                    CROSS_CORRELATION, FLOAT), "cudnnSetConvolution2dDescriptor");
        }

        @Override
        public void close() {
            JCudnn.cudnnDestroyTensorDescriptor(x);
            JCudnn.cudnnDestroyTensorDescriptor(y);
            JCudnn.cudnnDestroyTensorDescriptor(bias);
            JCudnn.cudnnDestroyFilterDescriptor(w);
            JCudnn.cudnnDestroyConvolutionDescriptor(conv);
        }
    }
}
