package jclip.kernels.cpu;

import java.util.SplittableRandom;
import jclip.kernels.AttentionShape;

/**
 * Run by AttentionTest in a JVM whose heap (-Xmx48m) cannot hold one 4,096² float matrix (64 MiB):
 * the fused forward and backward at L = 4,096 (one head, d 64, causal and not) must finish without an
 * OutOfMemoryError. Prints "finite" when every output is.
 */
public final class AttentionMemoryCheck {
    public static void main(String[] args) {
        int l = 4096, d = 64, heads = 1;
        SplittableRandom rnd = new SplittableRandom(3);
        boolean finite = true;
        for (boolean causal : new boolean[] {false, true}) {
            AttentionShape s = AttentionShape.of(1, heads, l, l, d, causal);
            float[] q = random(rnd, s.queryElements()), k = random(rnd, s.keyElements()), v = random(rnd, s.keyElements());
            float[] out = new float[s.queryElements()], lse = new float[s.rows()];
            Attention.forward(s, q, 0, k, 0, v, 0, null, out, lse);
            float[] gOut = random(rnd, s.queryElements()), gq = new float[q.length], gk = new float[k.length], gv = new float[v.length];
            Attention.backward(s, q, 0, k, 0, v, 0, null, out, lse, gOut, gq, gk, gv);
            for (float[] a : new float[][] {out, lse, gq, gk, gv}) for (float x : a) finite &= Float.isFinite(x);
            System.out.println((causal ? "causal" : "full") + ": heap used " + (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / (1 << 20) + " MiB");
        }
        System.out.println(finite ? "finite" : "NOT FINITE");
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
