package org.conv4j.testkit;

import org.conv4j.api.ConvParams;
import org.conv4j.api.PaddingMode;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The configurations the kit sweeps: named edge cases, then a seeded random sweep. */
public final class ConvCases {

    private ConvCases() {
    }

    private static ConvParams.Builder p() {
        return ConvParams.builder();
    }

    /**
     * Hand-picked cases, each named for the corner it exercises.
     *
     * @return the cases
     */
    public static List<ConvCase> edgeCases() {
        List<ConvCase> cases = new ArrayList<>();
        long s = 1000;
        cases.add(new ConvCase("3x3 worked example", s++, 1, 1, 3, 3, 1, 2, 2, p().build(), true));
        cases.add(new ConvCase("1x1 kernel, stride 1, no padding", s++, 2, 5, 13, 11, 7, 1, 1, p().build(), true));
        cases.add(new ConvCase("1x1 kernel, stride 2", s++, 2, 4, 9, 10, 3, 1, 1, p().stride(2).build(), false));
        cases.add(new ConvCase("1x1 kernel, padded", s++, 1, 3, 5, 7, 2, 1, 1, p().padding(1, 0, 2, 1).build(), true));
        cases.add(new ConvCase("1x1 kernel, groups 3", s++, 2, 6, 5, 5, 9, 1, 1, p().groups(3).build(), true));
        cases.add(new ConvCase("kernel equals input", s++, 3, 2, 7, 5, 4, 7, 5, p().build(), true));
        cases.add(new ConvCase("kernel equals padded input", s++, 2, 3, 5, 4, 2, 8, 7, p().padding(1, 2, 0, 3).build(), false));
        cases.add(new ConvCase("output size 1 by stride", s++, 1, 2, 6, 6, 3, 3, 3, p().stride(4).build(), true));
        cases.add(new ConvCase("stride larger than kernel", s++, 2, 3, 17, 13, 4, 2, 2, p().stride(5, 3).build(), true));
        cases.add(new ConvCase("asymmetric padding", s++, 2, 3, 11, 7, 5, 3, 3, p().padding(0, 3, 2, 1).build(), true));
        cases.add(new ConvCase("dilation 2x3 with padding", s++, 2, 3, 13, 17, 4, 3, 3,
                p().dilation(2, 3).padding(2, 1, 3, 0).build(), true));
        cases.add(new ConvCase("dilation, stride and padding", s++, 1, 4, 19, 23, 3, 3, 2,
                p().dilation(3, 2).stride(2, 3).padding(1, 2, 2, 1).build(), false));
        cases.add(new ConvCase("groups 2", s++, 2, 6, 9, 8, 4, 3, 3, p().groups(2).padding(1).build(), true));
        cases.add(new ConvCase("depthwise", s++, 2, 5, 11, 11, 5, 3, 3, p().groups(5).padding(1).build(), true));
        cases.add(new ConvCase("depthwise, multiplier 2, stride 2", s++, 1, 4, 12, 13, 8, 3, 3,
                p().groups(4).stride(2).padding(1).build(), false));
        cases.add(new ConvCase("primes, batch 4", s++, 4, 3, 13, 17, 5, 3, 3, p().stride(2).padding(1).build(), true));
        cases.add(new ConvCase("larger GEMM", s++, 2, 8, 32, 32, 16, 3, 3, p().padding(1).build(), true));
        cases.add(new ConvCase("kernel larger than input, padded", s++, 1, 2, 2, 3, 3, 5, 5, p().padding(2).build(), true));
        cases.add(new ConvCase("one row", s++, 2, 2, 1, 50, 3, 1, 3, p().build(), true));
        cases.add(new ConvCase("one column, stride 3", s++, 1, 3, 41, 1, 2, 4, 1, p().stride(3, 1).build(), false));
        cases.add(new ConvCase("same padding, stride 2, odd total", s++, 2, 3, 10, 9, 4, 4, 3,
                p().stride(2).samePadding(10, 9, 4, 3).build(), true));
        cases.add(new ConvCase("padding wider than the kernel", s++, 1, 2, 4, 5, 3, 2, 1, p().padding(5, 4, 3, 6).build(), true));
        cases.add(new ConvCase("AlexNet-like 11x11 stride 4", s++, 1, 3, 35, 35, 4, 11, 11, p().stride(4).build(), true));
        cases.add(new ConvCase("large kernel 15x15 same", s++, 1, 2, 20, 21, 3, 15, 15, p().samePadding(20, 21, 15, 15).build(), true));
        cases.add(new ConvCase("large kernel, dilated", s++, 1, 2, 30, 28, 2, 7, 9, p().dilation(2).padding(3).build(), false));
        cases.add(new ConvCase("wide rectangular kernel", s++, 2, 3, 8, 31, 2, 2, 13, p().padding(0, 1, 6, 6).build(), true));
        return cases;
    }

    /**
     * {@code count} random valid configurations from {@code seed}: prime and small sizes, kernels 1 to 7,
     * strides 1 to 4, dilations 1 to 3, four independent paddings 0 to 3, groups 1, 2, 3 or depthwise,
     * batch 1 to 3, with and without bias. Sizes are kept small so the naive reference stays quick.
     *
     * @param seed the seed of the configurations
     * @param count the number of configurations
     * @return the cases
     */
    public static List<ConvCase> sweep(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] kernels = {1, 1, 2, 3, 3, 3, 4, 5, 7};
        List<ConvCase> cases = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long caseSeed = r.nextLong();
            int cg = 1 + r.nextInt(4);
            int kg = 1 + r.nextInt(3);
            int groups;
            switch (r.nextInt(6)) {
                case 0: groups = 2; break;
                case 1: groups = 3; break;
                case 2: groups = 1 + r.nextInt(6); cg = 1; break; // depthwise: one channel per group
                default: groups = 1;
            }
            int kh = kernels[r.nextInt(kernels.length)];
            int kw = r.nextInt(3) == 0 ? kernels[r.nextInt(kernels.length)] : kh;
            int dh = r.nextInt(4) == 0 ? 1 + r.nextInt(3) : 1;
            int dw = r.nextInt(4) == 0 ? 1 + r.nextInt(3) : 1;
            int sh = r.nextInt(3) == 0 ? 1 + r.nextInt(4) : 1;
            int sw = r.nextInt(3) == 0 ? 1 + r.nextInt(4) : sh;
            int[] pad = new int[4];
            if (r.nextBoolean()) {
                for (int j = 0; j < 4; j++) {
                    pad[j] = r.nextInt(4);
                }
            }
            int minH = Math.max(1, (kh - 1) * dh + 1 - pad[0] - pad[1]);
            int minW = Math.max(1, (kw - 1) * dw + 1 - pad[2] - pad[3]);
            int h = Math.max(minH, 1 + r.nextInt(17));
            int w = Math.max(minW, 1 + r.nextInt(17));
            ConvParams params = ConvParams.builder().stride(sh, sw).padding(pad[0], pad[1], pad[2], pad[3])
                    .dilation(dh, dw).groups(groups).build();
            cases.add(new ConvCase("sweep #" + i, caseSeed, 1 + r.nextInt(3), groups * cg, h, w, groups * kg,
                    kh, kw, params, r.nextBoolean()));
        }
        return cases;
    }

    /** The padding modes other than zeros, which {@link #paddingModeCases()} and {@link #paddingModeSweep} cover. */
    public static final List<PaddingMode> COPYING_MODES = List.of(PaddingMode.REFLECT, PaddingMode.REPLICATE,
            PaddingMode.CIRCULAR);

    /**
     * Hand-picked cases for each padding mode other than zeros: plain, asymmetric with stride, dilation with
     * groups, depthwise with same padding, 1x1 kernels, primes, one-row inputs, and each mode's limit (a reflected
     * pad of size - 1, a circular pad of the whole size, a replicated pad wider than the input).
     *
     * @return the cases
     */
    public static List<ConvCase> paddingModeCases() {
        List<ConvCase> cases = new ArrayList<>();
        long s = 3000;
        for (PaddingMode m : COPYING_MODES) {
            String n = m + ", ";
            cases.add(new ConvCase(n + "3x3 pad 1", s++, 2, 3, 7, 6, 4, 3, 3, p().padding(1).paddingMode(m).build(), true));
            cases.add(new ConvCase(n + "asymmetric padding, stride 2", s++, 1, 2, 9, 8, 3, 3, 2,
                    p().padding(2, 0, 1, 3).stride(2).paddingMode(m).build(), true));
            cases.add(new ConvCase(n + "dilation 2, groups 2", s++, 2, 4, 10, 9, 4, 3, 3,
                    p().dilation(2).groups(2).padding(2, 1, 2, 2).paddingMode(m).build(), false));
            cases.add(new ConvCase(n + "depthwise, same padding", s++, 1, 5, 11, 7, 5, 3, 3,
                    p().groups(5).samePadding(11, 7, 3, 3).paddingMode(m).build(), true));
            cases.add(new ConvCase(n + "1x1 kernel, padded", s++, 1, 3, 5, 4, 2, 1, 1,
                    p().padding(1, 2, 2, 1).paddingMode(m).build(), true));
            cases.add(new ConvCase(n + "primes, batch 3", s++, 3, 3, 13, 11, 5, 5, 3,
                    p().padding(3, 2, 1, 2).stride(2, 3).paddingMode(m).build(), true));
            cases.add(new ConvCase(n + "one row", s++, 2, 2, 1, 12, 3, 1, 3,
                    p().padding(0, 0, 2, 1).paddingMode(m).build(), true));
            int h = 3;
            int pad = m == PaddingMode.REFLECT ? h - 1 : m == PaddingMode.CIRCULAR ? h : 2 * h + 1;
            cases.add(new ConvCase(n + "pad at the mode's limit", s++, 1, 2, h, 4, 2, 3, 3,
                    p().padding(pad, pad, 1, 2).paddingMode(m).build(), true));
        }
        return cases;
    }

    /**
     * {@code count} random configurations with a padding mode other than zeros: as {@link #sweep}, with every
     * side padded 0 to 3 within the mode's limits.
     *
     * @param seed the seed of the configurations
     * @param count the number of configurations
     * @return the cases
     */
    public static List<ConvCase> paddingModeSweep(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ConvCase> cases = new ArrayList<>(count);
        for (ConvCase c : sweep(seed, count)) {
            PaddingMode m = COPYING_MODES.get(r.nextInt(COPYING_MODES.size()));
            int limitH = m == PaddingMode.REFLECT ? c.h() - 1 : m == PaddingMode.CIRCULAR ? c.h() : 3;
            int limitW = m == PaddingMode.REFLECT ? c.w() - 1 : m == PaddingMode.CIRCULAR ? c.w() : 3;
            int[] pad = new int[4];
            for (int j = 0; j < 4; j++) {
                pad[j] = r.nextInt(1 + Math.min(3, j < 2 ? limitH : limitW));
            }
            ConvParams q = c.params();
            // keep the dilated kernel within the padded input
            int needH = (c.kh() - 1) * q.dilationH() + 1 - c.h();
            int needW = (c.kw() - 1) * q.dilationW() + 1 - c.w();
            if (pad[0] + pad[1] < needH || pad[2] + pad[3] < needW) {
                continue;
            }
            ConvParams params = q.toBuilder().padding(pad[0], pad[1], pad[2], pad[3]).paddingMode(m).build();
            cases.add(new ConvCase("mode " + c.label(), c.seed(), c.n(), c.c(), c.h(), c.w(), c.k(), c.kh(), c.kw(),
                    params, c.hasBias()));
        }
        return cases;
    }

    /**
     * Transposed convolutions ({@link ConvCase#transposedWeight()}: {@code k} is the output channel count):
     * the upsampling shapes of decoders and GAN generators (4x4 stride 2 pad 1, 3x3 stride 2 with output
     * padding), asymmetric padding, dilation with output padding, groups, depthwise, 1x1 with stride, primes,
     * a one-pixel input, and padding that crops most of the output.
     *
     * @return the cases
     */
    public static List<ConvCase> transposedCases() {
        List<ConvCase> cases = new ArrayList<>();
        long s = 5000;
        cases.add(new ConvCase("transposed 4x4 stride 2 pad 1", s++, 2, 3, 5, 6, 4, 4, 4, p().stride(2).padding(1).build(), true));
        cases.add(new ConvCase("transposed 3x3 stride 2, output padding 1", s++, 1, 4, 7, 5, 3, 3, 3,
                p().stride(2).padding(1).outputPadding(1).build(), true));
        cases.add(new ConvCase("transposed asymmetric padding, stride 3x2, output padding 2x1", s++, 2, 2, 4, 5, 3, 3, 2,
                p().stride(3, 2).padding(0, 2, 1, 0).outputPadding(2, 1).build(), false));
        cases.add(new ConvCase("transposed dilation 3, output padding 2 (below the dilation)", s++, 1, 3, 6, 6, 2, 3, 3,
                p().dilation(3).padding(1).outputPadding(2).build(), true));
        cases.add(new ConvCase("transposed groups 2, stride 2", s++, 2, 4, 5, 5, 6, 3, 3, p().groups(2).stride(2).padding(1).build(), true));
        cases.add(new ConvCase("transposed depthwise, multiplier 2", s++, 1, 3, 7, 8, 6, 3, 3, p().groups(3).padding(1).build(), true));
        cases.add(new ConvCase("transposed 1x1 stride 2, output padding 1", s++, 2, 5, 4, 3, 3, 1, 1,
                p().stride(2).outputPadding(1).build(), true));
        cases.add(new ConvCase("transposed primes", s++, 3, 3, 13, 11, 5, 5, 3, p().stride(2, 3).padding(2, 1, 0, 3).build(), true));
        cases.add(new ConvCase("transposed one-pixel input", s++, 2, 4, 1, 1, 3, 4, 4, p().build(), true));
        cases.add(new ConvCase("transposed padding crops the output", s++, 1, 2, 6, 6, 2, 5, 5, p().padding(4, 3, 2, 4).build(), false));
        cases.add(new ConvCase("transposed larger GEMM", s++, 2, 16, 16, 16, 8, 3, 3, p().stride(2).padding(1).outputPadding(1).build(), true));
        return cases;
    }

    /**
     * {@code count} random transposed convolutions: sizes, kernels, strides, dilations, paddings and groups as
     * in {@link #sweep}, output padding below the stride or dilation, skipping geometries with no output.
     *
     * @param seed the seed of the configurations
     * @param count the number of configurations
     * @return the cases
     */
    public static List<ConvCase> transposedSweep(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ConvCase> cases = new ArrayList<>(count);
        for (ConvCase c : sweep(seed, count)) {
            ConvParams q = c.params();
            int oph = r.nextInt(Math.max(q.strideH(), q.dilationH()));
            int opw = r.nextInt(Math.max(q.strideW(), q.dilationW()));
            long reachedH = (c.h() - 1L) * q.strideH() - q.padTop() - q.padBottom() + (c.kh() - 1L) * q.dilationH() + 1;
            long reachedW = (c.w() - 1L) * q.strideW() - q.padLeft() - q.padRight() + (c.kw() - 1L) * q.dilationW() + 1;
            if (reachedH < 1 || reachedW < 1) {
                continue;
            }
            cases.add(new ConvCase("transposed " + c.label(), c.seed(), c.n(), c.c(), c.h(), c.w(), c.k(), c.kh(),
                    c.kw(), q.toBuilder().outputPadding(oph, opw).build(), c.hasBias()));
        }
        return cases;
    }
}
