package org.conv4j.examples;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;

import java.util.Locale;

/**
 * Learning a kernel: recovers an unknown 5x5 filter and its bias from input/output pairs by gradient descent
 * on the gradients {@link Conv2d#backward} returns.
 *
 * <pre>
 * java -jar conv-examples/target/conv-examples.jar learn-kernel [STEPS] [BATCH]
 * </pre>
 *
 * <p>The pairs: {@code BATCH} random 32x32 images {@code x} (uniform in [-1, 1)) and their targets
 * {@code t = conv(x, w*) + b*}, computed by the reference backend ({@code naive}) with a hidden random
 * filter {@code w*} and bias {@code b*}. The model {@code y = conv(x, w) + b} starts from {@code w = 0, b = 0}
 * and minimises the mean squared error
 * <pre>
 *   L = 1/(2M) * sum (y - t)^2          over the M = BATCH * 28 * 28 output elements,
 *   dL/dy = (y - t) / M,
 * </pre>
 * for which {@code Conv2d.backward(x, w, dL/dy, params)} returns {@code dL/dw} and {@code dL/db}; each step
 * sets {@code w -= lr * dL/dw}, {@code b -= lr * dL/db}.
 *
 * <p>Why it converges, and why {@code lr = 1.5}: L is quadratic in (w, b), with Hessian
 * {@code 1/M sum p p^T} over the 25-value input patches {@code p} extended by a constant 1 for the bias. For
 * inputs uniform in [-1, 1) its expectation is {@code diag(1/3, ..., 1/3, 1)}, so each step multiplies the
 * weight error by about {@code 1 - lr/3 = 0.5} and the bias error by {@code 1 - lr = -0.5}, until float
 * rounding stops it. A wrong gradient would not converge to the hidden filter.
 */
public final class LearnKernel {

    /** Learning rate; see the class comment. */
    public static final float LEARNING_RATE = 1.5f;

    /**
     * What {@link #run} learned.
     *
     * @param losses the loss before each step, then after the last one ({@code steps + 1} values)
     * @param learned the learned filter {@code (1, 1, 5, 5)}
     * @param learnedBias the learned bias
     * @param hidden the filter that made the targets
     * @param hiddenBias the bias that made the targets
     */
    public record Result(double[] losses, Tensor4D learned, float learnedBias, Tensor4D hidden, float hiddenBias) {

        /** @return the largest absolute difference between the learned and the hidden filter and bias */
        public double maxError() {
            return Math.max(learned.maxAbsDiff(hidden), Math.abs(learnedBias - hiddenBias));
        }
    }

    private LearnKernel() {
    }

    /**
     * Runs the example: {@code [STEPS] [BATCH]}, default 40 steps on 16 images.
     *
     * @param args the step count and the batch size, both optional
     */
    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        Result r = run(steps, batch, 2026L, true);
        System.out.printf(Locale.ROOT, "largest error of the learned filter and bias: %.2e%n", r.maxError());
    }

    /**
     * Learns the filter by {@code steps} steps of gradient descent on {@code batch} images.
     *
     * @param steps the number of gradient steps
     * @param batch the number of 32x32 training images
     * @param seed the seed of the images and the hidden filter
     * @param print whether to print the loss as it falls
     * @return the losses and the learned and hidden filters
     */
    public static Result run(int steps, int batch, long seed, boolean print) {
        ConvParams valid = ConvParams.DEFAULT;              // stride 1, no padding: every output sees 25 inputs
        Tensor4D x = Tensor4D.random(seed, batch, 1, 32, 32);
        Tensor4D hidden = Tensor4D.random(seed + 1, 1, 1, 5, 5);
        float hiddenBias = 0.25f;
        Tensor4D target = Conv2d.backend("naive").forward(x, hidden, new float[] {hiddenBias}, valid);

        Tensor4D w = Tensor4D.zeros(1, 1, 5, 5);
        float[] b = {0f};
        int m = target.size();
        double[] losses = new double[steps + 1];
        if (print) {
            System.out.println(Conv2d.plan(ConvShape.backward(x, w, target, valid), ConvPass.BACKWARD));
        }
        for (int step = 0; step <= steps; step++) {
            Tensor4D y = Conv2d.forward(x, w, b, valid);
            float[] dy = y.data();                          // reused in place: becomes dL/dy = (y - t) / M
            float[] t = target.data();
            double sum = 0;
            for (int i = 0; i < m; i++) {
                float r = dy[i] - t[i];
                sum += (double) r * r;
                dy[i] = r / m;
            }
            losses[step] = sum / (2.0 * m);
            if (print && (step < 5 || step % 5 == 0 || step == steps)) {
                System.out.printf(Locale.ROOT, "step %3d  loss %.3e%n", step, losses[step]);
            }
            if (step == steps) {
                break;
            }
            ConvGradients g = Conv2d.backward(x, w, y, valid);
            float[] wd = w.data();
            float[] gw = g.weight().data();
            for (int i = 0; i < wd.length; i++) {
                wd[i] -= LEARNING_RATE * gw[i];
            }
            b[0] -= LEARNING_RATE * g.bias()[0];
        }
        return new Result(losses, w, b[0], hidden, hiddenBias);
    }
}
