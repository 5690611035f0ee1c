package org.conv4j.bench.calibrate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.math3.analysis.MultivariateFunction;
import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.PointValuePair;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.noderiv.NelderMeadSimplex;
import org.apache.commons.math3.optim.nonlinear.scalar.noderiv.SimplexOptimizer;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.spi.CostModel;
import org.conv4j.spi.CostProfile;

/**
 * Fits one {@link CostProfile} model to measured times: the parameters that minimise
 * <pre>
 *   sum over samples (ln predicted - ln measured)^2  +  PRIOR * sum over parameters (ln p - ln p0)^2
 * </pre>
 * where {@code p0} are the profile's values before the fit. Errors are relative (logarithms), so a 50 us layer
 * counts as much as a 500 ms one: the choice between backends is a ratio on every layer. The small prior keeps a
 * parameter the samples do not constrain (a half-speed side larger than every sample's) where it was. Parameters
 * are fitted as logarithms, so they stay positive; a parameter that is 0 in the profile (no lowering copy, a side
 * that never slows the product) stays 0; a model the profile does not give yet starts from its parent's values
 * ({@link CostProfile#model}) and gets values of its own; a model with fewer than {@link #MIN_SAMPLES_FOR_SHAPE} samples fits
 * only its fixed costs and efficiency.
 */
final class ModelFit {

    /** One measured call: the geometry, the pass and its fastest time. */
    record Sample(ConvShape shape, ConvPass pass, double nanos) {
    }

    /** The fitted values of the model's keys and the median relative error before and after. */
    record Result(String model, Map<String, String> values, int samples, double errorBefore, double errorAfter) {
    }

    /** Weight of the pull towards the previous values. */
    static final double PRIOR = 0.01;

    /** Samples per free parameter below which the rate curve's half-speed sides are not fitted. */
    static final int MIN_SAMPLES_FOR_SHAPE = 12;

    private ModelFit() {
    }

    /**
     * Fits model {@code name} of {@code profile} to {@code samples}.
     *
     * @param profile the profile whose model is the starting point
     * @param name the model's name
     * @param samples its measured calls (at least one)
     * @return the fitted values
     */
    static Result fit(CostProfile profile, String name, List<Sample> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("samples: expected at least one for " + name + ", got none");
        }
        boolean forward = samples.stream().anyMatch(s -> s.pass() == ConvPass.FORWARD);
        boolean backward = samples.stream().anyMatch(s -> s.pass() != ConvPass.FORWARD);
        List<String> keys = new ArrayList<>();
        if (forward) {
            keys.add("fixedNs");
        }
        if (backward) {
            keys.add(forward || profile.inherited(name, "fixedBackwardNs") != null ? "fixedBackwardNs" : "fixedNs");
        }
        keys.add("efficiency");
        if (samples.size() >= MIN_SAMPLES_FOR_SHAPE) {
            for (String k : new String[] {"copyFactor", "stagingFactor", "halfM", "halfK", "halfN"}) {
                String v = profile.inherited(name, k);
                if (v != null && Double.parseDouble(v) > 0) {
                    keys.add(k);
                }
            }
        }
        // A model the profile does not give yet starts from its nearest parent's values (CostProfile#model).
        double[] start = new double[keys.size()];
        for (int i = 0; i < start.length; i++) {
            String v = profile.inherited(name, keys.get(i));
            if (v == null && keys.get(i).equals("fixedBackwardNs")) {
                v = profile.inherited(name, "fixedNs");
            }
            if (v == null) {
                throw new IllegalStateException(name + "." + keys.get(i) + ": no value to start the fit from");
            }
            start[i] = Math.log(Math.max(1e-9, Double.parseDouble(v)));
        }
        MultivariateFunction objective = theta -> {
            CostModel m = model(profile, name, keys, theta);
            double sum = 0;
            for (Sample s : samples) {
                double r = Math.log(m.nanos(s.shape(), s.pass()) / s.nanos());
                sum += r * r;
            }
            for (int i = 0; i < theta.length; i++) {
                sum += PRIOR * (theta[i] - start[i]) * (theta[i] - start[i]);
            }
            return Double.isFinite(sum) ? sum : Double.MAX_VALUE;
        };
        double[] best = start;
        SimplexOptimizer optimizer = new SimplexOptimizer(1e-12, 1e-14);
        for (int round = 0; round < 3; round++) { // restarts: Nelder-Mead can stall on a degenerate simplex
            PointValuePair p = optimizer.optimize(new MaxEval(20_000), new ObjectiveFunction(objective),
                    GoalType.MINIMIZE, new InitialGuess(best), new NelderMeadSimplex(best.length, 0.5));
            best = p.getPoint();
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            values.put(name + "." + keys.get(i), String.format(Locale.ROOT, "%.4g", Math.exp(best[i])));
        }
        return new Result(name, values, samples.size(), medianError(profile.model(name), samples),
                medianError(profile.with(values).model(name), samples));
    }

    /**
     * Fits the correction {@code offset + scale * estimate} of a backend's own estimate for one pass to measured
     * times ({@link CostProfile#estimate}), minimising {@code sum (ln predicted - ln measured)^2}, with the offset
     * at least 0 (fitted as the square of a parameter), so that no estimate can turn negative.
     *
     * @param key the keys' common part, e.g. {@code fft.forward}
     * @param estimates the backend's own estimate of each sample
     * @param measured each sample's measured time
     * @return {@code key + "Scale"} and {@code key + "OffsetNs"} with their values, and the errors
     */
    static Result fitCorrection(String key, double[] estimates, double[] measured) {
        MultivariateFunction objective = theta -> {
            double scale = Math.exp(Math.max(-30, Math.min(30, theta[0])));
            double offset = theta[1] * theta[1] * OFFSET_UNIT_NS;
            double sum = 0;
            for (int i = 0; i < estimates.length; i++) {
                double predicted = offset + scale * estimates[i];
                if (!(predicted > 0)) {
                    return Double.MAX_VALUE;
                }
                double r = Math.log(predicted / measured[i]);
                sum += r * r;
            }
            return sum;
        };
        double[] best = {0, 1};
        SimplexOptimizer optimizer = new SimplexOptimizer(1e-12, 1e-14);
        for (int round = 0; round < 3; round++) {
            best = optimizer.optimize(new MaxEval(20_000), new ObjectiveFunction(objective), GoalType.MINIMIZE,
                    new InitialGuess(best), new NelderMeadSimplex(2, 0.5)).getPoint();
        }
        double scale = Math.exp(best[0]);
        double offset = best[1] * best[1] * OFFSET_UNIT_NS;
        Map<String, String> values = new LinkedHashMap<>();
        values.put(key + "Scale", String.format(Locale.ROOT, "%.4g", scale));
        values.put(key + "OffsetNs", String.format(Locale.ROOT, "%.4g", offset));
        double[] before = new double[estimates.length];
        double[] after = new double[estimates.length];
        for (int i = 0; i < estimates.length; i++) {
            before[i] = Math.abs(estimates[i] / measured[i] - 1);
            after[i] = Math.abs((offset + scale * estimates[i]) / measured[i] - 1);
        }
        return new Result(key, values, estimates.length, median(before), median(after));
    }

    /** The scale of the offset in the simplex: a fixed cost is tens of microseconds. */
    private static final double OFFSET_UNIT_NS = 10_000;

    private static double median(double[] e) {
        double[] s = e.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The model with the parameters {@code theta} (logarithms of {@code keys}' values). */
    private static CostModel model(CostProfile profile, String name, List<String> keys, double[] theta) {
        Map<String, String> trial = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            trial.put(name + "." + keys.get(i), Double.toString(Math.exp(Math.max(-30, Math.min(30, theta[i])))));
        }
        return profile.with(trial).model(name);
    }

    /** The median of |predicted / measured - 1| over the samples. */
    static double medianError(CostModel m, List<Sample> samples) {
        double[] e = new double[samples.size()];
        for (int i = 0; i < e.length; i++) {
            Sample s = samples.get(i);
            e[i] = Math.abs(m.nanos(s.shape(), s.pass()) / s.nanos() - 1);
        }
        return median(e);
    }
}
