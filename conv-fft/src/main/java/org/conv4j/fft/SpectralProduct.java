package org.conv4j.fft;

import org.conv4j.spi.WorkspaceBudget;

import java.util.Arrays;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * The frequency-domain engine: for every output pair {@code (i, j)},
 * <pre>
 *   out(i, j) = inverse( sum_{l < L} A(i, l) * B'(l, j) )      B' = conj(B) or B
 * </pre>
 * where {@code A(i, l)} and {@code B(l, j)} are the half spectra of real signals, and the product is taken
 * frequency by frequency. The engine ({@link #run(int, int, int, int, Supplier, Supplier, boolean, Supplier, long)})
 * works on spectra of any rank, made and consumed by per-thread {@link Transformer}s and {@link Inverter}s; the 2D
 * passes use it through {@link Signals} and {@link Sink} ({@link RealFft2D}, with upsampling and decimation), the
 * 3D passes with {@link RealFft3D} ({@link Fft3d}). Per frequency this is a
 * small complex matrix product {@code (I x L) * (L x J)}; it is computed as {@code I*J} accumulations
 * over {@code l} of plain float loops over the frequencies, which the JIT vectorises.
 *
 * <p>Every signal is transformed once and every output once, as long as the spectra fit the workspace:
 * with {@code S} the bytes of one spectrum, the engine keeps {@code iChunk*lChunk + lChunk*jChunk}
 * spectra, preferring all of {@code B} and all of {@code l}. When {@code B} does not fit, {@code A} is
 * transformed once per block of {@code j}; when not even one row and one column fit, {@code l} is split
 * and the partial outputs are added in the spatial domain ({@link Sink#accept} adds). The spectra are
 * granted by the process-wide budget ({@link WorkspaceBudget#global()}): the chunks are chosen for the
 * workspace limit, or for less when the budget grants less ({@link WorkspaceBudget#acquirePlan}).
 *
 * <p>Determinism: the work is split into fixed index ranges; every spectrum and every output pair is
 * computed by exactly one thread, with a fixed summation order over {@code l}, so the result does not
 * depend on the thread count or on timing.
 */
final class SpectralProduct {

    /** Threads used: the common pool's workers plus the calling thread. */
    private static final int PARALLELISM = Math.max(1, Runtime.getRuntime().availableProcessors());

    private SpectralProduct() {
    }

    /** The threads a product runs on at most at once. */
    static int threads() {
        return PARALLELISM;
    }

    /** A family of real 2D signals {@code s(a, b)}. */
    interface Signals {
        /**
         * Writes signal {@code (a, b)} into {@code buf}, an {@code fh x fw} row-major block, and lists the rows
         * it wrote (each once, any order) in {@code rows}. Each listed row is written completely, zeros
         * included; the other rows hold leftovers of earlier signals and are never read.
         *
         * @return the number of rows listed
         */
        int place(int a, int b, float[] buf, int[] rows);

        /**
         * If above 1, every signal of the family is zero except at buffer rows {@code r = upsampleH()*m + rh}
         * (columns likewise): a zero-upsampled signal. {@link #place} then writes the small signal
         * {@code g(m, n)} into an {@code fh/upsampleH() x fw/upsampleW()} buffer, {@link #residue} gives
         * {@code (rh, rw)}, and the engine transforms the small signal and replicates its spectrum
         * ({@link #expand}), {@code upsampleH() * upsampleW()} times less transform work.
         */
        default int upsampleH() {
            return 1;
        }

        /** See {@link #upsampleH()}. */
        default int upsampleW() {
            return 1;
        }

        /** The residues {@code (rh, rw)} of an upsampled signal {@code (a, b)}, written to {@code out[0], out[1]}. */
        default void residue(int a, int b, int[] out) {
            out[0] = 0;
            out[1] = 0;
        }
    }

    /** Where the outputs go. */
    /** The residues of an upsampled family of signals; see {@link Signals#residue}. */
    @FunctionalInterface
    interface Residue {
        void of(int a, int b, int[] out);
    }

    /**
     * The signals {@code place} writes, declared zero-upsampled by {@code (upH, upW)} with residues
     * {@code residue} ({@link Signals#upsampleH}).
     */
    static Signals upsampled(Signals place, int upH, int upW, Residue residue) {
        return new Signals() {
            @Override
            public int place(int a, int b, float[] buf, int[] rows) {
                return place.place(a, b, buf, rows);
            }

            @Override
            public int upsampleH() {
                return upH;
            }

            @Override
            public int upsampleW() {
                return upW;
            }

            @Override
            public void residue(int a, int b, int[] out) {
                residue.of(a, b, out);
            }
        };
    }

    interface Sink {
        /** Lists in {@code rows} the circular row indices output {@code (i, j)} needs; returns how many. */
        int rows(int i, int j, int[] rows);

        /**
         * Adds output {@code (i, j)} to its destination: row {@code k} of the listed rows is at
         * {@code data[k*fw .. k*fw + fw)}. Called once per pair and per block of {@code l}.
         */
        void accept(int i, int j, float[] data, int fw);

        /**
         * Keep only every {@code decimationH()}-th row (and {@link #decimationW()}-th column) of the output
         * grid: the engine then folds the spectrum ({@link #fold}) and inverse-transforms the decimated grid,
         * {@code decimationH() * decimationW()} times less work, and {@link #rows} and {@link #accept} use
         * indices of the decimated grid. Must divide the transform size (width: with an even quotient).
         */
        default int decimationH() {
            return 1;
        }

        /** See {@link #decimationH()}. */
        default int decimationW() {
            return 1;
        }
    }

    /**
     * Computes every {@code out(i, j)} and hands it to {@code sink}.
     *
     * @param budgetBytes workspace for the spectra
     */
    static void run(RealFft2D plan, int iCount, int lCount, int jCount, Signals a, Signals b, boolean conjB,
                    Sink sink, long budgetBytes) {
        run(plan.planeSize, iCount, lCount, jCount, () -> transformer(plan, a), () -> transformer(plan, b), conjB,
                () -> inverter(plan, sink), budgetBytes);
    }

    /**
     * One thread's forward transforms of a family of signals: writes the half spectrum of signal {@code (a, b)}
     * into {@code (re, im)}, two planes of the engine's plane size. Made per range of work by a
     * {@link java.util.function.Supplier}, so it may own scratch buffers.
     */
    interface Transformer {
        void spectrum(int a, int b, float[] re, float[] im);
    }

    /**
     * One thread's consumer of the products: inverse-transforms the spectrum {@code (re, im)} of
     * {@code out(i, j)} (which it may overwrite) and adds it to its destination. Called once per pair and per
     * block of {@code l}.
     */
    interface Inverter {
        void accept(int i, int j, float[] re, float[] im);
    }

    /**
     * The engine for spectra of any rank: every {@code out(i, j) = inverse(sum_l A(i, l) * B'(l, j))}, with the
     * spectra {@code planeSize} floats per plane, made by {@code a} and {@code b} and consumed by {@code out}
     * (each supplier is called once per parallel range for that range's own instance). Chunks and threads as the
     * class comment describes.
     *
     * @param budgetBytes workspace for the spectra
     */
    static void run(int planeSize, int iCount, int lCount, int jCount, Supplier<Transformer> a,
                    Supplier<Transformer> b, boolean conjB, Supplier<Inverter> out, long budgetBytes) {
        long specBytes = 8L * planeSize;
        try (WorkspaceBudget.Planned<Chunks> planned = WorkspaceBudget.global().acquirePlan(
                bytes -> Chunks.of(iCount, lCount, jCount, Math.max(2, bytes / specBytes)),
                c -> c.spectra() * specBytes, budgetBytes)) {
            Chunks c = planned.plan();
            run(planeSize, iCount, lCount, jCount, c.iChunk(), c.lChunk(), c.jChunk(), a, b, conjB, out);
        }
    }

    /**
     * How many spectra of each operand are held at once: {@code iChunk*lChunk} of {@code A} and
     * {@code lChunk*jChunk} of {@code B}, {@link #spectra()} in all, chosen for {@code cap} spectra (at least 2)
     * as the class comment describes.
     */
    record Chunks(int iChunk, int lChunk, int jChunk) {

        static Chunks of(int iCount, int lCount, int jCount, long cap) {
            int lChunk = lCount;
            int jChunk = jCount;
            int iChunk;
            if ((long) lCount * (jCount + iCount) <= cap) {
                iChunk = iCount;
            } else if ((long) lCount * (jCount + 1) <= cap) {
                iChunk = (int) ((cap - (long) lCount * jCount) / lCount);
            } else if (2L * lCount <= cap) {
                iChunk = (int) Math.max(1, cap / (2L * lCount));
                jChunk = iChunk;
            } else {
                lChunk = (int) Math.max(1, cap / 2);
                iChunk = 1;
                jChunk = 1;
            }
            return new Chunks(Math.min(iChunk, iCount), lChunk, Math.min(jChunk, jCount));
        }

        /** Spectra held at once. */
        long spectra() {
            return (long) iChunk * lChunk + (long) lChunk * jChunk;
        }
    }

    private static void run(int pl, int iCount, int lCount, int jCount, int iChunk, int lChunk, int jChunk,
                            Supplier<Transformer> a, Supplier<Transformer> b, boolean conjB, Supplier<Inverter> out) {
        float[][] aRe = new float[Math.multiplyExact(iChunk, lChunk)][pl];
        float[][] aIm = new float[aRe.length][pl];
        float[][] bRe = new float[Math.multiplyExact(lChunk, jChunk)][pl];
        float[][] bIm = new float[bRe.length][pl];
        for (int l0 = 0; l0 < lCount; l0 += lChunk) {
            int ln = Math.min(lChunk, lCount - l0);
            for (int j0 = 0; j0 < jCount; j0 += jChunk) {
                int jn = Math.min(jChunk, jCount - j0);
                // B(l, j) for the block, at bRe/bIm[(l - l0)*jn + (j - j0)]
                int lb = l0;
                int jb = j0;
                transformAll(ln * jn, b, idx -> lb + idx / jn, idx -> jb + idx % jn, bRe, bIm);
                for (int i0 = 0; i0 < iCount; i0 += iChunk) {
                    int in = Math.min(iChunk, iCount - i0);
                    // A(i, l) at aRe/aIm[(i - i0)*ln + (l - l0)]
                    int ib = i0;
                    transformAll(in * ln, a, idx -> ib + idx / ln, idx -> lb + idx % ln, aRe, aIm);
                    multiplyAndInvert(pl, in, ln, jn, i0, j0, aRe, aIm, bRe, bIm, conjB, out);
                }
            }
        }
    }

    /** Transforms signals {@code s(first(idx), second(idx))} for {@code idx < count} into {@code (re[idx], im[idx])}. */
    private static void transformAll(int count, Supplier<Transformer> s, IntUnaryOperator first,
                                     IntUnaryOperator second, float[][] re, float[][] im) {
        parallelRanges(count, (from, to) -> {
            Transformer t = s.get();
            for (int idx = from; idx < to; idx++) {
                t.spectrum(first.applyAsInt(idx), second.applyAsInt(idx), re[idx], im[idx]);
            }
        });
    }

    /**
     * One thread's 2D transforms of {@code s}: placed by {@link Signals#place}, transformed by {@code plan}, or, for
     * an upsampled family, on the small grid and {@linkplain #expand expanded}.
     */
    private static Transformer transformer(RealFft2D plan, Signals s) {
        int uh = s.upsampleH();
        int uw = s.upsampleW();
        RealFft2D tp = uh == 1 && uw == 1 ? plan : RealFft2D.of(plan.fh / uh, plan.fw / uw);
        Phases phases = tp == plan ? null : new Phases(plan, uh, uw);
        float[] buf = new float[tp.fh * tp.fw];
        int[] rows = new int[tp.fh];
        RealFft2D.Work work = tp.newWork();
        float[] sr = tp == plan ? null : new float[tp.planeSize];
        float[] si = tp == plan ? null : new float[tp.planeSize];
        int[] residue = new int[2];
        return (a, b, re, im) -> {
            int n = s.place(a, b, buf, rows);
            if (tp == plan) {
                plan.forward(buf, rows, n, re, im, work);
            } else {
                tp.forward(buf, rows, n, sr, si, work);
                s.residue(a, b, residue);
                expand(plan, tp, sr, si, phases, residue[0], residue[1], re, im);
            }
        };
    }

    /** The twiddles {@code e^{-2 pi i r v / fh}} and {@code e^{-2 pi i r u / fw}} for every residue {@code r}. */
    static final class Phases {
        final float[][] cosH;
        final float[][] sinH;
        final float[][] cosW;
        final float[][] sinW;

        Phases(RealFft2D plan, int uh, int uw) {
            cosH = new float[uh][plan.fh];
            sinH = new float[uh][plan.fh];
            cosW = new float[uw][plan.halfW];
            sinW = new float[uw][plan.halfW];
            for (int r = 0; r < uh; r++) {
                for (int v = 0; v < plan.fh; v++) {
                    double a = 2 * Math.PI * ((long) r * v % plan.fh) / plan.fh;
                    cosH[r][v] = (float) Math.cos(a);
                    sinH[r][v] = (float) Math.sin(a);
                }
            }
            for (int r = 0; r < uw; r++) {
                for (int u = 0; u < plan.halfW; u++) {
                    double a = 2 * Math.PI * ((long) r * u % plan.fw) / plan.fw;
                    cosW[r][u] = (float) Math.cos(a);
                    sinW[r][u] = (float) Math.sin(a);
                }
            }
        }
    }

    /**
     * The half spectrum {@code (re, im)} of the {@code fh x fw} signal {@code b(uh*m + rh, uw*n + rw) = g(m, n)}
     * (zero elsewhere), from the half spectrum {@code (sr, si)} of the {@code fh/uh x fw/uw} signal {@code g}:
     * <pre>
     *   B(v, u) = e^{-2 pi i (rh v / fh + rw u / fw)} * G(v mod fh/uh, u mod fw/uw)
     * </pre>
     * (the spectrum of a zero-upsampled signal repeats; the residues shift it). Columns of {@code G} above
     * {@code gw/2} are not stored: {@code G(v, u) = conj G(-v, gw - u)}.
     */
    static void expand(RealFft2D big, RealFft2D small, float[] sr, float[] si, Phases ph, int rh, int rw,
                       float[] re, float[] im) {
        int gh = small.fh;
        int gw = small.fw;
        int bw = big.halfW;
        int sw = small.halfW;
        float[] cw = ph.cosW[rw];
        float[] snw = ph.sinW[rw];
        for (int v = 0, vp = 0; v < big.fh; v++, vp = vp + 1 == gh ? 0 : vp + 1) {
            float ch = ph.cosH[rh][v];
            float sh = ph.sinH[rh][v];
            int mirrorRow = (vp == 0 ? 0 : gh - vp) * sw;
            int row = vp * sw;
            int dst = v * bw;
            for (int u = 0, up = 0; u < bw; u++, up = up + 1 == gw ? 0 : up + 1) {
                float gr;
                float gi;
                if (up > gw / 2) {
                    gr = sr[mirrorRow + gw - up];
                    gi = -si[mirrorRow + gw - up];
                } else {
                    gr = sr[row + up];
                    gi = si[row + up];
                }
                // phase e^{-i(a + b)} = cos(a + b) - i sin(a + b)
                float pr = ch * cw[u] - sh * snw[u];
                float pi = -(sh * cw[u] + ch * snw[u]);
                re[dst + u] = gr * pr - gi * pi;
                im[dst + u] = gr * pi + gi * pr;
            }
        }
    }

    private static void multiplyAndInvert(int p, int in, int ln, int jn, int i0, int j0,
                                          float[][] aRe, float[][] aIm, float[][] bRe, float[][] bIm,
                                          boolean conjB, Supplier<Inverter> out) {
        parallelRanges(in * jn, (from, to) -> {
            float[] re = new float[p];
            float[] im = new float[p];
            Inverter inverter = out.get();
            for (int pair = from; pair < to; pair++) {
                int ii = pair / jn;
                int jj = pair % jn;
                Arrays.fill(re, 0f);
                Arrays.fill(im, 0f);
                for (int l = 0; l < ln; l++) {
                    int ai = ii * ln + l;
                    int bi = l * jn + jj;
                    if (conjB) {
                        macConj(aRe[ai], aIm[ai], bRe[bi], bIm[bi], re, im, p);
                    } else {
                        mac(aRe[ai], aIm[ai], bRe[bi], bIm[bi], re, im, p);
                    }
                }
                inverter.accept(i0 + ii, j0 + jj, re, im);
            }
        });
    }

    /**
     * One thread's 2D inverse for {@code sink}: the rows it asks for, on the grid decimated by its
     * {@linkplain Sink#decimationH decimation} (the spectrum {@linkplain #fold folded} first).
     */
    private static Inverter inverter(RealFft2D plan, Sink sink) {
        int dh = sink.decimationH();
        int dw = sink.decimationW();
        RealFft2D inv = dh == 1 && dw == 1 ? plan : RealFft2D.of(plan.fh / dh, plan.fw / dw);
        float[] zr = inv == plan ? null : new float[inv.planeSize];
        float[] zi = inv == plan ? null : new float[inv.planeSize];
        int[] rows = new int[inv.fh];
        RealFft2D.Work work = inv.newWork();
        float[][] out = {null};
        return (i, j, re, im) -> {
            int n = sink.rows(i, j, rows);
            if (n == 0) {
                return;
            }
            if (out[0] == null || out[0].length < n * inv.fw) {
                out[0] = new float[n * inv.fw];
            }
            if (inv != plan) {
                fold(plan, re, im, dh, dw, inv, zr, zi);
                inv.inverse(zr, zi, rows, n, out[0], work);
            } else {
                inv.inverse(re, im, rows, n, out[0], work);
            }
            sink.accept(i, j, out[0], inv.fw);
        };
    }

    /** {@code acc += a * b} over {@code p} complex values held as separate real and imaginary planes. */
    static void mac(float[] aRe, float[] aIm, float[] bRe, float[] bIm, float[] accRe, float[] accIm, int p) {
        for (int f = 0; f < p; f++) {
            float ar = aRe[f];
            float ai = aIm[f];
            float br = bRe[f];
            float bi = bIm[f];
            accRe[f] += ar * br - ai * bi;
            accIm[f] += ar * bi + ai * br;
        }
    }

    /**
     * {@code acc += a * conj(b)}: the spectrum of a cross-correlation, as {@link #mac} with the real and imaginary
     * planes of {@code a} and of {@code acc} exchanged. Exchanging the parts of {@code z} gives
     * {@code swap(z) = i conj(z)}, so {@code swap(swap(a) * b) = i conj(i conj(a) b) = a conj(b)}. Written out,
     * {@link #mac} then adds {@code ai*br - ar*bi} to {@code accIm} and {@code ai*bi + ar*br} to {@code accRe}: the
     * products and sums of the conjugate product itself (float {@code +} commutes), so the results agree to the bit.
     */
    static void macConj(float[] aRe, float[] aIm, float[] bRe, float[] bIm, float[] accRe, float[] accIm, int p) {
        mac(aIm, aRe, bRe, bIm, accIm, accRe, p);
    }

    /**
     * Folds the half spectrum {@code (re, im)} of an {@code fh x fw} real signal {@code s} into the half
     * spectrum {@code (zr, zi)} of its decimation {@code d(m, n) = s(dh*m, dw*n)}, an {@code fh/dh x fw/dw}
     * signal. Sampling every {@code d}-th point aliases the spectrum:
     * <pre>
     *   D(v', u') = 1/(dh*dw) * sum_{a < dh, b < dw} S(v' + a*fh/dh, u' + b*fw/dw)
     * </pre>
     * (with both transforms unnormalised forward and normalised inverse). Columns {@code u > fw/2} are not
     * stored; they are {@code S(v, u) = conj S(-v mod fh, fw - u)} for a real signal.
     */
    static void fold(RealFft2D big, float[] re, float[] im, int dh, int dw, RealFft2D small, float[] zr, float[] zi) {
        int fh = big.fh;
        int fw = big.fw;
        int gh = small.fh;
        int gw = small.fw;
        int bw = big.halfW;
        int sw = small.halfW;
        Arrays.fill(zr, 0, small.planeSize, 0f);
        Arrays.fill(zi, 0, small.planeSize, 0f);
        for (int v = 0, vp = 0; v < fh; v++, vp = vp + 1 == gh ? 0 : vp + 1) {
            int dst = vp * sw;
            int src = v * bw;
            int mirror = (v == 0 ? 0 : fh - v) * bw;
            for (int up = 0; up < sw; up++) {
                for (int b = 0; b < dw; b++) {
                    int u = up + b * gw;
                    if (u <= fw / 2) {
                        zr[dst + up] += re[src + u];
                        zi[dst + up] += im[src + u];
                    } else {
                        zr[dst + up] += re[mirror + fw - u];
                        zi[dst + up] -= im[mirror + fw - u];
                    }
                }
            }
        }
        float scale = 1f / (dh * dw);
        for (int e = 0; e < small.planeSize; e++) {
            zr[e] *= scale;
            zi[e] *= scale;
        }
    }

    /** A body over the index range {@code [from, to)}. */
    interface RangeBody {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over {@code [0, count)} split into fixed contiguous ranges, in parallel on the
     * common fork-join pool (whose threads are daemons) and the calling thread.
     */
    static void parallelRanges(int count, RangeBody body) {
        if (count <= 0) {
            return;
        }
        int chunks = Math.min(count, PARALLELISM * 4);
        if (chunks <= 1 || PARALLELISM == 1) {
            body.run(0, count);
            return;
        }
        IntStream.range(0, chunks).parallel().forEach(c -> body.run(
                (int) ((long) count * c / chunks), (int) ((long) count * (c + 1) / chunks)));
    }
}
