package jclip.kernels.cuda;

import jclip.kernels.BatchNormShape;
import jclip.kernels.BinaryOp;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.UnaryOp;
import jclip.kernels.cuda.launch.Copy;
import jclip.kernels.cuda.launch.Elementwise;

/**
 * Batch norm as {@link jclip.kernels.Kernels} defines it, on cuDNN's: what cuDNN does not take is
 * made up around it with our kernels. Absent gamma and beta stand in as ones and zeros, gradients
 * that are not wanted go to scratch buffers, and the eval-mode backward, which cuDNN has not, is
 * composed from its training backward and element-wise kernels.
 */
final class CudnnBatchNorm {
    private final CudaDevice device;
    private final Copy copy;
    private final Elementwise elementwise;

    CudnnBatchNorm(CudaDevice device, Copy copy, Elementwise elementwise) {
        this.device = device;
        this.copy = copy;
        this.elementwise = elementwise;
    }

    void training(BatchNormShape s, Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar,
            Buffer y, Buffer saveMean, Buffer saveInvStd) {
        try (Affine affine = affine(gamma, beta, s.c())) {
            device.cudnn().batchNormTraining(s, buffer(x, "batchNorm x"), affine.gamma, affine.beta,
                    runningMean == null ? null : buffer(runningMean, "batchNorm runningMean"),
                    runningVar == null ? null : buffer(runningVar, "batchNorm runningVar"), buffer(y, "batchNorm y"),
                    buffer(saveMean, "batchNorm saveMean"), buffer(saveInvStd, "batchNorm saveInvStd"));
        }
    }

    void eval(BatchNormShape s, Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, Buffer y) {
        try (Affine affine = affine(gamma, beta, s.c())) {
            device.cudnn().batchNormInference(s, buffer(x, "batchNorm x"), affine.gamma, affine.beta,
                    buffer(runningMean, "batchNorm runningMean"), buffer(runningVar, "batchNorm runningVar"), buffer(y, "batchNorm y"));
        }
    }

    void trainingBackward(BatchNormShape s, Buffer x, Buffer gy, Buffer saveMean, Buffer saveInvStd, Buffer gamma,
            Buffer gx, Buffer gGamma, Buffer gBeta) {
        int c = s.c();
        // cuDNN writes all three gradients; jclip's contract accumulates gGamma and gBeta and lets any be
        // absent, so scratch buffers take what is not wanted.
        try (Affine affine = affine(gamma, null, c);
                Scratch dx = scratch(gx, DType.F32, x.length());
                Scratch dGamma = scratch(gGamma, DType.F32, c);
                Scratch dBeta = scratch(gBeta, DType.F32, c)) {
            if (gGamma == null) copy.fill(dGamma.buffer, 0, c, 0);
            if (gBeta == null) copy.fill(dBeta.buffer, 0, c, 0);
            device.cudnn().batchNormTrainingBackward(s, buffer(x, "batchNorm x"), buffer(gy, "batchNorm gy"),
                    buffer(saveMean, "batchNorm saveMean"), buffer(saveInvStd, "batchNorm saveInvStd"), affine.gamma,
                    dx.buffer, dGamma.buffer, dBeta.buffer);
        }
    }

    void evalBackward(BatchNormShape s, Buffer x, Buffer gy, Buffer gamma, Buffer runningMean, Buffer runningVar,
            Buffer gx, Buffer gGamma, Buffer gBeta) {
        int n = s.n(), c = s.c(), hw = s.hw();
        // The running statistics are constants here, so this is the training backward's parameter
        // gradients with the running statistics as the saved ones, and dx = gy·gamma·invStd per channel.
        try (CudaBuffer invStd = allocate(c); Affine affine = affine(gamma, null, c)) {
            elementwise.unary(UnaryOp.ADD_SCALAR, s.eps(), runningVar, 0, invStd, 0, c);
            elementwise.unary(UnaryOp.RSQRT, 0f, invStd, 0, invStd, 0, c);
            if (gGamma != null || gBeta != null) {
                try (Scratch dx = scratch(null, DType.F32, x.length());
                        Scratch dGamma = scratch(gGamma, DType.F32, c);
                        Scratch dBeta = scratch(gBeta, DType.F32, c)) {
                    if (gGamma == null) copy.fill(dGamma.buffer, 0, c, 0);
                    if (gBeta == null) copy.fill(dBeta.buffer, 0, c, 0);
                    device.cudnn().batchNormTrainingBackward(s, buffer(x, "batchNorm x"), buffer(gy, "batchNorm gy"),
                            buffer(runningMean, "batchNorm runningMean"), invStd, affine.gamma, dx.buffer, dGamma.buffer, dBeta.buffer);
                }
            }
            if (gx != null) {
                try (CudaBuffer scale = allocate(c)) {
                    elementwise.binary(BinaryOp.MUL, new int[] {c}, affine.gamma, 0, new int[] {1}, invStd, 0, new int[] {1}, scale, 0);
                    elementwise.binary(BinaryOp.MUL, new int[] {n, c, hw}, gy, 0, new int[] {c * hw, hw, 1}, scale, 0,
                            new int[] {0, 1, 0}, gx, 0);
                }
            }
        }
    }

    private CudaBuffer buffer(Buffer b, String user) {
        return device.cudaBuffer(b, user);
    }

    private CudaBuffer allocate(int length) {
        device.makeCurrent();
        return new CudaBuffer(device, DType.F32, length);
    }

    /** gamma and beta as cuDNN needs them: present; absent ones stand in as ones and zeros. */
    private Affine affine(Buffer gamma, Buffer beta, int c) {
        CudaBuffer g = gamma != null ? buffer(gamma, "batchNorm gamma") : filled(c, 1f);
        CudaBuffer b = beta != null ? buffer(beta, "batchNorm beta") : filled(c, 0f);
        return new Affine(g, gamma == null, b, beta == null);
    }

    private CudaBuffer filled(int n, float value) {
        CudaBuffer b = allocate(n);
        copy.fill(b, 0, n, value);
        return b;
    }

    private record Affine(CudaBuffer gamma, boolean ownsGamma, CudaBuffer beta, boolean ownsBeta) implements AutoCloseable {
        @Override
        public void close() {
            if (ownsGamma) gamma.close();
            if (ownsBeta) beta.close();
        }
    }

    /** The caller's buffer, or a temporary one released on close. */
    private Scratch scratch(Buffer given, DType dtype, int length) {
        if (given != null) return new Scratch(buffer(given, "batchNorm gradient"), false);
        device.makeCurrent();
        return new Scratch(new CudaBuffer(device, dtype, length), true);
    }

    private record Scratch(CudaBuffer buffer, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) buffer.close();
        }
    }
}
