package jclip.tensor;

/** Losses, composed from primitive ops so that their gradients follow. */
final class LossOps {
    private LossOps() {}

    /** mean over rows of -log softmax(logits)[label]; logits [N, C], labels [N] I32/I64. */
    static Tensor crossEntropy(Tensor logits, Tensor labels) {
        if (logits.ndim() != 2) throw new IllegalArgumentException("crossEntropy needs logits [N, C], got " + Shape.str(logits.shapeRef()));
        if (labels.ndim() != 1 || labels.size(0) != logits.size(0))
            throw new IllegalArgumentException("crossEntropy: labels " + Shape.str(labels.shapeRef()) + " do not match logits " + Shape.str(logits.shapeRef()));
        return logits.logSoftmax(1).gather(1, labels.unsqueeze(1)).mean().neg();
    }
}
