package org.conv4j.testkit;

import org.conv4j.api.Conv1dParams;
import org.conv4j.api.PaddingMode;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The 1D configurations the kit runs on every backend: named edge cases, padding modes, transposed, a seeded sweep. */
public final class Conv1dCases {

    /**
     * The longest dilated kernel of the sweep, as in the 2D sweep: backends may limit their transforms (the FFT
     * backend's tiled test caps them at 24).
     */
    public static final int MAX_DILATED_KERNEL = 17;

    private Conv1dCases() {
    }

    private static Conv1dParams.Builder p() {
        return Conv1dParams.builder();
    }

    /**
     * Hand-picked cases, each named for the corner it exercises: primes, a kernel of 1, a kernel equal to the
     * input or to the padded input, an output of length 1, stride larger than the kernel, asymmetric and causal
     * padding, dilation (a WaveNet-style dilated causal stack layer), groups and depthwise, same padding, a kernel
     * longer than the input, long inputs and larger GEMMs.
     *
     * @return the cases
     */
    public static List<Conv1dCase> edgeCases() {
        List<Conv1dCase> cases = new ArrayList<>();
        long s = 7000;
        cases.add(new Conv1dCase("1D worked example", s++, 1, 1, 4, 1, 2, p().build(), true));
        cases.add(new Conv1dCase("1D primes", s++, 3, 5, 23, 7, 3, p().stride(2).padding(1).build(), true));
        cases.add(new Conv1dCase("1D kernel 1", s++, 2, 5, 13, 3, 1, p().build(), false));
        cases.add(new Conv1dCase("1D kernel 1, stride 2", s++, 2, 4, 11, 3, 1, p().stride(2).build(), true));
        cases.add(new Conv1dCase("1D kernel equals input", s++, 3, 2, 7, 4, 7, p().build(), true));
        cases.add(new Conv1dCase("1D kernel equals padded input", s++, 2, 3, 5, 2, 8, p().padding(1, 2).build(), false));
        cases.add(new Conv1dCase("1D output length 1 by stride", s++, 1, 2, 6, 3, 3, p().stride(4).build(), true));
        cases.add(new Conv1dCase("1D stride larger than kernel", s++, 2, 3, 17, 4, 2, p().stride(5).build(), true));
        cases.add(new Conv1dCase("1D asymmetric padding", s++, 2, 3, 11, 5, 3, p().padding(0, 3).build(), true));
        cases.add(new Conv1dCase("1D causal, dilation 4 (WaveNet layer)", s++, 2, 4, 31, 4, 2,
                p().dilation(4).padding(4, 0).build(), true));
        cases.add(new Conv1dCase("1D dilation, stride and padding", s++, 1, 4, 29, 3, 3,
                p().dilation(3).stride(2).padding(2, 1).build(), false));
        cases.add(new Conv1dCase("1D groups 2", s++, 2, 6, 9, 4, 3, p().groups(2).padding(1).build(), true));
        cases.add(new Conv1dCase("1D depthwise", s++, 2, 5, 19, 5, 5, p().groups(5).padding(2).build(), true));
        cases.add(new Conv1dCase("1D depthwise, multiplier 2, stride 2", s++, 1, 4, 12, 8, 3,
                p().groups(4).stride(2).padding(1).build(), false));
        cases.add(new Conv1dCase("1D same padding, stride 2, odd total", s++, 2, 3, 10, 4, 4,
                p().stride(2).samePadding(10, 4).build(), true));
        cases.add(new Conv1dCase("1D kernel longer than input, padded", s++, 1, 2, 3, 3, 7, p().padding(3).build(), true));
        cases.add(new Conv1dCase("1D padding wider than the kernel", s++, 1, 2, 4, 3, 2, p().padding(5, 6).build(), true));
        cases.add(new Conv1dCase("1D long input, large kernel", s++, 1, 3, 257, 4, 15, p().padding(7).build(), true));
        cases.add(new Conv1dCase("1D larger GEMM", s++, 2, 32, 64, 16, 3, p().padding(1).build(), true));
        return cases;
    }

    /**
     * Each padding mode other than zeros: plain, asymmetric with stride, dilated with groups, and the mode's limit
     * (a reflected pad of length - 1, a circular pad of the whole length, a replicated pad longer than the input).
     *
     * @return the cases
     */
    public static List<Conv1dCase> paddingModeCases() {
        List<Conv1dCase> cases = new ArrayList<>();
        long s = 7100;
        for (PaddingMode m : ConvCases.COPYING_MODES) {
            String n = "1D " + m + ", ";
            cases.add(new Conv1dCase(n + "kernel 3 pad 1", s++, 2, 3, 7, 4, 3, p().padding(1).paddingMode(m).build(), true));
            cases.add(new Conv1dCase(n + "asymmetric padding, stride 2", s++, 1, 2, 9, 3, 3,
                    p().padding(2, 0).stride(2).paddingMode(m).build(), true));
            cases.add(new Conv1dCase(n + "dilation 2, groups 2", s++, 2, 4, 10, 4, 3,
                    p().dilation(2).groups(2).padding(2, 3).paddingMode(m).build(), false));
            int w = 4;
            int pad = m == PaddingMode.REFLECT ? w - 1 : m == PaddingMode.CIRCULAR ? w : 2 * w + 1;
            cases.add(new Conv1dCase(n + "pad at the mode's limit", s++, 1, 2, w, 2, 3,
                    p().padding(pad, pad).paddingMode(m).build(), true));
        }
        return cases;
    }

    /**
     * Transposed 1D convolutions ({@link Conv1dCase#transposedWeight()}: {@code k} is the output channel count):
     * upsampling by 2 (kernel 4, padding 1), output padding, dilation with output padding below the dilation,
     * groups, depthwise, kernel 1 with stride, primes, a one-element input, padding that crops the output.
     *
     * @return the cases
     */
    public static List<Conv1dCase> transposedCases() {
        List<Conv1dCase> cases = new ArrayList<>();
        long s = 7200;
        cases.add(new Conv1dCase("1D transposed kernel 4 stride 2 pad 1", s++, 2, 3, 9, 4, 4, p().stride(2).padding(1).build(), true));
        cases.add(new Conv1dCase("1D transposed stride 2, output padding 1", s++, 1, 4, 7, 3, 3,
                p().stride(2).padding(1).outputPadding(1).build(), true));
        cases.add(new Conv1dCase("1D transposed dilation 3, output padding 2", s++, 1, 3, 6, 2, 3,
                p().dilation(3).padding(1).outputPadding(2).build(), false));
        cases.add(new Conv1dCase("1D transposed groups 2, stride 3", s++, 2, 4, 5, 6, 3, p().groups(2).stride(3).padding(0, 2).build(), true));
        cases.add(new Conv1dCase("1D transposed depthwise", s++, 1, 3, 11, 3, 5, p().groups(3).padding(2).build(), true));
        cases.add(new Conv1dCase("1D transposed kernel 1 stride 2, output padding 1", s++, 2, 5, 4, 3, 1,
                p().stride(2).outputPadding(1).build(), true));
        cases.add(new Conv1dCase("1D transposed primes", s++, 3, 3, 13, 5, 5, p().stride(3).padding(2, 1).build(), true));
        cases.add(new Conv1dCase("1D transposed one-element input", s++, 2, 4, 1, 3, 4, p().build(), true));
        cases.add(new Conv1dCase("1D transposed padding crops the output", s++, 1, 2, 6, 2, 5, p().padding(4, 3).build(), false));
        return cases;
    }

    /**
     * {@code count} random valid configurations from {@code seed}: lengths 1 to 40, kernels 1 to 9, strides 1 to 4,
     * dilations 1 to 4 (a dilated kernel of at most {@value #MAX_DILATED_KERNEL}), paddings 0 to 4 per side, groups 1, 2, 3 or depthwise, batch 1 to 3, with and without bias.
     *
     * @param seed the seed of the configurations
     * @param count the number of configurations
     * @return the cases
     */
    public static List<Conv1dCase> sweep(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Conv1dCase> cases = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long caseSeed = r.nextLong();
            int cg = 1 + r.nextInt(4);
            int kg = 1 + r.nextInt(3);
            int groups = switch (r.nextInt(6)) {
                case 0 -> 2;
                case 1 -> 3;
                case 2 -> {
                    cg = 1; // depthwise: one channel per group
                    yield 1 + r.nextInt(6);
                }
                default -> 1;
            };
            int kw = 1 + r.nextInt(9);
            int d = r.nextInt(3) == 0 ? 1 + r.nextInt(4) : 1;
            if ((kw - 1) * d + 1 > MAX_DILATED_KERNEL) {
                d = 1;
            }
            int stride = r.nextInt(3) == 0 ? 1 + r.nextInt(4) : 1;
            int left = r.nextBoolean() ? r.nextInt(5) : 0;
            int right = r.nextBoolean() ? r.nextInt(5) : 0;
            int w = Math.max(Math.max(1, (kw - 1) * d + 1 - left - right), 1 + r.nextInt(40));
            cases.add(new Conv1dCase("1D sweep #" + i, caseSeed, 1 + r.nextInt(3), groups * cg, w, groups * kg, kw,
                    p().stride(stride).padding(left, right).dilation(d).groups(groups).build(), r.nextBoolean()));
        }
        return cases;
    }
}
