package org.conv4j.examples;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;

/**
 * A small CNN: the forward pass of LeNet-5 (LeCun et al., 1998) on a batch of 32x32 grey images, with random
 * weights. The convolutions run on conv4j; ReLU, max pooling and softmax are plain Java loops over the
 * NCHW arrays.
 *
 * <pre>
 * java -jar conv-examples/target/conv-examples.jar lenet [BATCH]
 * </pre>
 *
 * <pre>
 * layer  operation                         output (per image)
 * conv1  6 filters 5x5, ReLU               6 x 28 x 28
 * pool1  max 2x2, stride 2                 6 x 14 x 14
 * conv2  16 filters 5x5, ReLU              16 x 10 x 10
 * pool2  max 2x2, stride 2                 16 x 5 x 5
 * conv3  120 filters 5x5, ReLU             120 x 1 x 1
 * fc4    120 -> 84 (a 1x1 convolution), ReLU   84 x 1 x 1
 * fc5    84 -> 10 (a 1x1 convolution), softmax 10 x 1 x 1
 * </pre>
 * A fully connected layer on a {@code C x 1 x 1} input is a 1x1 convolution with weight {@code (out, C, 1, 1)},
 * so the whole network is five convolutions.
 */
public final class LeNet5 {

    private static final ConvParams VALID = ConvParams.DEFAULT;
    private static final String[] NAMES = {"conv1", "conv2", "conv3", "fc4", "fc5"};

    private final Tensor4D[] weights;
    private final float[][] biases;

    private LeNet5(Tensor4D[] weights, float[][] biases) {
        this.weights = weights;
        this.biases = biases;
    }

    /**
     * A network with He-uniform random weights (uniform in {@code +-sqrt(6 / fan-in)}) and zero biases.
     *
     * @param seed the seed of the weights
     * @return the network
     */
    public static LeNet5 random(long seed) {
        int[][] shapes = {{6, 1, 5, 5}, {16, 6, 5, 5}, {120, 16, 5, 5}, {84, 120, 1, 1}, {10, 84, 1, 1}};
        Tensor4D[] w = new Tensor4D[shapes.length];
        float[][] b = new float[shapes.length][];
        for (int l = 0; l < shapes.length; l++) {
            int[] s = shapes[l];
            w[l] = Tensor4D.random(seed + l, s[0], s[1], s[2], s[3]);   // uniform in [-1, 1)
            float bound = (float) Math.sqrt(6.0 / (s[1] * s[2] * s[3]));
            float[] d = w[l].data();
            for (int i = 0; i < d.length; i++) {
                d[i] *= bound;
            }
            b[l] = new float[s[0]];
        }
        return new LeNet5(w, b);
    }

    /**
     * Runs the example: {@code [BATCH]}, default 256 images.
     *
     * @param args the batch size, optional
     */
    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        LeNet5 net = random(7);
        Tensor4D images = Tensor4D.random(1, batch, 1, 32, 32);
        net.printPlans(images);

        Tensor4D probabilities = net.forward(images, Conv2d.selecting());   // first call: warm-up
        int reps = 5;
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            probabilities = net.forward(images, Conv2d.selecting());
        }
        double ms = (System.nanoTime() - t0) / 1e6 / reps;
        System.out.printf(Locale.ROOT, "forward pass of %d images: %.2f ms (%.0f images/s)%n", batch, ms, batch / ms * 1e3);
        System.out.println("predicted classes (count per class 0-9): " + Arrays.toString(classCounts(probabilities)));

        // The same batch in native memory, channels-last: every layer's output stays native NHWC.
        try (Tensor4D nativeImages = images.toNative(MemoryLayout.NHWC);
             Tensor4D nativeProbabilities = net.forward(nativeImages, Conv2d.selecting())) {
            System.out.printf(Locale.ROOT, "native NHWC input: output %s %s, largest difference from the heap run %.2e%n",
                    nativeProbabilities.layout(), nativeProbabilities.isNative() ? "native" : "heap",
                    nativeProbabilities.maxAbsDiff(probabilities));
        }
    }

    /**
     * The forward pass: class probabilities for each image.
     *
     * @param images a {@code (N, 1, 32, 32)} batch
     * @param backend the backend of the convolutions, e.g. {@link Conv2d#selecting()} or
     *        {@code Conv2d.backend("naive")}
     * @return a {@code (N, 10, 1, 1)} tensor whose ten values per image sum to 1
     */
    public Tensor4D forward(Tensor4D images, ConvBackend backend) {
        if (!images.hasShape(images.n(), 1, 32, 32)) {
            throw new IllegalArgumentException("images: expected shape (N, 1, 32, 32), got " + images.shapeString());
        }
        Tensor4D a = images;
        for (int l = 0; l < weights.length; l++) {
            a = replace(a, backend.forward(a, weights[l], biases[l], VALID), images);
            if (l == weights.length - 1) {
                break;
            }
            relu(a);
            if (l < 2) {
                a = replace(a, maxPool2(a), images);
            }
        }
        softmax(a);
        return a;
    }

    /** Prints, per layer, its output shape and the backend {@link Conv2d} picks for it. */
    private void printPlans(Tensor4D images) {
        Tensor4D a = images;
        for (int l = 0; l < weights.length; l++) {
            ConvShape shape = ConvShape.forward(a, weights[l], biases[l], VALID);
            System.out.printf(Locale.ROOT, "%-5s -> [%d, %d, %d, %d]  %s%n", NAMES[l], shape.batch(),
                    shape.outChannels(), shape.outH(), shape.outW(), Conv2d.plan(shape, ConvPass.FORWARD).backend().name());
            a = Tensor4D.zeros(shape.batch(), shape.outChannels(), l < 2 ? shape.outH() / 2 : shape.outH(),
                    l < 2 ? shape.outW() / 2 : shape.outW());
        }
    }

    /** {@code next}, after closing {@code previous} unless it is the network's input (frees native memory at once). */
    private static Tensor4D replace(Tensor4D previous, Tensor4D next, Tensor4D input) {
        if (previous != input) {
            previous.close();
        }
        return next;
    }

    /** max(0, v) in place; element by element, so the same in any layout and storage. */
    static void relu(Tensor4D t) {
        FloatBuffer d = t.buffer();
        for (int i = 0; i < t.size(); i++) {
            d.put(i, Math.max(0f, d.get(i)));
        }
    }

    /**
     * 2x2 max pooling with stride 2 (H and W even): NCHW index arithmetic as in {@link Tensor4D#index} on a heap NCHW
     * tensor, logical indices otherwise (the result in the input's storage and layout).
     */
    static Tensor4D maxPool2(Tensor4D t) {
        int oh = t.h() / 2;
        int ow = t.w() / 2;
        if (!t.isHeapNchw()) {
            Tensor4D out = t.isNative() ? Tensor4D.allocateNative(t.layout(), t.n(), t.c(), oh, ow)
                    : Tensor4D.zeros(t.layout(), t.n(), t.c(), oh, ow);
            for (int n = 0; n < t.n(); n++) {
                for (int c = 0; c < t.c(); c++) {
                    for (int y = 0; y < oh; y++) {
                        for (int x = 0; x < ow; x++) {
                            out.set(n, c, y, x, Math.max(Math.max(t.get(n, c, 2 * y, 2 * x), t.get(n, c, 2 * y, 2 * x + 1)),
                                    Math.max(t.get(n, c, 2 * y + 1, 2 * x), t.get(n, c, 2 * y + 1, 2 * x + 1))));
                        }
                    }
                }
            }
            return out;
        }
        Tensor4D out = Tensor4D.zeros(t.n(), t.c(), oh, ow);
        float[] in = t.data();
        float[] o = out.data();
        int w = t.w();
        for (int plane = 0; plane < t.n() * t.c(); plane++) {
            int src = plane * t.h() * w;
            int dst = plane * oh * ow;
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    int i = src + 2 * y * w + 2 * x;
                    o[dst + y * ow + x] = Math.max(Math.max(in[i], in[i + 1]), Math.max(in[i + w], in[i + w + 1]));
                }
            }
        }
        return out;
    }

    /** Softmax over the channels of each image of an {@code (N, C, 1, 1)} tensor, in place. */
    static void softmax(Tensor4D t) {
        if (!t.isHeapNchw()) {
            Tensor4D heap = t.toHeapNchw(); // ten values per image: a copy costs nothing here
            softmax(heap);
            t.copyFrom(heap);
            return;
        }
        float[] d = t.data();
        int c = t.c();
        for (int n = 0; n < t.n(); n++) {
            int base = n * c;
            float max = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) {
                max = Math.max(max, d[base + k]);
            }
            double sum = 0;
            for (int k = 0; k < c; k++) {
                // minus the maximum: exp cannot overflow, and the ratio is unchanged
                d[base + k] = (float) Math.exp(d[base + k] - max);
                sum += d[base + k];
            }
            for (int k = 0; k < c; k++) {
                d[base + k] = (float) (d[base + k] / sum);
            }
        }
    }

    /**
     * How many images each class wins.
     *
     * @param probabilities the output of {@link #forward}
     * @return ten counts
     */
    public static int[] classCounts(Tensor4D probabilities) {
        int[] counts = new int[probabilities.c()];
        for (int n = 0; n < probabilities.n(); n++) {
            int best = 0;
            for (int k = 1; k < probabilities.c(); k++) {
                if (probabilities.get(n, k, 0, 0) > probabilities.get(n, best, 0, 0)) {
                    best = k;
                }
            }
            counts[best]++;
        }
        return counts;
    }
}
