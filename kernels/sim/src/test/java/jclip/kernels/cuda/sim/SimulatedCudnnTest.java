package jclip.kernels.cuda.sim;

import static jcuda.jcudnn.cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL;
import static jcuda.jcudnn.cudnnConvolutionMode.CUDNN_CONVOLUTION;
import static jcuda.jcudnn.cudnnConvolutionMode.CUDNN_CROSS_CORRELATION;
import static jcuda.jcudnn.cudnnDataType.CUDNN_DATA_DOUBLE;
import static jcuda.jcudnn.cudnnDataType.CUDNN_DATA_FLOAT;
import static jcuda.jcudnn.cudnnTensorFormat.CUDNN_TENSOR_NCHW;
import static jcuda.jcudnn.cudnnTensorFormat.CUDNN_TENSOR_NHWC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import jclip.kernels.BatchNormShape;
import jclip.kernels.Buffer;
import jclip.kernels.Conv2dShape;
import jclip.kernels.DType;
import jclip.kernels.cpu.CpuKernels;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnHandle;
import jcuda.jcudnn.cudnnTensorDescriptor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The simulated GPU's cuDNN stand-in, called through JCudnn's unchanged Java API (11.7.0) and JNI
 * library (12.6.0, cuDNN 9) on device memory from the simulated driver, against the CPU reference
 * convolution and batch norm. Every output is pre-filled with random values and blended with
 * alpha and beta. cuDNN 9 numbers its errors 2000 (BAD_PARAM) and 3000 (NOT_SUPPORTED), which
 * JCudnn 11.7.0's cudnnStatus does not know: its exceptions say "INVALID cudnnStatus: 2000".
 */
@Tag("sim")
class SimulatedCudnnTest extends SimulatedGpuTest {
    private static final CpuKernels CPU = CpuKernels.INSTANCE;
    private static cudnnHandle handle;
    private final List<Runnable> descriptors = new ArrayList<>();

    @BeforeAll
    static void start() {
        loadSimulator();
        makePrimaryContextCurrent();
        JCudnn.setExceptionsEnabled(true);
        handle = new cudnnHandle();
        JCudnn.cudnnCreate(handle);
    }

    @AfterAll
    static void stop() {
        JCudnn.cudnnDestroy(handle);
    }

    @AfterEach
    void destroyDescriptors() {
        descriptors.forEach(Runnable::run);
        descriptors.clear();
    }

    // ---- convolution ---------------------------------------------------------------------------

    /** Odd sizes, several channels: 3x3 stride 2 padding 1, 1x1, and a non-square 2x3 kernel. */
    private static final Conv2dShape[] SHAPES = {
        new Conv2dShape(2, 3, 11, 9, 5, 3, 3, 2, 2, 1, 1),
        new Conv2dShape(3, 6, 7, 5, 4, 1, 1, 1, 1, 0, 0),
        new Conv2dShape(1, 4, 10, 13, 7, 2, 3, 1, 2, 1, 0),
    };

    @Test
    void forwardMatchesTheReference() {
        for (Conv2dShape s : SHAPES) {
            float[] x = randoms(s.n() * s.cIn() * s.h() * s.w()), w = randoms(s.cOut() * s.cIn() * s.kH() * s.kW());
            float[] y0 = randoms(s.n() * s.cOut() * s.hOut() * s.wOut());
            CUdeviceptr y = upload(y0);
            JCudnn.cudnnConvolutionForward(handle, scalar(0.5f), tensor(s.n(), s.cIn(), s.h(), s.w()), upload(x),
                    filter(s, CUDNN_TENSOR_NCHW), upload(w), convolution(s, CUDNN_CROSS_CORRELATION), 1, null, 0, scalar(-2f),
                    tensor(s.n(), s.cOut(), s.hOut(), s.wOut()), y);
            assertClose(blend(0.5f, conv2d(s, x, w), -2f, y0), downloadFloats(y, y0.length), 1e-5, s.toString());
        }
    }

    @Test
    void convolutionModeMirrorsTheFilter() {
        Conv2dShape s = SHAPES[2];
        float[] x = randoms(s.n() * s.cIn() * s.h() * s.w()), w = randoms(s.cOut() * s.cIn() * s.kH() * s.kW());
        CUdeviceptr y = upload(new float[s.n() * s.cOut() * s.hOut() * s.wOut()]);
        JCudnn.cudnnConvolutionForward(handle, scalar(1f), tensor(s.n(), s.cIn(), s.h(), s.w()), upload(x),
                filter(s, CUDNN_TENSOR_NCHW), upload(w), convolution(s, CUDNN_CONVOLUTION), 0, null, 0, scalar(0f),
                tensor(s.n(), s.cOut(), s.hOut(), s.wOut()), y);
        assertClose(conv2d(s, x, mirrored(s, w)), downloadFloats(y, s.n() * s.cOut() * s.hOut() * s.wOut()), 1e-5, "");
    }

    @Test
    void forwardReadsAndWritesNhwcTensorsAndFilters() {
        Conv2dShape s = SHAPES[0];
        float[] x = randoms(s.n() * s.cIn() * s.h() * s.w()), w = randoms(s.cOut() * s.cIn() * s.kH() * s.kW());
        int yLength = s.n() * s.cOut() * s.hOut() * s.wOut();
        CUdeviceptr y = upload(new float[yLength]);
        cudnnTensorDescriptor xDesc = tensor(s.n(), s.cIn(), s.h(), s.w()), yDesc = tensor(s.n(), s.cOut(), s.hOut(), s.wOut());
        JCudnn.cudnnSetTensor4dDescriptor(xDesc, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, s.n(), s.cIn(), s.h(), s.w());
        JCudnn.cudnnSetTensor4dDescriptor(yDesc, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, s.n(), s.cOut(), s.hOut(), s.wOut());
        JCudnn.cudnnConvolutionForward(handle, scalar(1f), xDesc, upload(toNhwc(x, s.n(), s.cIn(), s.h() * s.w())),
                filter(s, CUDNN_TENSOR_NHWC), upload(toNhwc(w, s.cOut(), s.cIn(), s.kH() * s.kW())),
                convolution(s, CUDNN_CROSS_CORRELATION), 0, null, 0, scalar(0f), yDesc, y);
        assertClose(toNhwc(conv2d(s, x, w), s.n(), s.cOut(), s.hOut() * s.wOut()), downloadFloats(y, yLength), 1e-5, "");
    }

    @Test
    void backwardDataMatchesTheReference() {
        for (Conv2dShape s : SHAPES) {
            float[] dy = randoms(s.n() * s.cOut() * s.hOut() * s.wOut()), w = randoms(s.cOut() * s.cIn() * s.kH() * s.kW());
            float[] dx0 = randoms(s.n() * s.cIn() * s.h() * s.w());
            CUdeviceptr dx = upload(dx0);
            JCudnn.cudnnConvolutionBackwardData(handle, scalar(1.5f), filter(s, CUDNN_TENSOR_NCHW), upload(w),
                    tensor(s.n(), s.cOut(), s.hOut(), s.wOut()), upload(dy), convolution(s, CUDNN_CROSS_CORRELATION), 1,
                    null, 0, scalar(0.25f), tensor(s.n(), s.cIn(), s.h(), s.w()), dx);
            float[] want = new float[dx0.length];
            try (Buffer bdy = buffer(dy); Buffer bw = buffer(w); Buffer bdx = buffer(want)) {
                CPU.conv2dBackwardInput(bdy, bw, bdx, s);
                CPU.read(bdx, 0, want, 0, want.length);
            }
            assertClose(blend(1.5f, want, 0.25f, dx0), downloadFloats(dx, dx0.length), 1e-5, s.toString());
        }
    }

    @Test
    void backwardFilterAndBiasMatchTheReference() {
        for (Conv2dShape s : SHAPES) {
            float[] x = randoms(s.n() * s.cIn() * s.h() * s.w()), dy = randoms(s.n() * s.cOut() * s.hOut() * s.wOut());
            float[] dw0 = randoms(s.cOut() * s.cIn() * s.kH() * s.kW()), db0 = randoms(s.cOut());
            CUdeviceptr dw = upload(dw0), db = upload(db0), ddy = upload(dy);
            cudnnTensorDescriptor dyDesc = tensor(s.n(), s.cOut(), s.hOut(), s.wOut());
            JCudnn.cudnnConvolutionBackwardFilter(handle, scalar(-1f), tensor(s.n(), s.cIn(), s.h(), s.w()), upload(x),
                    dyDesc, ddy, convolution(s, CUDNN_CROSS_CORRELATION), 0, null, 0, scalar(3f), filter(s, CUDNN_TENSOR_NCHW), dw);
            JCudnn.cudnnConvolutionBackwardBias(handle, scalar(2f), dyDesc, ddy, scalar(-0.5f), tensor(1, s.cOut(), 1, 1), db);
            float[] gw = new float[dw0.length], gb = new float[db0.length];
            try (Buffer bx = buffer(x); Buffer bdy = buffer(dy); Buffer bgw = buffer(gw); Buffer bgb = buffer(gb)) {
                CPU.conv2dBackwardWeight(bx, bdy, bgw, bgb, s);
                CPU.read(bgw, 0, gw, 0, gw.length);
                CPU.read(bgb, 0, gb, 0, gb.length);
            }
            assertClose(blend(-1f, gw, 3f, dw0), downloadFloats(dw, dw0.length), 1e-4, s + " filter");
            assertClose(blend(2f, gb, -0.5f, db0), downloadFloats(db, db0.length), 1e-4, s + " bias");
        }
    }

    @Test
    void algorithmAndWorkspaceQueriesDescribeTheConvolution() {
        Conv2dShape s = SHAPES[0];
        cudnnTensorDescriptor xDesc = tensor(s.n(), s.cIn(), s.h(), s.w()), yDesc = tensor(s.n(), s.cOut(), s.hOut(), s.wOut());
        cudnnFilterDescriptor wDesc = filter(s, CUDNN_TENSOR_NCHW);
        cudnnConvolutionDescriptor conv = convolution(s, CUDNN_CROSS_CORRELATION);
        int[] n = new int[1], c = new int[1], h = new int[1], w = new int[1];
        JCudnn.cudnnGetConvolution2dForwardOutputDim(conv, xDesc, wDesc, n, c, h, w);
        assertArrayEquals(new int[] {s.n(), s.cOut(), s.hOut(), s.wOut()}, new int[] {n[0], c[0], h[0], w[0]});
        int[] returned = new int[1];
        cudnnConvolutionFwdAlgoPerf[] perf = new cudnnConvolutionFwdAlgoPerf[3];
        for (int i = 0; i < perf.length; i++) perf[i] = new cudnnConvolutionFwdAlgoPerf();
        JCudnn.cudnnGetConvolutionForwardAlgorithm_v7(handle, xDesc, wDesc, conv, yDesc, perf.length, returned, perf);
        assertEquals(3, returned[0]);
        assertEquals(0, perf[0].status);
        long[] bytes = {-1};
        JCudnn.cudnnGetConvolutionForwardWorkspaceSize(handle, xDesc, wDesc, conv, yDesc, perf[2].algo, bytes);
        assertEquals(0, bytes[0]);
        assertEquals(91400, JCudnn.cudnnGetVersion());
    }

    @Test
    void anOutputOfTheWrongSizeIsABadParameter() {
        Conv2dShape s = SHAPES[0];
        CudaException e = assertThrows(CudaException.class, () -> JCudnn.cudnnConvolutionForward(handle, scalar(1f),
                tensor(s.n(), s.cIn(), s.h(), s.w()), upload(new float[s.n() * s.cIn() * s.h() * s.w()]),
                filter(s, CUDNN_TENSOR_NCHW), upload(new float[s.cOut() * s.cIn() * s.kH() * s.kW()]),
                convolution(s, CUDNN_CROSS_CORRELATION), 0, null, 0, scalar(0f),
                tensor(s.n(), s.cOut(), s.hOut() + 1, s.wOut()), upload(new float[s.n() * s.cOut() * (s.hOut() + 1) * s.wOut()])));
        assertTrue(e.getMessage().contains("2000"), e.getMessage());
    }

    @Test
    void anUnimplementedDataTypeIsNotSupported() {
        cudnnTensorDescriptor desc = tensor(1, 2, 3, 4);
        JCudnn.cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_DOUBLE, 1, 2, 3, 4);
        CudaException e = assertThrows(CudaException.class, () -> JCudnn.cudnnAddTensor(handle, scalar(1f), desc,
                upload(new float[48]), scalar(1f), desc, upload(new float[48])));
        assertTrue(e.getMessage().contains("3000"), e.getMessage());
    }

    @Test
    void anUnimplementedCallIsNotSupportedInsteadOfACrash() {
        cudnnTensorDescriptor desc = tensor(2, 3, 1, 1);
        CudaException e = assertThrows(CudaException.class, () -> JCudnn.cudnnSoftmaxForward(handle, 0, 1, scalar(1f),
                desc, upload(new float[6]), scalar(0f), desc, upload(new float[6])));
        assertTrue(e.getMessage().contains("3000"), e.getMessage());
    }

    // ---- operands that run past their allocations -----------------------------------------------
    // An operand reaches its descriptor's largest offset plus one element (a filter its packed size);
    // the tests above allocate exactly that, and one element less must be refused before computing.

    @Test
    void aConvolutionOperandOneElementShortIsRefused() {
        Conv2dShape s = SHAPES[0];
        int xLength = s.n() * s.cIn() * s.h() * s.w(), wLength = s.cOut() * s.cIn() * s.kH() * s.kW();
        int yLength = s.n() * s.cOut() * s.hOut() * s.wOut();
        cudnnTensorDescriptor xDesc = tensor(s.n(), s.cIn(), s.h(), s.w()), yDesc = tensor(s.n(), s.cOut(), s.hOut(), s.wOut());
        cudnnFilterDescriptor wDesc = filter(s, CUDNN_TENSOR_NCHW);
        cudnnConvolutionDescriptor conv = convolution(s, CUDNN_CROSS_CORRELATION);
        int[][] lengths = {{xLength - 1, wLength, yLength}, {xLength, wLength - 1, yLength}, {xLength, wLength, yLength - 1}};
        String[] named = {"x ([2, 3, 11, 9], strides [297, 99, 9, 1]) spans 2376 bytes",
            "w (filter [5, 3, 3, 3], NCHW) spans 540 bytes", "y ([2, 5, 6, 5], strides [150, 30, 5, 1]) spans 1200 bytes"};
        for (int i = 0; i < lengths.length; i++) {
            CUdeviceptr x = upload(new float[lengths[i][0]]), w = upload(new float[lengths[i][1]]), y = upload(new float[lengths[i][2]]);
            String why = refusal(() -> JCudnn.cudnnConvolutionForward(handle, scalar(1f), xDesc, x, wDesc, w, conv, 0, null, 0,
                    scalar(0f), yDesc, y));
            assertTrue(why.contains("cudnnConvolutionForward: " + named[i] + " from "), why);
            assertTrue(why.endsWith("ends 4 bytes earlier"), why);
        }
    }

    @Test
    void aWorkspaceLargerThanItsAllocationIsRefused() {
        Conv2dShape s = SHAPES[1];
        CUdeviceptr workspace = alloc(1000);
        String why = refusal(() -> JCudnn.cudnnConvolutionBackwardData(handle, scalar(1f), filter(s, CUDNN_TENSOR_NCHW),
                upload(new float[s.cOut() * s.cIn() * s.kH() * s.kW()]), tensor(s.n(), s.cOut(), s.hOut(), s.wOut()),
                upload(new float[s.n() * s.cOut() * s.hOut() * s.wOut()]), convolution(s, CUDNN_CROSS_CORRELATION), 0,
                workspace, 1024, scalar(0f), tensor(s.n(), s.cIn(), s.h(), s.w()), upload(new float[s.n() * s.cIn() * s.h() * s.w()])));
        assertTrue(why.contains("cudnnConvolutionBackwardData: workSpace spans 1024 bytes from "), why);
        assertTrue(why.endsWith("ends 24 bytes earlier"), why);
    }

    @Test
    void aStridedTensorNeedsOnlyItsLargestOffsetPlusOne() {
        int n = 3, c = 2, h = 2, w = 3, nStride = 20, fits = (n - 1) * nStride + c * h * w;
        cudnnTensorDescriptor desc = tensor(1, 1, 1, 1);
        JCudnn.cudnnSetTensor4dDescriptorEx(desc, CUDNN_DATA_FLOAT, n, c, h, w, nStride, h * w, w, 1);
        CUdeviceptr y = upload(new float[fits]);
        JCudnn.cudnnSetTensor(handle, desc, y, scalar(2f));
        float[] got = downloadFloats(y, fits);
        assertEquals(2f, got[fits - 1]);
        assertEquals(0f, got[nStride - 1], "the gap between images is left alone");
        CUdeviceptr shortY = upload(new float[fits - 1]);
        String why = refusal(() -> JCudnn.cudnnSetTensor(handle, desc, shortY, scalar(2f)));
        assertTrue(why.contains("cudnnSetTensor: y ([3, 2, 2, 3], strides [20, 6, 3, 1]) spans 208 bytes"), why);
    }

    @Test
    void aBatchNormScaleOneElementShortIsRefused() {
        float[] x = randoms(N * C * HW);
        String why = refusal(() -> JCudnn.cudnnBatchNormalizationForwardTraining(handle, CUDNN_BATCHNORM_SPATIAL, scalar(1f),
                scalar(0f), tensor(N, C, H, W), upload(x), tensor(N, C, H, W), upload(new float[x.length]), bnTensor(),
                upload(new float[C - 1]), upload(new float[C]), MOMENTUM, upload(new float[C]), upload(new float[C]), EPS,
                upload(new float[C]), upload(new float[C])));
        assertTrue(why.contains("cudnnBatchNormalizationForwardTraining: bnScale ([1, 4, 1, 1], strides [4, 1, 1, 1]) spans 16 bytes"), why);
        assertTrue(why.endsWith("ends 4 bytes earlier"), why);
    }

    // ---- batch norm ----------------------------------------------------------------------------

    private static final int N = 3, C = 4, H = 5, W = 7, HW = H * W;
    private static final float EPS = 1e-5f, MOMENTUM = 0.1f;
    private static final BatchNormShape BN = new BatchNormShape(N, C, HW, EPS, MOMENTUM);

    @Test
    void batchNormTrainingMatchesTheReference() {
        float[] x = randoms(N * C * HW), gamma = randoms(C), beta = randoms(C), runMean = randoms(C), runVar = positive(C);
        CUdeviceptr y = upload(new float[x.length]), dMean = upload(runMean), dVar = upload(runVar);
        CUdeviceptr save = upload(new float[C]), saveInv = upload(new float[C]);
        JCudnn.cudnnBatchNormalizationForwardTraining(handle, CUDNN_BATCHNORM_SPATIAL, scalar(1f), scalar(0f),
                tensor(N, C, H, W), upload(x), tensor(N, C, H, W), y, bnTensor(), upload(gamma), upload(beta), MOMENTUM,
                dMean, dVar, EPS, save, saveInv);
        float[] wantY = new float[x.length], wantMean = runMean.clone(), wantVar = runVar.clone();
        float[] wantSave = new float[C], wantInv = new float[C];
        try (Buffer bx = buffer(x); Buffer bg = buffer(gamma); Buffer bb = buffer(beta); Buffer bm = buffer(wantMean);
                Buffer bv = buffer(wantVar); Buffer by = buffer(wantY); Buffer bs = buffer(wantSave); Buffer bi = buffer(wantInv)) {
            CPU.batchNormTraining(BN, bx, bg, bb, bm, bv, by, bs, bi);
            CPU.read(by, 0, wantY, 0, wantY.length);
            CPU.read(bm, 0, wantMean, 0, C);
            CPU.read(bv, 0, wantVar, 0, C);
            CPU.read(bs, 0, wantSave, 0, C);
            CPU.read(bi, 0, wantInv, 0, C);
        }
        assertClose(wantY, downloadFloats(y, x.length), 1e-5, "y");
        assertClose(wantMean, downloadFloats(dMean, C), 1e-6, "running mean");
        assertClose(wantVar, downloadFloats(dVar, C), 1e-6, "running variance (unbiased)");
        assertClose(wantSave, downloadFloats(save, C), 1e-6, "saved mean");
        assertClose(wantInv, downloadFloats(saveInv, C), 1e-5, "saved inverse standard deviation");
    }

    @Test
    void batchNormInferenceBlendsIntoY() {
        float[] x = randoms(N * C * HW), gamma = randoms(C), beta = randoms(C), mean = randoms(C), var = positive(C);
        float[] y0 = randoms(x.length);
        CUdeviceptr y = upload(y0);
        JCudnn.cudnnBatchNormalizationForwardInference(handle, CUDNN_BATCHNORM_SPATIAL, scalar(0.5f), scalar(2f),
                tensor(N, C, H, W), upload(x), tensor(N, C, H, W), y, bnTensor(), upload(gamma), upload(beta),
                upload(mean), upload(var), EPS);
        float[] want = new float[x.length];
        try (Buffer bx = buffer(x); Buffer bg = buffer(gamma); Buffer bb = buffer(beta); Buffer bm = buffer(mean);
                Buffer bv = buffer(var); Buffer by = buffer(want)) {
            CPU.batchNormEval(BN, bx, bg, bb, bm, bv, by);
            CPU.read(by, 0, want, 0, want.length);
        }
        assertClose(blend(0.5f, want, 2f, y0), downloadFloats(y, x.length), 1e-5, "");
    }

    @Test
    void batchNormBackwardMatchesTheReference() {
        float[] x = randoms(N * C * HW), dy = randoms(x.length), gamma = randoms(C);
        float[] save = new float[C], inv = new float[C];
        try (Buffer bx = buffer(x); Buffer bg = buffer(gamma); Buffer bb = buffer(randoms(C)); Buffer bm = buffer(new float[C]);
                Buffer bv = buffer(positive(C)); Buffer by = buffer(new float[x.length]); Buffer bs = buffer(save); Buffer bi = buffer(inv)) {
            CPU.batchNormTraining(BN, bx, bg, bb, bm, bv, by, bs, bi);
            CPU.read(bs, 0, save, 0, C);
            CPU.read(bi, 0, inv, 0, C);
        }
        float[] dx0 = randoms(x.length), dGamma0 = randoms(C), dBeta0 = randoms(C);
        CUdeviceptr dx = upload(dx0), dGamma = upload(dGamma0), dBeta = upload(dBeta0);
        JCudnn.cudnnBatchNormalizationBackward(handle, CUDNN_BATCHNORM_SPATIAL, scalar(0.5f), scalar(-1f), scalar(1f),
                scalar(1f), tensor(N, C, H, W), upload(x), tensor(N, C, H, W), upload(dy), tensor(N, C, H, W), dx,
                bnTensor(), upload(gamma), dGamma, dBeta, EPS, upload(save), upload(inv));
        float[] wantDx = new float[x.length], wantGamma = dGamma0.clone(), wantBeta = dBeta0.clone();
        try (Buffer bx = buffer(x); Buffer bdy = buffer(dy); Buffer bs = buffer(save); Buffer bi = buffer(inv);
                Buffer bg = buffer(gamma); Buffer bdx = buffer(wantDx); Buffer bgg = buffer(wantGamma); Buffer bgb = buffer(wantBeta)) {
            CPU.batchNormTrainingBackward(BN, bx, bdy, bs, bi, bg, bdx, bgg, bgb);
            CPU.read(bdx, 0, wantDx, 0, wantDx.length);
            CPU.read(bgg, 0, wantGamma, 0, C);
            CPU.read(bgb, 0, wantBeta, 0, C);
        }
        assertClose(blend(0.5f, wantDx, -1f, dx0), downloadFloats(dx, x.length), 1e-5, "dx");
        assertClose(wantGamma, downloadFloats(dGamma, C), 1e-5, "dGamma accumulated (betaParamDiff = 1)");
        assertClose(wantBeta, downloadFloats(dBeta, C), 1e-5, "dBeta accumulated (betaParamDiff = 1)");
    }

    @Test
    void derivedBatchNormTensorIsOneValuePerChannel() {
        cudnnTensorDescriptor derived = tensor(1, 1, 1, 1);
        JCudnn.cudnnDeriveBNTensorDescriptor(derived, tensor(N, C, H, W), CUDNN_BATCHNORM_SPATIAL);
        int[] type = new int[1], n = new int[1], c = new int[1], h = new int[1], w = new int[1];
        int[] sn = new int[1], sc = new int[1], sh = new int[1], sw = new int[1];
        JCudnn.cudnnGetTensor4dDescriptor(derived, type, n, c, h, w, sn, sc, sh, sw);
        assertArrayEquals(new int[] {CUDNN_DATA_FLOAT, 1, C, 1, 1}, new int[] {type[0], n[0], c[0], h[0], w[0]});
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static float[] conv2d(Conv2dShape s, float[] x, float[] w) {
        float[] y = new float[s.n() * s.cOut() * s.hOut() * s.wOut()];
        try (Buffer bx = buffer(x); Buffer bw = buffer(w); Buffer by = buffer(y)) {
            CPU.conv2d(bx, bw, null, by, s);
            CPU.read(by, 0, y, 0, y.length);
        }
        return y;
    }

    /** The filter mirrored in both spatial axes: CUDNN_CONVOLUTION is a cross-correlation with it. */
    private static float[] mirrored(Conv2dShape s, float[] w) {
        float[] out = new float[w.length];
        int kk = s.kH() * s.kW();
        for (int f = 0; f < s.cOut() * s.cIn(); f++)
            for (int r = 0; r < s.kH(); r++)
                for (int c = 0; c < s.kW(); c++) out[f * kk + r * s.kW() + c] = w[f * kk + (s.kH() - 1 - r) * s.kW() + (s.kW() - 1 - c)];
        return out;
    }

    /** [n, c, hw] to [n, hw, c]. */
    private static float[] toNhwc(float[] a, int n, int c, int hw) {
        float[] out = new float[a.length];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < hw; p++) out[(i * hw + p) * c + ch] = a[(i * c + ch) * hw + p];
        return out;
    }

    private static float[] blend(float alpha, float[] result, float beta, float[] before) {
        float[] out = new float[result.length];
        for (int i = 0; i < out.length; i++) out[i] = alpha * result[i] + beta * before[i];
        return out;
    }

    private cudnnTensorDescriptor tensor(int n, int c, int h, int w) {
        cudnnTensorDescriptor d = new cudnnTensorDescriptor();
        JCudnn.cudnnCreateTensorDescriptor(d);
        descriptors.add(() -> JCudnn.cudnnDestroyTensorDescriptor(d));
        JCudnn.cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w);
        return d;
    }

    private cudnnTensorDescriptor bnTensor() {
        return tensor(1, C, 1, 1);
    }

    private cudnnFilterDescriptor filter(Conv2dShape s, int format) {
        cudnnFilterDescriptor d = new cudnnFilterDescriptor();
        JCudnn.cudnnCreateFilterDescriptor(d);
        descriptors.add(() -> JCudnn.cudnnDestroyFilterDescriptor(d));
        JCudnn.cudnnSetFilter4dDescriptor(d, CUDNN_DATA_FLOAT, format, s.cOut(), s.cIn(), s.kH(), s.kW());
        return d;
    }

    private cudnnConvolutionDescriptor convolution(Conv2dShape s, int mode) {
        cudnnConvolutionDescriptor d = new cudnnConvolutionDescriptor();
        JCudnn.cudnnCreateConvolutionDescriptor(d);
        descriptors.add(() -> JCudnn.cudnnDestroyConvolutionDescriptor(d));
        JCudnn.cudnnSetConvolution2dDescriptor(d, s.padH(), s.padW(), s.strideH(), s.strideW(), 1, 1, mode, CUDNN_DATA_FLOAT);
        return d;
    }

    /**
     * Runs a call that must fail with CUDNN_STATUS_BAD_PARAM (2000) and returns the stand-in's reason, the
     * text jclip's CudaException shows (cudnnGetErrorString, answered for this thread's last refusal).
     */
    private static String refusal(Executable call) {
        CudaException e = assertThrows(CudaException.class, call);
        assertTrue(e.getMessage().contains("2000"), e.getMessage());
        return JCudnn.cudnnGetErrorString(2000);
    }

    private static Pointer scalar(float value) {
        return Pointer.to(new float[] {value});
    }

    private static Buffer buffer(float[] values) {
        Buffer b = CPU.allocate(DType.F32, values.length);
        CPU.write(b, 0, values, 0, values.length);
        return b;
    }

    private float[] positive(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = 0.5f + random.nextFloat();
        return a;
    }
}
