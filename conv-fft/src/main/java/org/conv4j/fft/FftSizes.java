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
 * <p><b>Cost model.</b> Measured on the project machine with a one-second loop per size (JDK 17, see
 * docs/fft.md): a complex transform of length {@code n} costs about {@value #COMPLEX_NS} ns per
 * {@code n log2 n} for every 5-smooth size; a real transform about {@value #REAL_POW2_NS} ns per
 * {@code n log2 n} for powers of two and {@value #REAL_MIXED_NS} ns for the other 5-smooth sizes
 * (the mixed-radix real code also shuffles its output once and allocates a work array per call).
 * Only ratios matter: the model picks a size and a tiling, it does not predict time.
 */
final class FftSizes {

    /**
     * Largest transform length per axis. Above it images are tiled. Twice this length (the float count of a
     * complex transform) stays below JTransforms' default multithreading threshold of 8192 floats, so
     * JTransforms never hands work to its own (non-daemon) thread pool; {@link #maxTransform()} lowers it
     * further if someone lowered that threshold.
     */
    static final int MAX_TRANSFORM = 2048;

    /** ns per n log2 n of a complex transform (measured, see class comment). */
    static final double COMPLEX_NS = 1.0;
    /** ns per n log2 n of a real transform of a power-of-two length. */
    static final double REAL_POW2_NS = 0.5;
    /** ns per n log2 n of a real transform of another 5-smooth length. */
    static final double REAL_MIXED_NS = 0.75;
    /**
     * ns per complex multiply-add of the frequency-domain channel sum (split re/im planes, vectorised by
     * the JIT; measured about 0.25-0.35 ns on the project machine, one core).
     */
    static final double MAC_NS = 0.3;
    /** ns per element of copying a signal into a transform buffer or an output out of one. */
    static final double COPY_NS = 0.5;

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

    /** Model cost (ns) of one complex transform of length {@code n}. */
    static double complexCost(int n) {
        return COMPLEX_NS * nlogn(n);
    }

    /** Model cost (ns) of one real transform of length {@code n}. */
    static double realCost(int n) {
        return (Integer.bitCount(n) == 1 ? REAL_POW2_NS : REAL_MIXED_NS) * nlogn(n);
    }

    /**
     * Model cost (ns) of one 2D transform of an {@code fh x fw} buffer (either direction) whose real side
     * touches {@code rows} rows: {@code rows} real transforms along the width, then {@code fw/2 + 1} complex
     * transforms along the height.
     */
    static double transform2dCost(int fh, int fw, int rows) {
        return rows * realCost(fw) + (fw / 2 + 1) * complexCost(fh) + COPY_NS * (double) fh * fw;
    }
}
