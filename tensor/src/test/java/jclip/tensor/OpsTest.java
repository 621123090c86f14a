package jclip.tensor;

import static jclip.tensor.OpCheck.Inputs.AWAY_FROM_ZERO;
import static jclip.tensor.OpCheck.Inputs.POSITIVE;
import static jclip.tensor.OpCheck.group;
import static jclip.tensor.OpCheck.op;

import java.util.List;
import java.util.stream.Stream;
import jclip.tensor.OpCheck.D;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * Every differentiable op, forward against a double-precision reference and backward against
 * finite differences of that reference (see OpCheck), on every device: the CPU always, and the
 * CUDA device (the simulated GPU under JCLIP_CUDA=sim, as in {@code mvn verify}; the real one
 * under JCLIP_CUDA=gpu) in the tests tagged gpu. Awkward sizes on purpose: not multiples of a
 * warp or a tile. Adding an op is one {@code op(...)} line in its group below.
 */
class OpsTest {
    private static final double SQRT2 = Math.sqrt(2);

    /** Every case, by group. */
    static Stream<DynamicNode> cases(Device device) {
        return Stream.of(group("elementwise", device, elementwise()), group("reductions", device, reductions()),
                group("linear algebra", device, linearAlgebra()), group("shapes", device, shapes()),
                group("indexing", device, indexing()), group("normalisation", device, normalisation()),
                group("convolution", device, convolution()));
    }

    @TestFactory
    Stream<DynamicNode> onTheCpu() {
        return cases(Device.cpu());
    }

    @Tag("gpu")
    @TestFactory
    Stream<DynamicNode> onCuda() {
        return cases(Device.cuda(0));
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    static OpCheck[] elementwise() {
        return new OpCheck[] {
                op("add", x -> x[0].add(x[1]), r -> Ref.zip(r[0], r[1], Double::sum), new int[] {3, 5}, new int[] {3, 5}),
                op("add broadcast", x -> x[0].add(x[1]), r -> Ref.zip(r[0], r[1], Double::sum), new int[] {2, 3, 5}, new int[] {3, 1}),
                op("sub broadcast", x -> x[0].sub(x[1]), r -> Ref.zip(r[0], r[1], (a, b) -> a - b), new int[] {4, 1}, new int[] {7}),
                op("mul broadcast", x -> x[0].mul(x[1]), r -> Ref.zip(r[0], r[1], (a, b) -> a * b), new int[] {2, 1, 5}, new int[] {3, 1}),
                op("add broadcast wide", x -> x[0].add(x[1]), r -> Ref.zip(r[0], r[1], Double::sum), new int[] {3, 1, 37}, new int[] {5, 37}),
                op("mul broadcast row", x -> x[0].mul(x[1]), r -> Ref.zip(r[0], r[1], (a, b) -> a * b), new int[] {7, 33}, new int[] {33}),
                op("div", x -> x[0].div(x[1]), r -> Ref.zip(r[0], r[1], (a, b) -> a / b), new int[] {3, 4}, new int[] {4})
                        .inputs(AWAY_FROM_ZERO),
                op("pow tensor", x -> x[0].pow(x[1]), r -> Ref.zip(r[0], r[1], Math::pow), new int[] {3, 4}, new int[] {3, 4})
                        .inputs(POSITIVE),
                op("maximum", x -> x[0].maximum(x[1]), r -> Ref.zip(r[0], r[1], Math::max), new int[] {3, 4}, new int[] {4}),
                op("add scalar", x -> x[0].add(2.5f), r -> Ref.map(r[0], v -> v + 2.5), new int[] {6}),
                op("sub scalar", x -> x[0].sub(1.5f), r -> Ref.map(r[0], v -> v - 1.5), new int[] {6}),
                op("mul scalar", x -> x[0].mul(-3f), r -> Ref.map(r[0], v -> v * -3), new int[] {2, 3}),
                op("div scalar", x -> x[0].div(7f), r -> Ref.map(r[0], v -> v / 7), new int[] {2, 3}),
                op("rdiv scalar", x -> x[0].rdiv(2f), r -> Ref.map(r[0], v -> 2 / v), new int[] {2, 3}).inputs(AWAY_FROM_ZERO),
                op("pow scalar", x -> x[0].pow(3f), r -> Ref.map(r[0], v -> v * v * v), new int[] {5}),
                op("pow fractional", x -> x[0].pow(0.7f), r -> Ref.map(r[0], v -> Math.pow(v, 0.7)), new int[] {5}).inputs(POSITIVE),
                op("neg", x -> x[0].neg(), r -> Ref.map(r[0], v -> -v), new int[] {4, 3}),
                op("exp", x -> x[0].exp(), r -> Ref.map(r[0], Math::exp), new int[] {4, 3}),
                op("log", x -> x[0].log(), r -> Ref.map(r[0], Math::log), new int[] {4, 3}).inputs(POSITIVE),
                op("sqrt", x -> x[0].sqrt(), r -> Ref.map(r[0], Math::sqrt), new int[] {4, 3}).inputs(POSITIVE),
                op("rsqrt", x -> x[0].rsqrt(), r -> Ref.map(r[0], v -> 1 / Math.sqrt(v)), new int[] {4, 3}).inputs(POSITIVE),
                op("abs", x -> x[0].abs(), r -> Ref.map(r[0], Math::abs), new int[] {4, 3}).inputs(AWAY_FROM_ZERO),
                op("tanh", x -> x[0].tanh(), r -> Ref.map(r[0], Math::tanh), new int[] {4, 3}),
                op("sigmoid", x -> x[0].sigmoid(), r -> Ref.map(r[0], OpsTest::sigmoid), new int[] {4, 3}),
                op("relu", x -> x[0].relu(), r -> Ref.map(r[0], v -> Math.max(v, 0)), new int[] {4, 3}).inputs(AWAY_FROM_ZERO),
                op("gelu", x -> x[0].gelu(), r -> Ref.map(r[0], v -> 0.5 * v * (1 + Ref.erf(v / SQRT2))), new int[] {4, 5}),
                op("gelu of a quotient", x -> x[0].div(x[1].abs().add(0.5f)).gelu(),
                        r -> Ref.map(Ref.zip(r[0], r[1], (a, b) -> a / (Math.abs(b) + 0.5)), v -> 0.5 * v * (1 + Ref.erf(v / SQRT2))),
                        new int[] {2, 3, 5}, new int[] {3, 1}).inputs(AWAY_FROM_ZERO),
                op("quickGelu", x -> x[0].quickGelu(), r -> Ref.map(r[0], v -> v * sigmoid(1.702 * v)), new int[] {4, 5}),
                op("clampMin", x -> x[0].clampMin(0.1f), r -> Ref.map(r[0], v -> Math.max(v, 0.1)), new int[] {9}).inputs(AWAY_FROM_ZERO),
                op("clampMax", x -> x[0].clampMax(0.1f), r -> Ref.map(r[0], v -> Math.min(v, 0.1)), new int[] {9}).inputs(AWAY_FROM_ZERO),
                op("where", x -> Tensor.where(Tensor.of(new float[] {1, 0, 1}, 3, 1).to(x[0].device()), x[0], x[1]),
                        r -> Ref.zip(Ref.zip(new D(new double[] {1, 0, 1}, new int[] {3, 1}), r[0], (c, a) -> c != 0 ? a : Double.NaN), r[1],
                                (a, b) -> Double.isNaN(a) ? b : a),
                        new int[] {3, 4}, new int[] {4}),
                op("maskedFill", x -> x[0].maskedFill(causal(4).to(x[0].device()), -1e4f),
                        r -> Ref.zip(r[0], new D(new double[] {0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0}, new int[] {4, 4}),
                                (v, m) -> m != 0 ? -1e4 : v), new int[] {2, 4, 4})};
    }

    /** 1 above the diagonal: the positions a causal mask hides. */
    static Tensor causal(int n) {
        float[] m = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) m[i * n + j] = 1;
        return Tensor.of(m, n, n);
    }

    static OpCheck[] reductions() {
        return new OpCheck[] {
                op("sum all", x -> x[0].sum(), r -> Ref.reduce(Ref.reshape(r[0], 15), 0, false, Ref::sum), new int[] {3, 5}),
                op("sum dim", x -> x[0].sum(1, false), r -> Ref.reduce(r[0], 1, false, Ref::sum), new int[] {2, 3, 4}),
                op("sum middle dim", x -> x[0].sum(1, false), r -> Ref.reduce(r[0], 1, false, Ref::sum), new int[] {5, 43, 3}),
                op("sum keepdim", x -> x[0].sum(-1, true), r -> Ref.reduce(r[0], -1, true, Ref::sum), new int[] {2, 3, 4}),
                op("mean all", x -> x[0].mean(), r -> Ref.map(Ref.reduce(Ref.reshape(r[0], 12), 0, false, Ref::sum), v -> v / 12), new int[] {3, 4}),
                op("mean all 7x13", x -> x[0].mean(), r -> Ref.map(Ref.reduce(Ref.reshape(r[0], 91), 0, false, Ref::sum), v -> v / 91), new int[] {7, 13}),
                op("mean dim", x -> x[0].mean(0, true), r -> Ref.map(Ref.reduce(r[0], 0, true, Ref::sum), v -> v / 3), new int[] {3, 4}),
                op("max dim", x -> x[0].max(1, false), r -> Ref.reduce(r[0], 1, false, Ref::max), new int[] {3, 7, 2}),
                op("max keepdim", x -> x[0].max(-1, true), r -> Ref.reduce(r[0], -1, true, Ref::max), new int[] {4, 5}),
                op("max keepdim 31 wide", x -> x[0].max(-1, true), r -> Ref.reduce(r[0], -1, true, Ref::max), new int[] {9, 31}),
                op("argmax", x -> x[0].argmax(1, false).to(jclip.kernels.DType.F32), r -> Ref.reduce(r[0], 1, false, Ref::argmax), new int[] {3, 7, 2})
                        .forwardOnly(),
                op("logsumexp", x -> x[0].logsumexp(1, false), r -> Ref.reduce(r[0], 1, false, Ref::logsumexp), new int[] {3, 6}),
                op("logsumexp large", x -> x[0].mul(100f).logsumexp(0, true),
                        r -> Ref.reduce(Ref.map(r[0], v -> v * 100), 0, true, Ref::logsumexp), new int[] {5, 2}),
                op("softmax", x -> x[0].softmax(-1), r -> Ref.softmax(r[0], false), new int[] {3, 7}),
                op("softmax dim 0", x -> x[0].softmax(0),
                        r -> Ref.transpose2(Ref.softmax(Ref.transpose2(r[0]), false)), new int[] {5, 3}),
                op("logSoftmax", x -> x[0].logSoftmax(1), r -> Ref.softmax(r[0], true), new int[] {4, 9}),
                op("softmax 77 wide", x -> x[0].softmax(-1), r -> Ref.softmax(r[0], false), new int[] {6, 77}),
                op("logSoftmax dim 0", x -> x[0].logSoftmax(0),
                        r -> Ref.transpose2(Ref.softmax(Ref.transpose2(r[0]), true)), new int[] {13, 5})};
    }

    static OpCheck[] linearAlgebra() {
        return new OpCheck[] {
                op("matmul 2d", x -> x[0].matmul(x[1]), r -> Ref.matmul(r[0], r[1]), new int[] {5, 7}, new int[] {7, 3}),
                op("matmul batched", x -> x[0].matmul(x[1]), r -> Ref.matmul(r[0], r[1]), new int[] {2, 3, 5, 4}, new int[] {2, 3, 4, 6}),
                op("matmul broadcast", x -> x[0].matmul(x[1]), r -> Ref.matmul(r[0], r[1]), new int[] {3, 5, 4}, new int[] {4, 2}),
                op("matmul broadcast batch", x -> x[0].matmul(x[1]), r -> Ref.matmul(r[0], r[1]), new int[] {2, 1, 5, 4}, new int[] {3, 4, 2}),
                op("matmul transposed views", x -> x[0].transpose(0, 1).matmul(x[1].transpose(-1, -2)),
                        r -> Ref.matmul(Ref.transpose2(r[0]), Ref.transpose2(r[1])), new int[] {6, 5}, new int[] {4, 6}),
                op("linear", x -> x[0].linear(x[1], x[2]),
                        r -> Ref.zip(Ref.matmul(r[0], Ref.transpose2(r[1])), r[2], Double::sum), new int[] {2, 3, 5}, new int[] {4, 5}, new int[] {4}),
                op("linear no bias", x -> x[0].linear(x[1], null),
                        r -> Ref.matmul(r[0], Ref.transpose2(r[1])), new int[] {3, 5}, new int[] {4, 5}),
                op("matmul 37x53x29", x -> x[0].matmul(x[1]), r -> Ref.matmul(r[0], r[1]), new int[] {37, 53}, new int[] {53, 29}),
                op("matmul batched of a transpose", x -> x[0].matmul(x[1].transpose(-1, -2)),
                        r -> Ref.matmul(r[0], Ref.permute(r[1], 0, 2, 1)), new int[] {3, 17, 11}, new int[] {3, 19, 11}),
                op("linear 9x21 to 13", x -> x[0].linear(x[1], x[2]),
                        r -> Ref.zip(Ref.matmul(r[0], Ref.transpose2(r[1])), r[2], Double::sum), new int[] {9, 21}, new int[] {13, 21}, new int[] {13}),
                op("linear onto a residual", x -> x[0].linear(x[1], x[2], x[3]),
                        r -> Ref.zip(Ref.zip(Ref.matmul(r[0], Ref.transpose2(r[1])), r[2], Double::sum), r[3], Double::sum),
                        new int[] {2, 3, 5}, new int[] {4, 5}, new int[] {4}, new int[] {2, 3, 4}),
                op("linear onto a residual, no bias", x -> x[0].linear(x[1], null, x[2]),
                        r -> Ref.zip(Ref.matmul(r[0], Ref.transpose2(r[1])), r[2], Double::sum),
                        new int[] {9, 21}, new int[] {13, 21}, new int[] {9, 13})};
    }

    static OpCheck[] shapes() {
        return new OpCheck[] {
                op("transpose", x -> x[0].transpose(0, 2).mul(x[0].transpose(0, 2)), r -> {
                    D p = Ref.permute(r[0], 2, 1, 0);
                    return Ref.zip(p, p, (a, b) -> a * b);
                }, new int[] {2, 3, 4}),
                op("permute", x -> x[0].permute(1, 2, 0).contiguous(), r -> Ref.permute(r[0], 1, 2, 0), new int[] {2, 3, 4}),
                op("reshape", x -> x[0].reshape(4, -1), r -> Ref.reshape(r[0], 4, 6), new int[] {2, 3, 4}),
                op("reshape of view", x -> x[0].transpose(0, 1).reshape(-1), r -> Ref.reshape(Ref.permute(r[0], 1, 0), 12), new int[] {3, 4}),
                op("flatten", x -> x[0].flatten(1, 2), r -> Ref.reshape(r[0], 2, 12), new int[] {2, 3, 4}),
                op("narrow", x -> x[0].narrow(1, 1, 2), r -> Ref.narrow(r[0], 1, 1, 2), new int[] {3, 4, 2}),
                op("slice", x -> x[0].slice(0, 2, 5).exp(), r -> Ref.map(Ref.narrow(r[0], 0, 2, 3), Math::exp), new int[] {6, 2}),
                op("unsqueeze squeeze", x -> x[0].unsqueeze(1).mul(2f).squeeze(1), r -> Ref.map(r[0], v -> 2 * v), new int[] {3, 4}),
                op("expand", x -> x[0].expand(3, 4).contiguous(), r -> Ref.zip(r[0], new D(new double[12], new int[] {3, 4}), Double::sum),
                        new int[] {1, 4}),
                op("cat", x -> Tensor.cat(List.of(x[0], x[1], x[2]), 1), r -> Ref.cat(1, r[0], r[1], r[2]),
                        new int[] {2, 3, 2}, new int[] {2, 1, 2}, new int[] {2, 4, 2}),
                op("stack", x -> Tensor.stack(List.of(x[0], x[1]), 1),
                        r -> Ref.cat(1, Ref.reshape(r[0], 3, 1, 4), Ref.reshape(r[1], 3, 1, 4)), new int[] {3, 4}, new int[] {3, 4})};
    }

    private static final long[] INDEX = {2, 0, 2, 1};

    static OpCheck[] indexing() {
        return new OpCheck[] {
                op("indexSelect", x -> x[0].indexSelect(0, Tensor.of(INDEX, 4).to(x[0].device())), r -> {
                    D[] rows = new D[4];
                    for (int i = 0; i < 4; i++) rows[i] = Ref.narrow(r[0], 0, (int) INDEX[i], 1);
                    return Ref.cat(0, rows);
                }, new int[] {3, 5}),
                op("embedding", x -> Tensor.embedding(x[0], Tensor.of(new int[] {1, 3, 3, 0, 2, 1}, 2, 3).to(x[0].device())), r -> {
                    int[] ids = {1, 3, 3, 0, 2, 1};
                    D[] rows = new D[6];
                    for (int i = 0; i < 6; i++) rows[i] = Ref.narrow(r[0], 0, ids[i], 1);
                    return Ref.reshape(Ref.cat(0, rows), 2, 3, 5);
                }, new int[] {4, 5}),
                op("gather", x -> x[0].gather(1, Tensor.of(new long[] {3, 0, 1, 1, 2, 2}, 3, 2).to(x[0].device())), r -> {
                    long[] idx = {3, 0, 1, 1, 2, 2};
                    double[] out = new double[6];
                    for (int i = 0; i < 3; i++) for (int j = 0; j < 2; j++) out[i * 2 + j] = r[0].v()[i * 4 + (int) idx[i * 2 + j]];
                    return new D(out, new int[] {3, 2});
                }, new int[] {3, 4}),
                op("crossEntropy", x -> x[0].crossEntropy(Tensor.of(new long[] {2, 0, 4}, 3).to(x[0].device())), r -> {
                    D ls = Ref.softmax(r[0], true);
                    return new D(new double[] {-(ls.v()[2] + ls.v()[5] + ls.v()[14]) / 3}, new int[0]);
                }, new int[] {3, 5})};
    }

    static OpCheck[] normalisation() {
        return new OpCheck[] {
                op("layerNorm", x -> x[0].layerNorm(x[1], x[2], 1e-5f), r -> Ref.layerNorm(r[0], r[1], r[2], 1e-5),
                        new int[] {2, 3, 7}, new int[] {7}, new int[] {7}),
                op("l2Normalize", x -> x[0].l2Normalize(-1), r -> {
                    D norm = Ref.map(Ref.reduce(Ref.map(r[0], v -> v * v), -1, true, Ref::sum), Math::sqrt);
                    return Ref.zip(r[0], norm, (a, b) -> a / Math.max(b, 1e-12));
                }, new int[] {4, 6}),
                op("l2Normalize dim 0", x -> x[0].l2Normalize(0), r -> {
                    D norm = Ref.map(Ref.reduce(Ref.map(r[0], v -> v * v), 0, true, Ref::sum), Math::sqrt);
                    return Ref.zip(r[0], norm, (a, b) -> a / Math.max(b, 1e-12));
                }, new int[] {4, 6})};
    }

    static OpCheck[] convolution() {
        return new OpCheck[] {
                op("conv2d stride 2 pad 1", x -> x[0].conv2d(x[1], x[2], 2, 1), r -> Ref.conv2d(r[0], r[1], r[2], 2, 1),
                        new int[] {2, 3, 7, 6}, new int[] {5, 3, 3, 3}, new int[] {5}),
                op("conv2d 1x1", x -> x[0].conv2d(x[1], null, 1, 0), r -> Ref.conv2d(r[0], r[1], null, 1, 0),
                        new int[] {2, 4, 3, 5}, new int[] {3, 4, 1, 1}),
                op("conv2d patch", x -> x[0].conv2d(x[1], null, 4, 0), r -> Ref.conv2d(r[0], r[1], null, 4, 0),
                        new int[] {1, 3, 8, 8}, new int[] {6, 3, 4, 4}),
                op("avgPool2d", x -> x[0].avgPool2d(2, 2, 0), r -> Ref.avgPool2d(r[0], 2, 2, 0), new int[] {2, 3, 6, 5}),
                op("avgPool2d pad", x -> x[0].avgPool2d(3, 2, 1), r -> Ref.avgPool2d(r[0], 3, 2, 1), new int[] {1, 2, 7, 7}),
                op("batchNorm2d training", x -> {
                    Tensor rm = Tensor.zeros(3).to(x[0].device()), rv = Tensor.ones(3).to(x[0].device());
                    return x[0].batchNorm2d(x[1], x[2], rm, rv, true, 0.1f, 1e-5f);
                }, r -> Ref.batchNormTraining(r[0], r[1], r[2], 1e-5), new int[] {2, 3, 4, 3}, new int[] {3}, new int[] {3}),
                op("batchNorm2d eval", x -> {
                    Tensor rm = Tensor.of(new float[] {0.5f, -1f, 0.25f}, 3).to(x[0].device()), rv = Tensor.of(new float[] {2f, 0.5f, 1.5f}, 3).to(x[0].device());
                    return x[0].batchNorm2d(x[1], x[2], rm, rv, false, 0.1f, 1e-5f);
                }, r -> {
                    double[] m = {0.5, -1, 0.25}, v = {2, 0.5, 1.5};
                    double[] out = new double[r[0].numel()];
                    for (int i = 0; i < out.length; i++) {
                        int ch = (i / 6) % 3;
                        out[i] = (r[0].v()[i] - m[ch]) / Math.sqrt(v[ch] + 1e-5) * r[1].v()[ch] + r[2].v()[ch];
                    }
                    return new D(out, r[0].shape());
                }, new int[] {2, 3, 2, 3}, new int[] {3}, new int[] {3})};
    }
}
