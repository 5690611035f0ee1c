package org.conv4j.fft;

import org.jtransforms.utils.CommonUtils;

import java.util.ArrayList;
import java.util.List;

/**
 * Transform sizes and the cost model that chooses between them.
 *
 * <p><b>Which sizes.</b> JTransforms' {@code FloatFFT_1D} runs split-radix code for powers of two, mixed-radix
 * (FFTPACK) code for sizes whose prime factors are 2, 3 and 5, and Bluestein's algorithm (a power-of-two
 * transform of more than twice the length) for anything else. Only the first two are fast, so every transform
 * size here is 5-smooth ({@code 2^a 3^b 5^c}); widths are also even, because the packed real half-spectrum
 * layout this module reads ({@code a[1] = Re[n/2]}) is the even-length one.
 *
 * <p><b>Cost model.</b> Measured on the project machine (JDK 17, thread CPU time per transform; docs/fft.md): per
 * {@code n log2 n}, a real transform along a row (JTransforms) costs {@value #REAL_POW2_NS} ns for powers of two and
 * {@value #REAL_MIXED_NS} ns for other 5-smooth sizes, plus a fixed {@value #MIXED_CALL_NS} ns per call of
 * JTransforms' mixed-radix code (it allocates a work array and shuffles its output on every call). A complex
 * transform down a batch of columns ({@link ColumnFft}) costs, per column, {@value #DEPTH_POW2_NS} ns
 * (powers of two) and {@value #DEPTH_MIXED_NS} ns (other 5-smooth sizes) on a 3D transform's depth, hundreds of
 * columns long. A 2D transform's {@code fw/2 + 1} columns are priced with {@link #COMPLEX_POW2_NS},
 * {@link #COMPLEX_MIXED_NS} and {@link #MIXED_CALL_NS} instead (JTransforms' per-column rates), the rates the 2D
 * plans are chosen with: priced at the kernel's own rates, the planner picks taller mixed-length tiles that ran
 * about 1.4 times slower end to end on the kernel sweep's layers (docs/fft.md, section 4). Only ratios matter: the
 * model picks a size and a tiling, it does not predict time.
 */
final class FftSizes {

    /**
     * Largest transform length per axis. Above it images are tiled. Twice this length (the float count of a
     * complex transform) stays below JTransforms' default multithreading threshold of 8192 floats, so
     * JTransforms never hands work to its own (non-daemon) thread pool; {@link #maxTransform()} lowers it
     * further if someone lowered that threshold.
     */
    static final int MAX_TRANSFORM = 2048;

    /** ns per n log2 n of a 2D transform's complex column transform of a power-of-two length (the 2D plans' rate). */
    static final double COMPLEX_POW2_NS = 0.55;
    /** ns per n log2 n of a 2D transform's complex column transform of another 5-smooth length (the 2D plans' rate). */
    static final double COMPLEX_MIXED_NS = 1.1;
    /**
     * ns per n log2 n and column of a 3D transform's depth pass ({@link ColumnFft}), power-of-two length: measured
     * 0.13-0.20 over 65 to 1000 columns, lengths 16 to 256.
     */
    static final double DEPTH_POW2_NS = 0.15;
    /**
     * ns per n log2 n and column of a 3D transform's depth pass, another 5-smooth length: measured 0.23-0.50 over 65
     * to 1000 columns, lengths 24 to 240.
     */
    static final double DEPTH_MIXED_NS = 0.4;
    /** ns per n log2 n of a real transform of a power-of-two length. */
    static final double REAL_POW2_NS = 0.45;
    /** ns per n log2 n of a real transform of another 5-smooth length. */
    static final double REAL_MIXED_NS = 0.8;
    /** Fixed ns per call of a mixed-radix (not power-of-two) transform in the 2D rates: work array and output shuffle. */
    static final double MIXED_CALL_NS = 60;
    /**
     * ns per complex multiply-add of the frequency-domain channel sum (split re/im planes, vectorised by
     * the JIT; measured 0.26 ns on the project machine, one core, plus the accumulator's reset).
     */
    static final double MAC_NS = 0.3;
    /** ns per element of copying a signal into a transform buffer or an output out of one. */
    static final double COPY_NS = 0.5;
    /**
     * Fixed ns per 2D transform (buffer set-up, placement and extraction calls, per-column bookkeeping):
     * an 8x16 transform measured about 1.8 us against 0.5 us of modelled arithmetic.
     */
    static final double TRANSFORM_FIXED_NS = 1500;

    /** The 5-smooth numbers from 2 to {@link #MAX_TRANSFORM}, ascending. */
    private static final int[] SMOOTH = smoothNumbers(MAX_TRANSFORM);

    private FftSizes() {
    }

    private static int[] smoothNumbers(int max) {
        List<Integer> list = new ArrayList<>();
        for (long a = 1; a <= max; a *= 2) {
            for (long b = a; b <= max; b *= 3) {
                for (long c = b; c <= max; c *= 5) {
                    if (c >= 2) {
                        list.add((int) c);
                    }
                }
            }
        }
        return list.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /**
     * The largest transform length allowed: {@link #MAX_TRANSFORM}, or less if JTransforms' threshold for
     * using its thread pool ({@code CommonUtils.getThreadsBeginN_1D_FFT_2Threads()}, counted in floats, a
     * complex transform of length n being 2n floats) has been lowered below {@code 2 * MAX_TRANSFORM}.
     * Never below 16.
     */
    static int maxTransform() {
        long threshold = CommonUtils.getThreadsBeginN_1D_FFT_2Threads();
        long limit = Math.min(MAX_TRANSFORM, (threshold - 1) / 2);
        return (int) Math.max(16, limit);
    }

    /** True if {@code n} is 5-smooth and at least 2. */
    static boolean isGood(int n) {
        if (n < 2) {
            return false;
        }
        for (int p : new int[] {2, 3, 5}) {
            while (n % p == 0) {
                n /= p;
            }
        }
        return n == 1;
    }

    /**
     * The smallest 5-smooth size {@code >= n} (and {@code >= 2}), even if {@code even}; or -1 if that exceeds
     * {@code max}.
     */
    static int nextGood(int n, boolean even, int max) {
        for (int s : SMOOTH) {
            if (s >= n && (!even || s % 2 == 0)) {
                return s <= max ? s : -1;
            }
        }
        return -1;
    }

    /** Every 5-smooth size in {@code [from, to]}, even ones only if {@code even}, ascending. */
    static int[] goodSizes(int from, int to, boolean even) {
        List<Integer> list = new ArrayList<>();
        for (int s : SMOOTH) {
            if (s >= from && s <= to && (!even || s % 2 == 0)) {
                list.add(s);
            }
        }
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    private static double nlogn(int n) {
        return n * (Math.log(n) / Math.log(2));
    }

    /** Model cost (ns) of one complex column transform of length {@code n} of a 2D transform. */
    static double complexCost(int n) {
        return Integer.bitCount(n) == 1 ? COMPLEX_POW2_NS * nlogn(n) : COMPLEX_MIXED_NS * nlogn(n) + MIXED_CALL_NS;
    }

    /** Model cost (ns) of one column of a 3D transform's depth pass of length {@code n} ({@link ColumnFft}). */
    static double depthColumnCost(int n) {
        return (Integer.bitCount(n) == 1 ? DEPTH_POW2_NS : DEPTH_MIXED_NS) * nlogn(n);
    }

    /** Model cost (ns) of one real transform of length {@code n}. */
    static double realCost(int n) {
        return Integer.bitCount(n) == 1 ? REAL_POW2_NS * nlogn(n) : REAL_MIXED_NS * nlogn(n) + MIXED_CALL_NS;
    }

    /**
     * Model cost (ns) of one 2D transform of an {@code fh x fw} buffer (either direction) whose real side
     * touches {@code rows} rows: {@code rows} real transforms along the width, then {@code fw/2 + 1} complex
     * transforms along the height.
     */
    static double transform2dCost(int fh, int fw, int rows) {
        return TRANSFORM_FIXED_NS + rows * realCost(fw) + (fw / 2 + 1) * complexCost(fh) + COPY_NS * (double) fh * fw;
    }

    /**
     * Model cost (ns) of one 3D transform of an {@code fd x fh x fw} buffer (either direction, {@link RealFft3D})
     * whose real side touches {@code slices} slices of {@code rows} rows each: a 2D transform per such slice, then
     * {@code fh * (fw/2 + 1)} complex transforms along the depth, and the copies of the whole spectrum in and out
     * of the depth pass.
     */
    static double transform3dCost(int fd, int fh, int fw, int slices, int rows) {
        double slicePlane = (double) fh * (fw / 2 + 1);
        return slices * transform2dCost(fh, fw, rows) + slicePlane * depthCost(fd, slices)
                + COPY_NS * 2 * slicePlane * fd;
    }

    /**
     * Model cost (ns) per slice frequency of the depth pass of a 3D transform of depth {@code fd} with
     * {@code slices} non-zero (forward) or wanted (inverse) slices: the cheaper of a length-{@code fd} complex
     * transform and the direct sum over those slices ({@code fd * slices} complex multiply-adds, vectorised across
     * the slice frequencies like the channel sum, {@link #MAC_NS}). {@link RealFft3D} takes the same choice
     * ({@link #directDepth}).
     */
    static double depthCost(int fd, int slices) {
        return Math.min(depthColumnCost(fd), MAC_NS * fd * (double) slices);
    }

    /** Whether the depth pass of {@link #depthCost} runs as the direct sum. */
    static boolean directDepth(int fd, int slices) {
        return MAC_NS * fd * (double) slices < depthColumnCost(fd);
    }
}
