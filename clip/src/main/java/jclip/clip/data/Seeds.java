package jclip.clip.data;

import java.util.SplittableRandom;

/** Deterministic seed derivation and permutations shared by the sources and the loader. */
public final class Seeds {
    private Seeds() {}

    /** A well-mixed 64-bit value from any number of inputs (SplitMix64's finaliser, chained). */
    public static long mix(long... values) {
        long h = 0x9E3779B97F4A7C15L;
        for (long v : values) {
            h = fmix(h ^ fmix(v + 0x9E3779B97F4A7C15L));
            h += 0xBF58476D1CE4E5B9L;
        }
        return fmix(h);
    }

    private static long fmix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A generator for the given inputs. */
    public static SplittableRandom random(long... values) {
        return new SplittableRandom(mix(values));
    }

    /** A uniformly random permutation of 0..n-1 (Fisher-Yates) determined by the inputs. */
    public static int[] permutation(int n, long... values) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom r = random(values);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Stable 64-bit hash of a string, for salts. */
    static long hash(String s) {
        long h = 1125899906842597L;
        for (int i = 0; i < s.length(); i++) h = 31 * h + s.charAt(i);
        return mix(h);
    }
}
