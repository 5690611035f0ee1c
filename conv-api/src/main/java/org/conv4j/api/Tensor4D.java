package org.conv4j.api;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A dense four-dimensional float32 tensor in NCHW layout, backed by one {@code float[]}.
 *
 * <p>Element {@code (n, c, h, w)} lives at index {@code ((n*C + c)*H + h)*W + w} of {@link #data()}:
 * {@code w} varies fastest, then {@code h}, then the channel, then the batch index. The same class
 * holds activations ({@code N, C, H, W}), convolution weights in OIHW order ({@code K, C/groups, kH, kW})
 * and gradients.
 *
 * <p>The shape is fixed at construction; the contents are mutable and not synchronised. Every dimension
 * is at least 1 and the element count fits in an {@code int} (Java arrays cannot be larger).
 * {@link #wrap} shares the caller's array, so writes through either are visible to both.
 */
public final class Tensor4D {

    private final int n;
    private final int c;
    private final int h;
    private final int w;
    private final float[] data;

    private Tensor4D(float[] data, int n, int c, int h, int w) {
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
        this.data = data;
    }

    /**
     * A new tensor of the given shape, filled with zeros.
     *
     * @param n the batch size N
     * @param c the channel count C
     * @param h the height H
     * @param w the width W
     * @return the new tensor
     */
    public static Tensor4D zeros(int n, int c, int h, int w) {
        int size = checkedSize("shape", n, c, h, w);
        return new Tensor4D(new float[size], n, c, h, w);
    }

    /**
     * A new tensor of the given shape with every element set to {@code value}.
     *
     * @param value the value of every element
     * @param n the batch size N
     * @param c the channel count C
     * @param h the height H
     * @param w the width W
     * @return the new tensor
     */
    public static Tensor4D filled(float value, int n, int c, int h, int w) {
        Tensor4D t = zeros(n, c, h, w);
        Arrays.fill(t.data, value);
        return t;
    }

    /**
     * Wraps {@code data} without copying it.
     *
     * @param data the elements in NCHW order, shared, not copied
     * @param n the batch size N
     * @param c the channel count C
     * @param h the height H
     * @param w the width W
     * @return a tensor backed by {@code data}
     * @throws NullPointerException if {@code data} is null
     * @throws IllegalArgumentException if a dimension is below 1, the element count overflows an int, or
     *         {@code data.length != n*c*h*w}
     */
    public static Tensor4D wrap(float[] data, int n, int c, int h, int w) {
        Objects.requireNonNull(data, "data must not be null");
        int size = checkedSize("shape", n, c, h, w);
        if (data.length != size) {
            throw new IllegalArgumentException("data: expected length " + size + " for shape "
                    + shapeString(n, c, h, w) + ", got " + data.length);
        }
        return new Tensor4D(data, n, c, h, w);
    }

    /**
     * A tensor of uniform random values in {@code [-1, 1)}, reproducible from {@code seed}
     * (the same seed and shape always give the same contents, on every JVM).
     *
     * @param seed the seed of the values
     * @param n the batch size N
     * @param c the channel count C
     * @param h the height H
     * @param w the width W
     * @return the new tensor
     */
    public static Tensor4D random(long seed, int n, int c, int h, int w) {
        Tensor4D t = zeros(n, c, h, w);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < t.data.length; i++) {
            t.data[i] = (float) (random.nextDouble() * 2.0 - 1.0);
        }
        return t;
    }

    /**
     * The element count {@code n*c*h*w}, after checking that every dimension is at least 1 and that the
     * product fits in an int.
     *
     * @param what names the tensor in the error message
     * @param n the batch size N
     * @param c the channel count C
     * @param h the height H
     * @param w the width W
     * @return {@code n*c*h*w}
     */
    public static int checkedSize(String what, int n, int c, int h, int w) {
        if (n < 1 || c < 1 || h < 1 || w < 1) {
            throw new IllegalArgumentException(what + ": expected every dimension >= 1, got "
                    + shapeString(n, c, h, w));
        }
        long size = (long) n * c * h * w;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + ": expected at most " + Integer.MAX_VALUE
                    + " elements, got " + size + " for shape " + shapeString(n, c, h, w));
        }
        return (int) size;
    }

    static String shapeString(long n, long c, long h, long w) {
        return "[" + n + ", " + c + ", " + h + ", " + w + "]";
    }

    /**
     * Batch size (first dimension).
     *
     * @return N
     */
    public int n() {
        return n;
    }

    /**
     * Channels (second dimension).
     *
     * @return C
     */
    public int c() {
        return c;
    }

    /**
     * Height (third dimension).
     *
     * @return H
     */
    public int h() {
        return h;
    }

    /**
     * Width (fourth dimension, contiguous in memory).
     *
     * @return W
     */
    public int w() {
        return w;
    }

    /**
     * The element count, {@code n*c*h*w}.
     *
     * @return {@code n*c*h*w}
     */
    public int size() {
        return data.length;
    }

    /**
     * A copy of the shape, {@code {n, c, h, w}}.
     *
     * @return {@code {n, c, h, w}}, a new array
     */
    public int[] shape() {
        return new int[] {n, c, h, w};
    }

    /**
     * True if the shape is exactly {@code (n, c, h, w)}.
     *
     * @param n the batch size to compare with
     * @param c the channel count to compare with
     * @param h the height to compare with
     * @param w the width to compare with
     * @return whether the shape is {@code (n, c, h, w)}
     */
    public boolean hasShape(int n, int c, int h, int w) {
        return this.n == n && this.c == c && this.h == h && this.w == w;
    }

    /**
     * True if {@code other} has the same shape as this tensor.
     *
     * @param other the tensor to compare with
     * @return whether both shapes are equal
     */
    public boolean sameShape(Tensor4D other) {
        return hasShape(other.n, other.c, other.h, other.w);
    }

    /**
     * The shape as text, e.g. {@code [8, 64, 56, 56]}.
     *
     * @return the shape, e.g. {@code [8, 64, 56, 56]}
     */
    public String shapeString() {
        return shapeString(n, c, h, w);
    }

    /**
     * The backing array (not a copy), in NCHW order.
     *
     * @return the backing array
     */
    public float[] data() {
        return data;
    }

    /**
     * The position of element {@code (n, c, h, w)} in {@link #data()}.
     *
     * @param n the batch index
     * @param c the channel
     * @param h the row
     * @param w the column
     * @return {@code ((n*C + c)*H + h)*W + w}
     * @throws IndexOutOfBoundsException if an index is outside its dimension
     */
    public int index(int n, int c, int h, int w) {
        checkIndex("n", n, this.n);
        checkIndex("c", c, this.c);
        checkIndex("h", h, this.h);
        checkIndex("w", w, this.w);
        return ((n * this.c + c) * this.h + h) * this.w + w;
    }

    private void checkIndex(String axis, int index, int size) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + axis + ": expected 0 <= " + axis + " < " + size
                    + " for a tensor of shape " + shapeString() + ", got " + index);
        }
    }

    /**
     * Element {@code (n, c, h, w)}.
     *
     * @param n the batch index
     * @param c the channel
     * @param h the row
     * @param w the column
     * @return the element
     */
    public float get(int n, int c, int h, int w) {
        return data[index(n, c, h, w)];
    }

    /**
     * Sets element {@code (n, c, h, w)} to {@code v}.
     *
     * @param n the batch index
     * @param c the channel
     * @param h the row
     * @param w the column
     * @param v the new value
     */
    public void set(int n, int c, int h, int w, float v) {
        data[index(n, c, h, w)] = v;
    }

    /**
     * Sets every element to {@code value}; returns this tensor.
     *
     * @param value the value of every element
     * @return this tensor
     */
    public Tensor4D fill(float value) {
        Arrays.fill(data, value);
        return this;
    }

    /**
     * A deep copy.
     *
     * @return a new tensor of the same shape and contents
     */
    public Tensor4D copy() {
        return new Tensor4D(data.clone(), n, c, h, w);
    }

    /**
     * The largest absolute element, ignoring NaN; 0 for an all-NaN tensor.
     *
     * @return the largest {@code |element|}
     */
    public float maxAbs() {
        float max = 0f;
        for (float v : data) {
            float a = Math.abs(v);
            if (a > max) {
                max = a;
            }
        }
        return max;
    }

    /**
     * True if no element is NaN or infinite.
     *
     * @return whether every element is finite
     */
    public boolean allFinite() {
        return allFinite(data, 0, data.length);
    }

    /**
     * True if no element of {@code a[from .. to - 1]} is NaN or infinite: the scan backends run before taking
     * a path that is exact only for finite values.
     *
     * <p>{@code v * 0} is a zero for every finite {@code v} and NaN for NaN and the infinities; a sum of zeros
     * is a zero, and a NaN makes any sum NaN. So the sum of the products is zero exactly when every element is
     * finite. Eight independent partial sums let the processor overlap the additions: about twice as fast as
     * testing each element (docs/architecture.md, "Non-finite values").
     *
     * @param a the array
     * @param from the first index scanned
     * @param to the end of the scan (exclusive)
     * @return whether {@code a[from .. to - 1]} is all finite
     * @throws IllegalArgumentException if {@code a} is null or {@code 0 <= from <= to <= a.length} does not hold
     */
    public static boolean allFinite(float[] a, int from, int to) {
        if (a == null) {
            throw new IllegalArgumentException("a: expected an array, got null");
        }
        if (from < 0 || from > to || to > a.length) {
            throw new IllegalArgumentException("from, to: expected 0 <= from <= to <= " + a.length + ", got from "
                    + from + ", to " + to);
        }
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        float s4 = 0f;
        float s5 = 0f;
        float s6 = 0f;
        float s7 = 0f;
        int i = from;
        for (; i + 8 <= to; i += 8) {
            s0 += a[i] * 0f;
            s1 += a[i + 1] * 0f;
            s2 += a[i + 2] * 0f;
            s3 += a[i + 3] * 0f;
            s4 += a[i + 4] * 0f;
            s5 += a[i + 5] * 0f;
            s6 += a[i + 6] * 0f;
            s7 += a[i + 7] * 0f;
        }
        float sum = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        for (; i < to; i++) {
            sum += a[i] * 0f;
        }
        return sum == 0f;
    }

    /**
     * The largest {@code |this - other|} over all elements. Two non-finite elements of the same kind
     * (both NaN, or the same infinity) count as equal; any other pairing with a non-finite value gives
     * {@code Float.POSITIVE_INFINITY}.
     *
     * @param other a tensor of the same shape
     * @return the largest element-wise difference
     * @throws IllegalArgumentException if the shapes differ
     */
    public float maxAbsDiff(Tensor4D other) {
        Objects.requireNonNull(other, "other must not be null");
        if (!sameShape(other)) {
            throw new IllegalArgumentException("other: expected shape " + shapeString() + ", got "
                    + other.shapeString());
        }
        float max = 0f;
        for (int i = 0; i < data.length; i++) {
            float a = data[i];
            float b = other.data[i];
            float d;
            if (Float.isFinite(a) && Float.isFinite(b)) {
                d = Math.abs(a - b);
            } else {
                d = Float.compare(a, b) == 0 ? 0f : Float.POSITIVE_INFINITY;
            }
            if (d > max) {
                max = d;
            }
        }
        return max;
    }

    /**
     * True if the shapes match and every element satisfies {@code |a - b| <= atol + rtol*|b|}
     * (numpy's {@code allclose}, with NaN equal to NaN and an infinity equal only to itself).
     *
     * @param other the expected tensor {@code b}
     * @param rtol the relative tolerance
     * @param atol the absolute tolerance
     * @return whether the tensors are close
     */
    public boolean allClose(Tensor4D other, float rtol, float atol) {
        Objects.requireNonNull(other, "other must not be null");
        if (!sameShape(other)) {
            return false;
        }
        for (int i = 0; i < data.length; i++) {
            float a = data[i];
            float b = other.data[i];
            if (Float.isFinite(a) && Float.isFinite(b)) {
                if (Math.abs(a - b) > atol + rtol * Math.abs(b)) {
                    return false;
                }
            } else if (Float.compare(a, b) != 0 && !(Float.isNaN(a) && Float.isNaN(b))) {
                return false;
            }
        }
        return true;
    }

    /** Equal shapes and bit-identical contents (so NaN equals NaN). */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Tensor4D)) {
            return false;
        }
        Tensor4D t = (Tensor4D) o;
        return sameShape(t) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape()) + Arrays.hashCode(data);
    }

    /** The shape and, for small tensors, the values; e.g. {@code Tensor4D[1, 1, 2, 2] [1.0, 2.0, 3.0, 4.0]}. */
    @Override
    public String toString() {
        final int shown = 16;
        StringBuilder sb = new StringBuilder("Tensor4D").append(shapeString()).append(" [");
        for (int i = 0; i < Math.min(shown, data.length); i++) {
            sb.append(i == 0 ? "" : ", ").append(data[i]);
        }
        return sb.append(data.length > shown ? ", ...]" : "]").toString();
    }
}
