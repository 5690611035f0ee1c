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
import org.conv4j.api.CostModel;
import org.conv4j.api.CostProfile;

/**
 * Fits one {@link CostProfile} model to measured times: the parameters that minimise
 * <pre>
 *   sum over samples (ln predicted - ln measured)^2  +  PRIOR * sum over parameters (ln p - ln p0)^2
 * </pre>
 * where {@code p0} are the profile's values before the fit. Errors are relative (logarithms), so a 50 us layer
 * counts as much as a 500 ms one: the choice between backends is a ratio on every layer. The small prior keeps a
 * parameter the samples do not constrain (a half-speed side larger than every sample's) where it was. Parameters
 * are fitted as logarithms, so they stay positive; a parameter that is 0 in the profile (no lowering copy, a side
 * that never slows the product) stays 0, and a model with fewer than {@link #MIN_SAMPLES_FOR_SHAPE} samples fits
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
            keys.add(forward || profile.text(name + ".fixedBackwardNs") != null ? "fixedBackwardNs" : "fixedNs");
        }
        keys.add("efficiency");
        if (samples.size() >= MIN_SAMPLES_FOR_SHAPE) {
            for (String k : new String[] {"copyFactor", "halfM", "halfK", "halfN"}) {
                if (profile.numberOr(name + "." + k, 0) > 0) {
                    keys.add(k);
                }
            }
        }
        double fixedDefault = profile.number(name + ".fixedNs");
        double[] start = new double[keys.size()];
        for (int i = 0; i < start.length; i++) {
            String key = name + "." + keys.get(i);
            start[i] = Math.log(Math.max(1e-9, key.endsWith(".fixedBackwardNs")
                    ? profile.numberOr(key, fixedDefault) : profile.number(key)));
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
        java.util.Arrays.sort(e);
        return e.length % 2 == 1 ? e[e.length / 2] : (e[e.length / 2 - 1] + e[e.length / 2]) / 2;
    }
}
