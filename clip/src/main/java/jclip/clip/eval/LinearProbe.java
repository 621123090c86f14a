package jclip.clip.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import jclip.kernels.cpu.Parallel;
import jclip.tensor.Tensor;

/**
 * The paper's linear-probe evaluation: multinomial logistic regression on frozen features, with
 * the L2 penalty chosen on a held-out validation split.
 *
 * <p>Features are standardised with the mean and (population) standard deviation of the data a
 * model is fitted on; a feature that does not vary there is only centred. A model minimises
 *
 * <pre>   f(W, b) = mean over examples of cross-entropy(softmax(W·z + b), y) + λ/2 · ‖W‖²</pre>
 *
 * (the bias is not penalised; λ = 1/(n·C) in scikit-learn's terms; the objective and its gradient
 * are {@link SoftmaxRegression}'s) by full-batch L-BFGS with a weak-Wolfe line search ({@link
 * Lbfgs}), in double on the host; this class holds the data split, the standardisation and the λ
 * sweep. Classes without a training example get bias −∞ and are never predicted. All reductions
 * run in a fixed order, so a result does not depend on the number of threads.
 *
 * <p>{@link #evaluate} splits the training data (a seeded, stratified shuffle), sweeps λ over a
 * log grid from large to small (each fit warm-started from the previous one), refines around the
 * best λ by halving the grid step a few times (which may step half a grid step past either end),
 * takes the λ with the best validation accuracy (ties go to the larger λ), refits on all the
 * training data from zero and reports test accuracy. The final model is exactly
 * {@code fit(trainX, trainY, classes, bestLambda, options)}.
 *
 * <p>Memory: the standardised features in double (n·d) and the n·classes residuals, so tens of
 * thousands of examples of a few hundred dimensions; not an ImageNet-sized probe.
 */
public final class LinearProbe {
    private LinearProbe() {}

    /**
     * Settings: the λ grid of the sweep, how many times to halve its (log) step around the best
     * λ, and the L-BFGS limits (iterations, max-abs gradient tolerance, history length).
     */
    public record Options(double[] lambdas, int refinements, int maxIterations, double gradientTolerance, int history) {
        /** λ = 1e-6, 1e-5, …, 1e2, two refinements (±10^0.5, then ±10^0.25), 1000 iterations, |∇f| ≤ 1e-6. */
        public static final Options DEFAULT = new Options(logGrid(-6, 2), 2, 1000, 1e-6, 10);

        public Options {
            if (lambdas == null || lambdas.length == 0) throw new IllegalArgumentException("the λ grid is empty");
            lambdas = lambdas.clone();
            for (double l : lambdas)
                if (!(l > 0) || Double.isInfinite(l)) throw new IllegalArgumentException("λ must be positive and finite, got " + l);
            if (refinements < 0) throw new IllegalArgumentException("refinements must be >= 0, got " + refinements);
            if (maxIterations < 0) throw new IllegalArgumentException("maxIterations must be >= 0, got " + maxIterations);
            if (!(gradientTolerance >= 0)) throw new IllegalArgumentException("gradientTolerance must be >= 0, got " + gradientTolerance);
            if (history < 1) throw new IllegalArgumentException("history must be >= 1, got " + history);
        }

        @Override
        public double[] lambdas() {
            return lambdas.clone();
        }
    }

    /** 10^from, 10^(from+1), …, 10^to. */
    public static double[] logGrid(int fromExponent, int toExponent) {
        if (toExponent < fromExponent) throw new IllegalArgumentException("empty grid " + fromExponent + ".." + toExponent);
        double[] g = new double[toExponent - fromExponent + 1];
        for (int i = 0; i < g.length; i++) g[i] = Double.parseDouble("1e" + (fromExponent + i));
        return g;
    }

    /**
     * The outcome of {@link #evaluate}: test accuracy of the refitted model, the chosen λ, its
     * validation accuracy, every λ tried as {λ, validation accuracy} in increasing λ, test accuracy
     * per class (NaN for a class absent from the test set) and the final model.
     */
    public record Result(double testAccuracy, double bestLambda, double validationAccuracy, List<double[]> sweep,
            double[] perClassAccuracy, Model model) {}

    /** A fitted softmax regression with the standardisation it was fitted under. */
    public static final class Model {
        private final int classes, dim;
        private final double[] mean, scale; // [dim]
        private final double[] weights; // [classes * dim], on standardised features
        private final double[] bias; // [classes], -inf for classes absent from training
        private final double lambda, objective, gradientNorm;
        private final int iterations;
        private final boolean converged;

        private Model(int classes, int dim, double[] mean, double[] scale, double[] weights, double[] bias, double lambda,
                double objective, double gradientNorm, int iterations, boolean converged) {
            this.classes = classes;
            this.dim = dim;
            this.mean = mean;
            this.scale = scale;
            this.weights = weights;
            this.bias = bias;
            this.lambda = lambda;
            this.objective = objective;
            this.gradientNorm = gradientNorm;
            this.iterations = iterations;
            this.converged = converged;
        }

        public int classes() {
            return classes;
        }

        public int dim() {
            return dim;
        }

        public double lambda() {
            return lambda;
        }

        /** f at the solution (mean cross-entropy on the fitting data + λ/2‖W‖²). */
        public double objective() {
            return objective;
        }

        /** max |∂f/∂θ| at the solution, over weights and biases of the classes seen in training. */
        public double gradientNorm() {
            return gradientNorm;
        }

        public int iterations() {
            return iterations;
        }

        /** Whether L-BFGS reached the gradient tolerance (rather than the iteration limit or the precision floor). */
        public boolean converged() {
            return converged;
        }

        /** A copy of W [classes][dim], acting on standardised features (x − mean) / scale. */
        public double[][] weights() {
            double[][] w = new double[classes][];
            for (int c = 0; c < classes; c++) w[c] = Arrays.copyOfRange(weights, c * dim, (c + 1) * dim);
            return w;
        }

        /** A copy of b [classes]; −∞ for classes without training examples. */
        public double[] bias() {
            return bias.clone();
        }

        /** The standardisation: z = (x − mean) / scale. */
        public double[] mean() {
            return mean.clone();
        }

        public double[] scale() {
            return scale.clone();
        }

        /** ‖W‖ (Frobenius). */
        public double weightNorm() {
            double s = 0;
            for (double w : weights) s += w * w;
            return Math.sqrt(s);
        }

        /** Logits [n][classes] of raw (unstandardised) features. */
        public double[][] scores(float[][] x) {
            checkFeatures(x, dim, "scored");
            double[][] out = new double[x.length][classes];
            Parallel.forRange(x.length, (long) classes * dim, (from, to) -> {
                double[] z = new double[dim];
                for (int i = from; i < to; i++) {
                    for (int j = 0; j < dim; j++) z[j] = (x[i][j] - mean[j]) / scale[j];
                    for (int c = 0; c < classes; c++) {
                        if (bias[c] == Double.NEGATIVE_INFINITY) {
                            out[i][c] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double s = bias[c];
                        int wo = c * dim;
                        for (int j = 0; j < dim; j++) s += weights[wo + j] * z[j];
                        out[i][c] = s;
                    }
                }
            });
            return out;
        }

        /** The most likely class of each row (the first on ties). */
        public int[] predict(float[][] x) {
            double[][] s = scores(x);
            int[] out = new int[s.length];
            for (int i = 0; i < s.length; i++) out[i] = SoftmaxRegression.argmax(s[i], s[i].length);
            return out;
        }

        /** Predictions for features [n, dim]. */
        public int[] predict(Tensor x) {
            return predict(rows(x));
        }

        public double accuracy(float[][] x, int[] y) {
            if (x.length != y.length) throw new IllegalArgumentException(x.length + " feature rows but " + y.length + " labels");
            if (x.length == 0) return Double.NaN;
            int[] p = predict(x);
            int correct = 0;
            for (int i = 0; i < p.length; i++) if (p[i] == y[i]) correct++;
            return (double) correct / p.length;
        }
    }

    // -------------------------------------------------------------------------------------------
    // the evaluation

    public static Result evaluate(float[][] trainX, int[] trainY, float[][] testX, int[] testY, int classes,
            double validationFraction, long seed) {
        return evaluate(trainX, trainY, testX, testY, classes, validationFraction, seed, Options.DEFAULT);
    }

    /** Features [n, d] as tensors (any floating dtype). */
    public static Result evaluate(Tensor trainX, int[] trainY, Tensor testX, int[] testY, int classes,
            double validationFraction, long seed) {
        return evaluate(rows(trainX), trainY, rows(testX), testY, classes, validationFraction, seed, Options.DEFAULT);
    }

    public static Result evaluate(Tensor trainX, int[] trainY, Tensor testX, int[] testY, int classes,
            double validationFraction, long seed, Options options) {
        return evaluate(rows(trainX), trainY, rows(testX), testY, classes, validationFraction, seed, options);
    }

    public static Result evaluate(float[][] trainX, int[] trainY, float[][] testX, int[] testY, int classes,
            double validationFraction, long seed, Options options) {
        int d = checkData(trainX, trainY, classes, -1, "training");
        checkData(testX, testY, classes, d, "test");
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new IllegalArgumentException("the validation fraction must lie in (0, 1), got " + validationFraction);
        int[][] split = stratifiedSplit(trainY, classes, validationFraction, seed);
        int[] tr = split[0], va = split[1];
        if (va.length == 0)
            throw new IllegalArgumentException("the validation split is empty: " + trainY.length + " training examples and fraction "
                    + validationFraction + " leave none (a class needs two examples to give one to validation)");

        double[][] ms = moments(trainX, tr, d);
        SoftmaxRegression p = SoftmaxRegression.of(trainX, trainY, tr, classes, ms[0], ms[1]);
        double[] zVal = standardise(trainX, va, ms[0], ms[1]);
        int[] yVal = new int[va.length];
        for (int i = 0; i < va.length; i++) yVal[i] = trainY[va[i]];

        TreeMap<Double, double[]> solutions = new TreeMap<>();
        TreeMap<Double, Integer> correct = new TreeMap<>();
        double[] grid = options.lambdas();
        Arrays.sort(grid);
        double[] theta = new double[p.size()];
        for (int k = grid.length - 1; k >= 0; k--) { // strong to weak, each warm-started from the last
            if (solutions.containsKey(grid[k])) continue;
            theta = minimize(p, grid[k], theta, options).theta();
            solutions.put(grid[k], theta);
            correct.put(grid[k], p.countCorrect(theta, zVal, yVal));
        }
        double best = pick(correct);
        double step = grid.length > 1 ? (Math.log10(grid[grid.length - 1]) - Math.log10(grid[0])) / (grid.length - 1) : 1;
        for (int r = 0; r < options.refinements(); r++) {
            step /= 2;
            for (double lambda : new double[] {best * Math.pow(10, -step), best * Math.pow(10, step)}) {
                if (solutions.containsKey(lambda)) continue;
                double[] solved = minimize(p, lambda, nearest(solutions, lambda), options).theta();
                solutions.put(lambda, solved);
                correct.put(lambda, p.countCorrect(solved, zVal, yVal));
            }
            best = pick(correct);
        }
        List<double[]> sweep = new ArrayList<>();
        for (Map.Entry<Double, Integer> e : correct.entrySet()) sweep.add(new double[] {e.getKey(), (double) e.getValue() / va.length});

        Model model = fit(trainX, trainY, classes, best, options);
        int[] predicted = model.predict(testX);
        int[] hits = new int[classes], totals = new int[classes];
        int right = 0;
        for (int i = 0; i < predicted.length; i++) {
            totals[testY[i]]++;
            if (predicted[i] == testY[i]) {
                hits[testY[i]]++;
                right++;
            }
        }
        double[] perClass = new double[classes];
        for (int c = 0; c < classes; c++) perClass[c] = totals[c] == 0 ? Double.NaN : (double) hits[c] / totals[c];
        double testAccuracy = predicted.length == 0 ? Double.NaN : (double) right / predicted.length;
        return new Result(testAccuracy, best, (double) correct.get(best) / va.length, List.copyOf(sweep), perClass, model);
    }

    /** The largest λ among those with the most correct validation predictions. */
    private static double pick(TreeMap<Double, Integer> correct) {
        double best = Double.NaN;
        int most = -1;
        for (Map.Entry<Double, Integer> e : correct.descendingMap().entrySet()) {
            if (e.getValue() > most) {
                most = e.getValue();
                best = e.getKey();
            }
        }
        return best;
    }

    /** The solution whose λ is closest in log scale (the larger on ties). */
    private static double[] nearest(TreeMap<Double, double[]> solutions, double lambda) {
        Map.Entry<Double, double[]> lo = solutions.floorEntry(lambda), hi = solutions.ceilingEntry(lambda);
        if (lo == null) return hi.getValue();
        if (hi == null) return lo.getValue();
        return Math.log(lambda / lo.getKey()) < Math.log(hi.getKey() / lambda) ? lo.getValue() : hi.getValue();
    }

    /**
     * A seeded stratified split of example indices into {train, validation}, each ascending: every
     * class gives round(count · fraction) of its shuffled examples to validation, but always keeps
     * at least one for training (so a class with one example gives none).
     */
    public static int[][] stratifiedSplit(int[] labels, int classes, double fraction, long seed) {
        if (!(fraction >= 0 && fraction <= 1)) throw new IllegalArgumentException("fraction must lie in [0, 1], got " + fraction);
        int[] counts = new int[classes];
        for (int y : labels) {
            if (y < 0 || y >= classes) throw new IllegalArgumentException("label " + y + " outside the " + classes + " classes");
            counts[y]++;
        }
        int[][] byClass = new int[classes][];
        for (int c = 0; c < classes; c++) byClass[c] = new int[counts[c]];
        int[] fill = new int[classes];
        for (int i = 0; i < labels.length; i++) byClass[labels[i]][fill[labels[i]]++] = i;
        Random rng = new Random(seed);
        boolean[] validation = new boolean[labels.length];
        int nVal = 0;
        for (int c = 0; c < classes; c++) {
            int[] idx = byClass[c];
            for (int i = idx.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
            int take = Math.min(Math.max(idx.length - 1, 0), (int) Math.round(idx.length * fraction));
            for (int i = 0; i < take; i++) validation[idx[i]] = true;
            nVal += take;
        }
        int[] train = new int[labels.length - nVal], val = new int[nVal];
        int a = 0, b = 0;
        for (int i = 0; i < labels.length; i++) {
            if (validation[i]) val[b++] = i;
            else train[a++] = i;
        }
        return new int[][] {train, val};
    }

    // -------------------------------------------------------------------------------------------
    // fitting

    /** Fits with the default L-BFGS settings. */
    public static Model fit(float[][] x, int[] y, int classes, double lambda) {
        return fit(x, y, classes, lambda, Options.DEFAULT);
    }

    public static Model fit(Tensor x, int[] y, int classes, double lambda) {
        return fit(rows(x), y, classes, lambda, Options.DEFAULT);
    }

    /** Fits on all of x (standardised with its own statistics) from zero weights; uses the options' L-BFGS settings. */
    public static Model fit(float[][] x, int[] y, int classes, double lambda, Options options) {
        int d = checkData(x, y, classes, -1, "training");
        if (!(lambda >= 0) || Double.isInfinite(lambda)) throw new IllegalArgumentException("λ must be finite and >= 0, got " + lambda);
        int[] all = new int[x.length];
        for (int i = 0; i < all.length; i++) all[i] = i;
        double[][] ms = moments(x, all, d);
        SoftmaxRegression p = SoftmaxRegression.of(x, y, all, classes, ms[0], ms[1]);
        Lbfgs.Result s = minimize(p, lambda, new double[p.size()], options);
        double[] weights = new double[classes * d], bias = new double[classes];
        Arrays.fill(bias, Double.NEGATIVE_INFINITY);
        for (int k = 0; k < p.c; k++) {
            int c = p.present[k];
            System.arraycopy(s.theta(), k * d, weights, c * d, d);
            bias[c] = s.theta()[p.c * d + k];
        }
        return new Model(classes, d, ms[0], ms[1], weights, bias, lambda, s.objective(), s.gradientNorm(), s.iterations(), s.converged());
    }

    /** L-BFGS on the problem at this λ from start, with the options' limits. */
    private static Lbfgs.Result minimize(SoftmaxRegression p, double lambda, double[] start, Options o) {
        return Lbfgs.minimize((theta, grad) -> p.evaluate(theta, lambda, grad), start, o.history(), o.maxIterations(),
                o.gradientTolerance());
    }

    /** Mean and scale (population standard deviation, or 1 where a feature is constant) of the given rows. */
    private static double[][] moments(float[][] x, int[] rows, int d) {
        double[] mean = new double[d], scale = new double[d];
        for (int i : rows) for (int j = 0; j < d; j++) mean[j] += x[i][j];
        for (int j = 0; j < d; j++) mean[j] /= rows.length;
        for (int i : rows) {
            for (int j = 0; j < d; j++) {
                double v = x[i][j] - mean[j];
                scale[j] += v * v;
            }
        }
        for (int j = 0; j < d; j++) {
            double sd = Math.sqrt(scale[j] / rows.length);
            // A constant feature leaves only rounding noise in sd: centre it, do not blow it up.
            scale[j] = sd > 1e-10 * Math.abs(mean[j]) && sd > 0 ? sd : 1;
        }
        return new double[][] {mean, scale};
    }

    /** The given rows of x as z = (x − mean) / scale, row-major [rows, d]. */
    static double[] standardise(float[][] x, int[] rows, double[] mean, double[] scale) {
        int d = mean.length;
        double[] z = new double[rows.length * d];
        for (int r = 0; r < rows.length; r++) {
            float[] row = x[rows[r]];
            for (int j = 0; j < d; j++) z[r * d + j] = (row[j] - mean[j]) / scale[j];
        }
        return z;
    }

    // -------------------------------------------------------------------------------------------
    // helpers

    /** The rows of a 2-D tensor [n, d] (any floating dtype) as float arrays. */
    static float[][] rows(Tensor t) {
        if (t.ndim() != 2) throw new IllegalArgumentException("features must be [n, d], got " + t);
        int n = t.size(0), d = t.size(1);
        float[] flat = t.toFloatArray();
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        return out;
    }

    private static void checkFeatures(float[][] x, int d, String what) {
        for (int i = 0; i < x.length; i++) {
            if (x[i] == null || x[i].length != d)
                throw new IllegalArgumentException(what + " row " + i + " has " + (x[i] == null ? "no" : x[i].length) + " features, expected " + d);
        }
    }

    /** Checks rows, labels and finiteness; returns the feature dimension. */
    private static int checkData(float[][] x, int[] y, int classes, int d, String what) {
        if (classes < 1) throw new IllegalArgumentException("need at least one class, got " + classes);
        if (x.length != y.length) throw new IllegalArgumentException(what + ": " + x.length + " feature rows but " + y.length + " labels");
        if (d < 0) {
            if (x.length == 0) throw new IllegalArgumentException("no " + what + " examples");
            if (x[0] == null || x[0].length == 0) throw new IllegalArgumentException(what + " row 0 has no features");
            d = x[0].length;
        }
        checkFeatures(x, d, what);
        for (int i = 0; i < x.length; i++) {
            if (y[i] < 0 || y[i] >= classes) throw new IllegalArgumentException(what + " label " + y[i] + " outside the " + classes + " classes");
            for (float v : x[i]) if (!Float.isFinite(v)) throw new IllegalArgumentException(what + " row " + i + " has a non-finite feature " + v);
        }
        return d;
    }
}
