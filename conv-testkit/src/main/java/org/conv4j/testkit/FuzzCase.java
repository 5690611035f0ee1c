package org.conv4j.testkit;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;

import java.util.SplittableRandom;

/**
 * One call of the differential fuzzer ({@link Fuzzer}): a random layer, the pass to run on it, and optionally one
 * non-finite value planted in one operand. Everything follows from {@link #seed}, so a printed seed replays the
 * call ({@link #of(long)}).
 *
 * <p>The layers are small (sides up to 10, up to 12 channels) so that a second covers thousands of them, and drawn
 * to reach the corners where kernels go wrong: sides of 1 and 2, 1-wide kernels, kernels as large as the padded
 * input, padding larger than the input (outputs whose window sees only padding), strides and dilations larger than
 * the input, uneven four-sided padding, groups and depthwise layers, every padding mode, transposed layers with
 * output padding. About one in eight is invalid on purpose (a kernel larger than the padded input, a reflected pad
 * as large as the input), so that rejections are compared too.
 *
 * @param seed        the case's seed
 * @param layer       geometry and data (for the transposed passes read as {@link ConvCase#transposedWeight()})
 * @param pass        the pass to run
 * @param into        for {@link ConvPass#FORWARD}: through {@code forwardInto} a NaN-filled output
 * @param poisoned    which operand gets a non-finite value: 0 none, 1 input, 2 weight, 3 gradOutput
 * @param poison      the non-finite value (NaN, +Inf or -Inf)
 * @param poisonIndex where in the operand, as a fraction of its length in [0, 1)
 * @param storages    per operand (input, weight, gradOutput, forwardInto's output), two bits each: bit 0 NHWC, bit 1
 *                    native memory; zero (all heap NCHW) in half the cases
 */
public record FuzzCase(long seed, ConvCase layer, ConvPass pass, boolean into, int poisoned, float poison,
                       double poisonIndex, int storages) {

    private static final ConvPass[] PASSES = ConvPass.values();
    private static final float[] POISONS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    /**
     * The case of {@code seed}.
     *
     * @param seed the random seed
     * @return the case
     */
    public static FuzzCase of(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        ConvPass pass = PASSES[r.nextInt(PASSES.length)];
        boolean transposed = pass == ConvPass.TRANSPOSED_FORWARD || pass == ConvPass.TRANSPOSED_BACKWARD;
        int n = 1 + r.nextInt(3);
        int groups;
        int c;
        int k;
        switch (r.nextInt(4)) {
            case 0, 1 -> {
                groups = 1;
                c = 1 + r.nextInt(r.nextInt(4) == 0 ? 12 : 4);
                k = 1 + r.nextInt(r.nextInt(4) == 0 ? 12 : 4);
            }
            case 2 -> {
                groups = 2 + r.nextInt(2);
                c = groups * (1 + r.nextInt(3));
                k = groups * (1 + r.nextInt(3));
            }
            default -> { // depthwise, with a channel multiplier of 1 or 2
                c = 1 + r.nextInt(8);
                groups = c;
                k = c * (1 + r.nextInt(2));
            }
        }
        int h = side(r);
        int w = side(r);
        int[] pad = {padding(r), padding(r), padding(r), padding(r)};
        int sh = stride(r);
        int sw = stride(r);
        int dh = dilation(r);
        int dw = dilation(r);
        PaddingMode mode = PaddingMode.ZEROS;
        if (!transposed && r.nextInt(4) == 0) {
            mode = PaddingMode.values()[1 + r.nextInt(PaddingMode.values().length - 1)];
            if (r.nextInt(8) != 0) { // mostly within the mode's limits: reflect < side, circular <= side
                int limitH = mode == PaddingMode.REFLECT ? h - 1 : mode == PaddingMode.CIRCULAR ? h : Integer.MAX_VALUE;
                int limitW = mode == PaddingMode.REFLECT ? w - 1 : mode == PaddingMode.CIRCULAR ? w : Integer.MAX_VALUE;
                pad = new int[] {Math.min(pad[0], limitH), Math.min(pad[1], limitH), Math.min(pad[2], limitW),
                        Math.min(pad[3], limitW)};
            }
        }
        int kh = kernel(r, h + pad[0] + pad[1], dh);
        int kw = kernel(r, w + pad[2] + pad[3], dw);
        ConvParams.Builder p = ConvParams.builder().stride(sh, sw).padding(pad[0], pad[1], pad[2], pad[3])
                .dilation(dh, dw).groups(groups).paddingMode(mode);
        if (transposed) {
            // PyTorch's rule: output padding below the stride or the dilation, each way; one in eight breaks it
            int oh = r.nextInt(3) == 0 ? r.nextInt(Math.max(sh, dh) + (r.nextInt(8) == 0 ? 1 : 0)) : 0;
            int ow = r.nextInt(3) == 0 ? r.nextInt(Math.max(sw, dw) + (r.nextInt(8) == 0 ? 1 : 0)) : 0;
            p.outputPadding(oh, ow);
        }
        ConvParams params;
        try {
            params = p.build();
        } catch (IllegalArgumentException e) {
            // a combination the builder itself rejects (e.g. output padding too large): drop it
            params = p.outputPadding(0).build();
        }
        ConvCase layer = new ConvCase("fuzz", seed, n, c, h, w, k, kh, kw, params, r.nextBoolean());
        int poisoned = r.nextInt(6) == 0 ? 1 + r.nextInt(3) : 0;
        return new FuzzCase(seed, layer, pass, pass == ConvPass.FORWARD && r.nextBoolean(), poisoned,
                POISONS[r.nextInt(POISONS.length)], r.nextDouble(), r.nextBoolean() ? r.nextInt(256) : 0);
    }

    /** Sides of 1 and 2 often, otherwise up to 10. */
    private static int side(SplittableRandom r) {
        return r.nextInt(3) == 0 ? 1 + r.nextInt(2) : 1 + r.nextInt(10);
    }

    /** Half the time none; else 1 to 4 (often more than a small side). */
    private static int padding(SplittableRandom r) {
        return r.nextBoolean() ? 0 : 1 + r.nextInt(4);
    }

    private static int stride(SplittableRandom r) {
        return r.nextInt(3) == 0 ? 2 + r.nextInt(3) : 1;
    }

    private static int dilation(SplittableRandom r) {
        return r.nextInt(4) == 0 ? 2 + r.nextInt(3) : 1;
    }

    /**
     * A kernel side that fits the padded side {@code padded} at dilation {@code d}, from 1 to as large as fits
     * (a third of the time exactly that: the kernel equals the padded input); one in eight is 1 to 6 whether it
     * fits or not.
     */
    private static int kernel(SplittableRandom r, int padded, int d) {
        int fits = Math.max(1, (padded - 1) / d + 1);
        if (r.nextInt(8) == 0) {
            return 1 + r.nextInt(6);
        }
        if (r.nextInt(3) == 0) {
            return Math.min(fits, 7);
        }
        return 1 + r.nextInt(Math.min(fits, 5));
    }

    /** Plants the case's non-finite value in {@code t} if {@code operand} is the poisoned one; returns {@code t}. */
    Tensor4D poison(int operand, Tensor4D t) {
        if (poisoned == operand && t.size() > 0) {
            t.data()[(int) (poisonIndex * t.size())] = poison;
        }
        return t;
    }

    /**
     * {@code t} (heap NCHW) in the storage and layout the case gives operand {@code operand} (0 input, 1 weight,
     * 2 gradOutput, 3 forwardInto's output): itself, or a copy.
     */
    Tensor4D stored(int operand, Tensor4D t) {
        int bits = storages >> (2 * operand) & 3;
        MemoryLayout layout = (bits & 1) != 0 ? MemoryLayout.NHWC : MemoryLayout.NCHW;
        return (bits & 2) != 0 ? t.toNative(layout) : t.toLayout(layout);
    }

    /** The storage and layout of each operand, for messages; empty if all are heap NCHW. */
    String storagesString() {
        if (storages == 0) {
            return "";
        }
        StringBuilder b = new StringBuilder(" [storage:");
        String[] names = {"input", "weight", "dL/dy", "output"};
        for (int i = 0; i < names.length; i++) {
            int bits = storages >> (2 * i) & 3;
            b.append(' ').append(names[i]).append(' ').append((bits & 2) != 0 ? "native " : "heap ")
                    .append((bits & 1) != 0 ? "NHWC" : "NCHW");
        }
        return b.append(']').toString();
    }

    @Override
    public String toString() {
        String where = switch (poisoned) {
            case 1 -> " with " + poison + " in the input";
            case 2 -> " with " + poison + " in the weight";
            case 3 -> " with " + poison + " in gradOutput";
            default -> "";
        };
        return pass + (into ? " (into a NaN-filled output)" : "") + where + ", " + layer + storagesString()
                + " [replay: FuzzCase.of(" + seed + "L)]";
    }
}
