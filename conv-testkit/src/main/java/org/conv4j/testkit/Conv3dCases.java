package org.conv4j.testkit;

import org.conv4j.api.Conv3dParams;
import org.conv4j.api.PaddingMode;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The 3D configurations the kit runs on every backend that runs 3D convolutions: named edge cases, padding modes,
 * transposed cases and a seeded sweep. Volumes are small (a few thousand outputs), because every case also runs on
 * the naive reference.
 */
public final class Conv3dCases {

    private Conv3dCases() {
    }

    private static Conv3dParams.Builder p() {
        return Conv3dParams.builder();
    }

    /**
     * Hand-picked cases, each named for the corner it exercises: primes, a 1x1x1 kernel (plain and strided), a
     * kernel equal to the input and to the padded input, an output of one element, a stride larger than the
     * kernel, six different paddings, a dilation per axis, groups and depthwise, a kernel longer than the input
     * along one axis, a 7x7x7 kernel, and a larger GEMM.
     *
     * @return the cases
     */
    public static List<Conv3dCase> edgeCases() {
        List<Conv3dCase> cases = new ArrayList<>();
        long s = 9000;
        cases.add(new Conv3dCase("3D worked example", s++, 1, 1, 2, 2, 3, 1, 1, 2, 2, p().build(), true));
        cases.add(new Conv3dCase("3D primes", s++, 2, 3, 5, 7, 11, 5, 3, 3, 2, p().stride(2, 1, 3).padding(1).build(),
                true));
        cases.add(new Conv3dCase("3D kernel 1x1x1", s++, 2, 5, 3, 4, 5, 3, 1, 1, 1, p().build(), false));
        cases.add(new Conv3dCase("3D kernel 1x1x1, stride 2", s++, 1, 4, 5, 5, 7, 6, 1, 1, 1, p().stride(2).build(),
                true));
        cases.add(new Conv3dCase("3D kernel equals input", s++, 2, 2, 3, 4, 5, 3, 3, 4, 5, p().build(), true));
        cases.add(new Conv3dCase("3D kernel equals padded input", s++, 1, 2, 2, 3, 3, 2, 4, 4, 6,
                p().padding(1, 1, 0, 1, 2, 1).build(), false));
        cases.add(new Conv3dCase("3D one output by stride", s++, 1, 2, 4, 4, 4, 3, 3, 3, 3, p().stride(4).build(),
                true));
        cases.add(new Conv3dCase("3D stride larger than kernel", s++, 1, 2, 7, 8, 9, 2, 2, 2, 2,
                p().stride(3, 4, 5).build(), true));
        cases.add(new Conv3dCase("3D six different paddings", s++, 2, 3, 4, 5, 6, 2, 3, 3, 3,
                p().padding(0, 2, 1, 0, 3, 1).build(), true));
        cases.add(new Conv3dCase("3D dilation per axis, stride, padding", s++, 1, 2, 7, 8, 9, 3, 2, 3, 3,
                p().dilation(3, 2, 1).stride(1, 2, 2).padding(1, 2, 0, 1, 1, 0).build(), false));
        cases.add(new Conv3dCase("3D groups 2", s++, 2, 4, 4, 5, 5, 6, 3, 3, 3, p().groups(2).padding(1).build(),
                true));
        cases.add(new Conv3dCase("3D depthwise", s++, 1, 5, 5, 6, 6, 5, 3, 3, 3, p().groups(5).padding(1).build(),
                true));
        cases.add(new Conv3dCase("3D depthwise, multiplier 2, stride 2", s++, 2, 3, 6, 6, 7, 6, 3, 3, 3,
                p().groups(3).stride(2).padding(1).build(), false));
        cases.add(new Conv3dCase("3D kernel deeper than input, padded", s++, 1, 2, 2, 5, 5, 3, 5, 3, 3,
                p().padding(2, 2, 1, 1, 1, 1).build(), true));
        cases.add(new Conv3dCase("3D padding wider than the kernel", s++, 1, 1, 3, 3, 3, 2, 2, 2, 2,
                p().padding(3, 4, 3, 2, 4, 3).build(), true));
        cases.add(new Conv3dCase("3D kernel 7x7x7", s++, 1, 2, 9, 10, 11, 2, 7, 7, 7, p().padding(3).build(), true));
        cases.add(new Conv3dCase("3D larger GEMM", s++, 1, 16, 6, 8, 8, 16, 3, 3, 3, p().padding(1).build(), true));
        return cases;
    }

    /**
     * Each padding mode other than zeros: with stride and six different paddings, and with dilation and groups.
     *
     * @return the cases
     */
    public static List<Conv3dCase> paddingModeCases() {
        List<Conv3dCase> cases = new ArrayList<>();
        long s = 9100;
        for (PaddingMode m : ConvCases.COPYING_MODES) {
            String n = "3D " + m + ", ";
            cases.add(new Conv3dCase(n + "asymmetric padding, stride 2", s++, 1, 2, 4, 5, 6, 3, 3, 3, 3,
                    p().padding(1, 0, 2, 1, 0, 2).stride(2).paddingMode(m).build(), true));
            cases.add(new Conv3dCase(n + "dilation 2, groups 2", s++, 2, 4, 4, 4, 5, 4, 2, 3, 2,
                    p().dilation(2).groups(2).padding(1, 2, 2, 1, 1, 1).paddingMode(m).build(), false));
        }
        return cases;
    }

    /**
     * Transposed 3D convolutions ({@link Conv3dCase#transposedWeight()}: {@code k} is the output channel count):
     * upsampling by 2 (kernel 4, padding 1, as 3D U-Net's decoders), output padding per axis, dilation with
     * output padding below the dilation, groups, kernel 1x1x1 with stride, primes, one-element input, padding that
     * crops the output, and output padding beyond every window.
     *
     * @return the cases
     */
    public static List<Conv3dCase> transposedCases() {
        List<Conv3dCase> cases = new ArrayList<>();
        long s = 9200;
        cases.add(new Conv3dCase("3D transposed kernel 4 stride 2 pad 1", s++, 1, 3, 3, 4, 4, 2, 4, 4, 4,
                p().stride(2).padding(1).build(), true));
        cases.add(new Conv3dCase("3D transposed stride 2, output padding 1x0x1", s++, 2, 2, 3, 3, 4, 3, 3, 3, 3,
                p().stride(2).padding(1).outputPadding(1, 0, 1).build(), true));
        cases.add(new Conv3dCase("3D transposed dilation 3, output padding 2", s++, 1, 2, 3, 3, 3, 2, 2, 3, 2,
                p().dilation(3).padding(1).outputPadding(2).build(), false));
        cases.add(new Conv3dCase("3D transposed groups 2, stride 3", s++, 1, 4, 2, 3, 3, 6, 3, 2, 3,
                p().groups(2).stride(3, 1, 3).padding(0, 2, 1, 0, 0, 1).build(), true));
        cases.add(new Conv3dCase("3D transposed kernel 1x1x1 stride 2, output padding 1", s++, 2, 3, 2, 3, 2, 2, 1,
                1, 1, p().stride(2).outputPadding(1).build(), true));
        cases.add(new Conv3dCase("3D transposed primes", s++, 1, 3, 3, 5, 2, 5, 3, 2, 5,
                p().stride(3, 2, 1).padding(2, 1, 0, 1, 1, 2).build(), true));
        cases.add(new Conv3dCase("3D transposed one-element input", s++, 2, 3, 1, 1, 1, 2, 3, 2, 4, p().build(),
                true));
        cases.add(new Conv3dCase("3D transposed padding crops the output", s++, 1, 2, 3, 3, 4, 2, 4, 3, 5,
                p().padding(3, 2, 1, 1, 4, 3).build(), false));
        cases.add(new Conv3dCase("3D transposed output padding beyond every window", s++, 1, 2, 2, 2, 3, 2, 2, 2, 2,
                p().dilation(4, 1, 1).outputPadding(3, 0, 0).build(), true));
        return cases;
    }

    /**
     * {@code count} random valid configurations from {@code seed}: sizes 1 to 9, kernels 1 to 4 per axis, strides
     * 1 to 3, dilations 1 to 3, paddings 0 to 2 per side, groups 1, 2 or depthwise, batch 1 or 2, with and without
     * bias.
     *
     * @param seed the seed of the configurations
     * @param count the number of configurations
     * @return the cases
     */
    public static List<Conv3dCase> sweep(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Conv3dCase> cases = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long caseSeed = r.nextLong();
            int cg = 1 + r.nextInt(3);
            int kg = 1 + r.nextInt(3);
            int groups = switch (r.nextInt(5)) {
                case 0 -> 2;
                case 1 -> {
                    cg = 1; // depthwise: one channel per group
                    yield 1 + r.nextInt(4);
                }
                default -> 1;
            };
            int[] size = new int[3];
            int[] kernel = new int[3];
            int[] stride = new int[3];
            int[] dilation = new int[3];
            int[] pad = new int[6];
            for (int a = 0; a < 3; a++) {
                kernel[a] = 1 + r.nextInt(4);
                dilation[a] = r.nextInt(4) == 0 ? 1 + r.nextInt(3) : 1;
                stride[a] = r.nextInt(3) == 0 ? 1 + r.nextInt(3) : 1;
                pad[2 * a] = r.nextBoolean() ? r.nextInt(3) : 0;
                pad[2 * a + 1] = r.nextBoolean() ? r.nextInt(3) : 0;
                int span = (kernel[a] - 1) * dilation[a] + 1;
                size[a] = Math.max(Math.max(1, span - pad[2 * a] - pad[2 * a + 1]), 1 + r.nextInt(9));
            }
            cases.add(new Conv3dCase("3D sweep #" + i, caseSeed, 1 + r.nextInt(2), groups * cg, size[0], size[1],
                    size[2], groups * kg, kernel[0], kernel[1], kernel[2],
                    p().stride(stride[0], stride[1], stride[2]).dilation(dilation[0], dilation[1], dilation[2])
                            .padding(pad[0], pad[1], pad[2], pad[3], pad[4], pad[5]).groups(groups).build(),
                    r.nextBoolean()));
        }
        return cases;
    }
}
