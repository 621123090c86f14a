package jclip.clip.eval;

/**
 * Limited-memory BFGS with a weak-Wolfe line search, in double: the optimiser of {@link LinearProbe}
 * (on {@link SoftmaxRegression}'s objective), for any smooth f given with its gradient.
 */
final class Lbfgs {
    private static final double WOLFE_C1 = 1e-4, WOLFE_C2 = 0.9;
    private static final int MAX_LINE_SEARCH = 40;
    /** Relative decrease of f below which L-BFGS stops: f no longer changes at double precision. */
    private static final double F_TOLERANCE = 1e-14;

    private Lbfgs() {}

    /** A smooth function of θ. */
    @FunctionalInterface
    interface Objective {
        /** f(θ), with ∇f(θ) written to grad. */
        double evaluate(double[] theta, double[] grad);
    }

    /** Where minimize stopped: θ, f(θ), max|∇f(θ)|, the iterations taken, and whether the gradient tolerance was met. */
    record Result(double[] theta, double objective, double gradientNorm, int iterations, boolean converged) {}

    /**
     * Minimises f from start, stopping at max|∇f| ≤ gradientTolerance, after maxIterations
     * iterations, or when f stops decreasing; history is the number of curvature pairs kept.
     */
    static Result minimize(Objective objective, double[] start, int history, int maxIterations, double gradientTolerance) {
        int size = start.length, m = history;
        double[] x = start.clone(), g = new double[size];
        double[] xn = new double[size], gn = new double[size], dir = new double[size];
        double f = objective.evaluate(x, g);
        double[][] s = new double[m][], yv = new double[m][];
        double[] rho = new double[m], alpha = new double[m];
        int stored = 0, newest = -1, iter = 0;
        boolean converged = false;
        while (true) {
            if (maxAbs(g) <= gradientTolerance) {
                converged = true;
                break;
            }
            if (iter >= maxIterations) break;
            // Two-loop recursion: dir = −H·g.
            for (int i = 0; i < size; i++) dir[i] = -g[i];
            for (int k = 0; k < stored; k++) {
                int idx = Math.floorMod(newest - k, m);
                alpha[idx] = rho[idx] * dot(s[idx], dir);
                axpy(-alpha[idx], yv[idx], dir);
            }
            if (stored > 0) {
                double gamma = dot(s[newest], yv[newest]) / dot(yv[newest], yv[newest]);
                for (int i = 0; i < size; i++) dir[i] *= gamma;
            }
            for (int k = stored - 1; k >= 0; k--) {
                int idx = Math.floorMod(newest - k, m);
                double beta = rho[idx] * dot(yv[idx], dir);
                axpy(alpha[idx] - beta, s[idx], dir);
            }
            double gd = dot(g, dir);
            if (!(gd < 0)) { // not a descent direction (rounding): restart from steepest descent
                stored = 0;
                for (int i = 0; i < size; i++) dir[i] = -g[i];
                gd = -dot(g, g);
            }
            double t = stored == 0 ? Math.min(1, 1 / Math.sqrt(-gd)) : 1;

            // Weak-Wolfe line search: bisect a bracket, or double while the slope is still steep.
            double lo = 0, hi = Double.POSITIVE_INFINITY, fn = Double.NaN;
            boolean accepted = false;
            for (int ls = 0; ls < MAX_LINE_SEARCH; ls++) {
                for (int i = 0; i < size; i++) xn[i] = x[i] + t * dir[i];
                fn = objective.evaluate(xn, gn);
                if (!(fn <= f + WOLFE_C1 * t * gd)) {
                    hi = t;
                    if (hi - lo <= 1e-12 * hi) break;
                    if (lo == 0) {
                        // No acceptable point yet: step to the minimum of the quadratic through
                        // f(0), f'(0) and f(t), kept within [t/10, t/2].
                        double q = -gd * t * t / (2 * (fn - f - gd * t));
                        t = Double.isFinite(q) ? Math.min(0.5 * t, Math.max(0.1 * t, q)) : 0.1 * t;
                    } else {
                        t = 0.5 * (lo + hi);
                    }
                } else if (dot(gn, dir) < WOLFE_C2 * gd) {
                    lo = t;
                    t = hi < Double.POSITIVE_INFINITY ? 0.5 * (lo + hi) : 2 * t;
                } else {
                    accepted = true;
                    break;
                }
            }
            if (!accepted && lo > 0) { // sufficient decrease without the curvature condition: take it
                t = lo;
                for (int i = 0; i < size; i++) xn[i] = x[i] + t * dir[i];
                fn = objective.evaluate(xn, gn);
                accepted = fn <= f;
            }
            if (!accepted) {
                if (stored == 0) break; // even steepest descent makes no progress: f is at its precision floor
                stored = 0; // forget the curvature pairs and retry from steepest descent
                continue;
            }

            int next = (newest + 1) % m;
            if (s[next] == null) {
                s[next] = new double[size];
                yv[next] = new double[size];
            }
            double sy = 0, yy = 0, ss = 0;
            for (int i = 0; i < size; i++) {
                double si = xn[i] - x[i], yi = gn[i] - g[i];
                s[next][i] = si;
                yv[next][i] = yi;
                sy += si * yi;
                yy += yi * yi;
                ss += si * si;
            }
            if (sy > 1e-10 * Math.sqrt(ss * yy)) {
                rho[next] = 1 / sy;
                newest = next;
                stored = Math.min(stored + 1, m);
            }
            double decrease = f - fn;
            double[] tmp = x;
            x = xn;
            xn = tmp;
            tmp = g;
            g = gn;
            gn = tmp;
            f = fn;
            iter++;
            if (decrease <= F_TOLERANCE * Math.max(1, Math.max(Math.abs(f), Math.abs(f + decrease)))) {
                converged = maxAbs(g) <= gradientTolerance;
                break;
            }
        }
        return new Result(x, f, maxAbs(g), iter, converged);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static void axpy(double alpha, double[] x, double[] y) {
        for (int i = 0; i < y.length; i++) y[i] += alpha * x[i];
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }
}
