package org.conv4j.internal;

import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.ParallelChunks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.util.Properties;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Moves the elements of a {@code (batch, channels, plane)} block, {@code plane = H*W}, from one store to another,
 * each a heap array or a native buffer, each in {@link MemoryLayout#NCHW} or {@link MemoryLayout#NHWC} order: the
 * one copy behind {@link Tensor4D#copyFrom}, {@link Tensor4D#toNative}, {@link Tensor4D#toHeap} and
 * {@link Tensor4D#toLayout}.
 *
 * <p>In the same order (or with one channel or one pixel, where the two orders coincide) it is one bulk copy.
 * Between the orders each image is a transpose of a {@code (C, plane)} matrix, done in bands of {@code len}
 * pixels so that a band's source and target stay in the cache: {@code C} runs of {@code len} floats on the NCHW
 * side, one run of {@code len*C} floats on the NHWC side. A heap side is read or written in place; a native side
 * is read or written in bulk runs through a scratch band (a direct buffer has no array to index). From twice {@link ParallelChunks#MIN_FLOATS} floats on, the bands (or the bulk copy's chunks) are shared among the
 * processors; each task writes a disjoint part of the target.
 */
public final class LayoutCopy {

    /** Floats in one band: 64 KiB, so that a band's source and target stay in the L2 cache. */
    private static final int BAND_FLOATS = 16384;

    private LayoutCopy() {
    }

    /**
     * The measured price of a conversion per float, in ns: a transpose between NCHW and NHWC, or a bulk copy
     * between storages, from {@code conversion-rates.properties} beside this class (measured by conv-bench's
     * {@code LayoutBench}; the file says how).
     *
     * @param transposes whether the conversion changes the layout
     * @return ns per float
     */
    public static double nanosPerFloat(boolean transposes) {
        return transposes ? Rates.TRANSPOSE : Rates.COPY;
    }

    /** The rates, read once. */
    private static final class Rates {
        static final double COPY;
        static final double TRANSPOSE;

        static {
            Properties p = new Properties();
            try (InputStream in = LayoutCopy.class.getResourceAsStream("conversion-rates.properties")) {
                if (in == null) {
                    throw new IllegalStateException("conv-api's conversion-rates.properties is missing");
                }
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("conv-api's conversion-rates.properties cannot be read", e);
            }
            COPY = Double.parseDouble(p.getProperty("copy.nsPerFloat"));
            TRANSPOSE = Double.parseDouble(p.getProperty("transpose.nsPerFloat"));
        }
    }

    /** A heap array or a native buffer, read and written in bulk runs by element index. */
    public static final class Store {
        /** The heap array, or null. */
        final float[] array;
        /** The native buffer, or null. */
        private final FloatBuffer buffer;

        private Store(float[] array, FloatBuffer buffer) {
            this.array = array;
            this.buffer = buffer;
        }

        public static Store of(float[] array) {
            return new Store(array, null);
        }

        public static Store of(FloatBuffer buffer) {
            return new Store(null, buffer);
        }

        public void read(int at, float[] into, int offset, int length) {
            if (array != null) {
                System.arraycopy(array, at, into, offset, length);
            } else {
                buffer.get(at, into, offset, length);
            }
        }

        public void write(int at, float[] from, int offset, int length) {
            if (array != null) {
                System.arraycopy(from, offset, array, at, length);
            } else {
                buffer.put(at, from, offset, length);
            }
        }
    }

    /**
     * Copies every element of a {@code (batch, channels, plane)} block from {@code from} (in {@code fromLayout})
     * to {@code to} (in {@code toLayout}).
     */
    public static void copy(Store from, MemoryLayout fromLayout, Store to, MemoryLayout toLayout, int batch,
                            int channels, int plane) {
        long total = (long) batch * channels * plane;
        int tasks = ParallelChunks.count(total);
        if (fromLayout == toLayout || channels == 1 || plane == 1) {
            int size = (int) total;
            forEach(tasks, t -> bulk(from, to, (int) ((long) size * t / tasks), (int) ((long) size * (t + 1) / tasks)));
            return;
        }
        int len = Math.max(1, Math.min(plane, BAND_FLOATS / channels));
        int bandsPerImage = (plane + len - 1) / len;
        long bands = (long) batch * bandsPerImage;
        int parts = (int) Math.min(tasks, bands);
        boolean toLast = toLayout == MemoryLayout.NHWC;
        forEach(parts, t -> {
            // A heap side is read or written in place; a native side goes through its own scratch band.
            float[] staged = from.array == null ? new float[len * channels] : null;
            float[] out = to.array == null ? new float[len * channels] : null;
            long first = bands * t / parts;
            long last = bands * (t + 1) / parts;
            for (long b = first; b < last; b++) {
                int image = (int) (b / bandsPerImage);
                int p0 = (int) (b % bandsPerImage) * len;
                int count = Math.min(len, plane - p0);
                int base = image * channels * plane;
                if (toLast) {
                    bandToNhwc(from, to, base, plane, p0, count, channels, staged, out);
                } else {
                    bandToNchw(from, to, base, plane, p0, count, channels, staged, out);
                }
            }
        });
    }

    /**
     * Pixels {@code p0 .. p0+count-1} of the image at {@code base}, NCHW to NHWC: {@code C} rows of {@code count}
     * floats become {@code count} contiguous pixels of {@code C} floats. {@code staged} and {@code out} are the
     * scratch bands of a native source and target (null for a heap one, which is read or written in place).
     */
    private static void bandToNhwc(Store from, Store to, int base, int plane, int p0, int count, int channels,
                                   float[] staged, float[] out) {
        float[] in = from.array;
        int inOff = base + p0;
        int inStride = plane;
        if (in == null) {
            for (int ch = 0; ch < channels; ch++) {
                from.read(base + ch * plane + p0, staged, ch * count, count);
            }
            in = staged;
            inOff = 0;
            inStride = count;
        }
        int at = base + p0 * channels;
        if (out == null) {
            transpose(in, inOff, inStride, to.array, at, channels, channels, count);
        } else {
            transpose(in, inOff, inStride, out, 0, channels, channels, count);
            to.write(at, out, 0, count * channels);
        }
    }

    /** As {@link #bandToNhwc} the other way: {@code count} contiguous NHWC pixels become {@code C} NCHW rows. */
    private static void bandToNchw(Store from, Store to, int base, int plane, int p0, int count, int channels,
                                   float[] staged, float[] out) {
        float[] in = from.array;
        int inOff = base + p0 * channels;
        if (in == null) {
            from.read(inOff, staged, 0, count * channels);
            in = staged;
            inOff = 0;
        }
        if (out == null) {
            transpose(in, inOff, channels, to.array, base + p0, plane, count, channels);
        } else {
            transpose(in, inOff, channels, out, 0, count, count, channels);
            for (int ch = 0; ch < channels; ch++) {
                to.write(base + ch * plane + p0, out, ch * count, count);
            }
        }
    }

    /**
     * Copies elements {@code [start, end)} in the same order: in one call when either side is an array, else (buffer
     * to buffer) through a scratch array in runs.
     */
    private static void bulk(Store from, Store to, int start, int end) {
        if (from.array != null) {
            to.write(start, from.array, start, end - start);
        } else if (to.array != null) {
            from.read(start, to.array, start, end - start);
        } else {
            float[] run = new float[Math.min(end - start, 1 << 14)];
            for (int at = start; at < end; at += run.length) {
                int length = Math.min(run.length, end - at);
                from.read(at, run, 0, length);
                to.write(at, run, 0, length);
            }
        }
    }

    /**
     * {@code out[outOff + j*outStride + i] = in[inOff + i*inStride + j]} for {@code i < rows, j < cols}: a transpose
     * between two strided matrices, four source rows at a time so that each pass writes runs of four floats.
     */
    static void transpose(float[] in, int inOff, int inStride, float[] out, int outOff, int outStride, int rows,
                          int cols) {
        int i = 0;
        for (; i + 4 <= rows; i += 4) {
            int r0 = inOff + i * inStride;
            int r1 = r0 + inStride;
            int r2 = r1 + inStride;
            int r3 = r2 + inStride;
            for (int j = 0, o = outOff + i; j < cols; j++, o += outStride) {
                out[o] = in[r0 + j];
                out[o + 1] = in[r1 + j];
                out[o + 2] = in[r2 + j];
                out[o + 3] = in[r3 + j];
            }
        }
        for (; i < rows; i++) {
            int r = inOff + i * inStride;
            for (int j = 0, o = outOff + i; j < cols; j++, o += outStride) {
                out[o] = in[r + j];
            }
        }
    }

    private static void forEach(int tasks, IntConsumer task) {
        if (tasks == 1) {
            task.accept(0);
        } else {
            IntStream.range(0, tasks).parallel().forEach(task);
        }
    }
}
