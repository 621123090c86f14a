package jclip.tensor;

import jclip.kernels.DType;

/**
 * CLIP's symmetric contrastive loss, memory-linear: with logits L = exp(t)·I·Tᵀ over a batch of N
 * pairs, loss = (Σ_i (lse_row(i) − L_ii) + Σ_j (lse_col(j) − L_jj)) / (2N), the mean of the
 * cross-entropies over rows (image to text) and over columns (text to image). The kernels compute
 * the log-sum-exps tile by tile and recompute the logits in the backward, so nothing of N×N size
 * exists.
 *
 * <p>Distributed, each rank holds n local pairs at global rows [offset, offset + n): its image rows
 * meet the gathered texts and its text rows the gathered images, partial column log-sum-exps over
 * the local rows are gathered and combined, and each rank's gradients for its own features are
 * exactly the global loss's. The returned loss is the global one on every rank; the gradient for t
 * is this rank's share, so that summed over ranks (as data-parallel training sums or averages
 * parameter gradients) it is exact.
 */
final class ClipLossOps {
    private ClipLossOps() {}

    static Tensor clipLoss(Tensor image, Tensor text, Tensor logitScale, ProcessGroup group) {
        String op = "clipLoss";
        PointwiseOps.requireSameDevice(op, image, text, logitScale);
        for (Tensor t : new Tensor[] {image, text, logitScale}) PointwiseOps.requireF32(t, op);
        if (image.ndim() != 2 || !java.util.Arrays.equals(image.shapeRef(), text.shapeRef()))
            throw new IllegalArgumentException(op + " needs image and text features of one shape [N, d]; got "
                    + Shape.str(image.shapeRef()) + " and " + Shape.str(text.shapeRef()));
        if (logitScale.numel() != 1)
            throw new IllegalArgumentException(op + ": logitScale must hold one value, got " + Shape.str(logitScale.shapeRef()));
        int n = image.size(0), d = image.size(1);
        if (n == 0) throw new IllegalArgumentException(op + " of an empty batch");

        Tensor ic = ViewOps.dense(image), tc = ViewOps.dense(text);
        float scale = (float) Math.exp(logitScale.item());
        Device device = image.device();
        var k = image.kernels();
        Tensor allImages, allTexts;
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            allImages = ViewOps.dense(group.allGather(ic.detach()));
            allTexts = ViewOps.dense(group.allGather(tc.detach()));
        }
        int total = allTexts.size(0);
        int offset = offsetOf(group, n, total);

        // Image rows against every text: their row lse, and the column partials over these rows.
        Tensor lseImage = Tensor.empty(device, DType.F32, n), partialText = Tensor.empty(device, DType.F32, total);
        k.contrastiveLogSumExp(ic.buffer(), ic.offset, allTexts.buffer(), allTexts.offset, n, total, d, scale,
                lseImage.buffer(), partialText.buffer());
        Tensor lseText, lseImageAll;  // the global column lse (texts' rows), and every image row's lse
        Tensor lossPart;
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            lseText = group.size() == 1 ? partialText
                    : group.allGather(partialText.reshape(1, total)).logsumexp(0, false).contiguous();
            lseImageAll = group.size() == 1 ? lseImage : ViewOps.dense(group.allGather(lseImage));
            Tensor diagonal = ic.mul(allTexts.narrow(0, offset, n)).sum(1, false).mul(scale);
            Tensor localText = lseText.narrow(0, offset, n);
            lossPart = lseImage.add(localText).sub(diagonal.mul(2f)).sum().div(2f * total);
        }
        Tensor loss = group.size() == 1 ? lossPart : group.allGather(lossPart.reshape(1)).sum();
        Tensor lseTextLocal = ViewOps.dense(lseText.narrow(0, offset, n));
        return Autograd.record(loss.contiguous(), "clipLoss", g -> {
            float coefficient = g.item() / (2f * total);
            Tensor gImage = Tensor.empty(device, DType.F32, n, d), gText = Tensor.empty(device, DType.F32, n, d);
            Tensor gScale = Tensor.empty(device, DType.F32, 1), unused = Tensor.empty(device, DType.F32, 1);
            if (group.size() == 1) {
                k.contrastiveBackward(ic.buffer(), ic.offset, tc.buffer(), tc.offset, n, n, d, scale, lseImage.buffer(),
                        lseText.buffer(), 0, coefficient, gImage.buffer(), gText.buffer(), gScale.buffer());
            } else {
                // Rows of G for the local images, then for the local texts against every image.
                k.contrastiveBackward(ic.buffer(), ic.offset, allTexts.buffer(), allTexts.offset, n, total, d, scale,
                        lseImage.buffer(), lseText.buffer(), offset, coefficient, gImage.buffer(), null, gScale.buffer());
                k.contrastiveBackward(tc.buffer(), tc.offset, allImages.buffer(), allImages.offset, n, total, d, scale,
                        lseTextLocal.buffer(), lseImageAll.buffer(), offset, coefficient, gText.buffer(), null, unused.buffer());
            }
            return new Tensor[] {gImage, gText, gScale.reshape(logitScale.shapeRef())};
        }, ic, tc, logitScale);
    }

    /** This rank's first global row: ranks hold equal slices, in rank order. */
    private static int offsetOf(ProcessGroup group, int n, int total) {
        if (total != n * group.size())
            throw new IllegalArgumentException("clipLoss: rank " + group.rank() + " holds " + n + " pairs, but the group of "
                    + group.size() + " gathered " + total + "; every rank must hold the same number");
        return group.rank() * n;
    }
}
