package org.conv4j.api;

/**
 * The geometry of a convolution along one spatial axis (rows or columns; later also depth, or the one axis of
 * a 1-D convolution), validated by {@link ConvShape}, which exposes it as {@link ConvShape#rows()} and
 * {@link ConvShape#cols()}.
 *
 * <p>Output {@code o} ({@code 0 <= o < out}) reads, through kernel tap {@code t} ({@code 0 <= t < kernel}),
 * the input position
 * <pre>
 *   inputIndex(o, t) = o*stride - padBefore + t*dilation
 * </pre>
 * which is a real input element when it lies in {@code [0, in)} and padding (a zero) otherwise;
 * {@code out = floor((in + padBefore + padAfter - ((kernel-1)*dilation + 1)) / stride) + 1}. Positions are
 * computed in long: an absurd padding must not wrap around.
 *
 * @param in        the input size
 * @param kernel    the kernel size (taps)
 * @param stride    the step between outputs, {@code >= 1}
 * @param padBefore zeros before the input
 * @param padAfter  zeros after the input
 * @param dilation  the step between taps, {@code >= 1}
 * @param out       the output size
 */
public record ConvAxis(int in, int kernel, int stride, int padBefore, int padAfter, int dilation, int out) {

    /**
     * The input position output {@code o} reads through tap {@code tap}: {@code o*stride - padBefore + tap*dilation}.
     *
     * @param o the output position
     * @param tap the kernel tap
     * @return the input position, negative or beyond the input in the padding
     */
    public long inputIndex(int o, int tap) {
        return (long) o * stride - padBefore + (long) tap * dilation;
    }

    /**
     * True if {@code position} is an input element, not padding: {@code 0 <= position < in}.
     *
     * @param position an input position
     * @return whether it lies in the input
     */
    public boolean contains(long position) {
        return position >= 0 && position < in;
    }

    /**
     * The output that reads input position {@code position} through tap {@code tap} (the inverse of
     * {@link #inputIndex}), or -1 if no output does (the position falls between two outputs' reads, or beyond
     * the outputs).
     *
     * @param position an input position
     * @param tap the kernel tap
     * @return the output, or -1
     */
    public int outputFor(long position, int tap) {
        long num = position + padBefore - (long) tap * dilation;
        if (num < 0 || num % stride != 0 || num / stride >= out) {
            return -1;
        }
        return (int) (num / stride);
    }

    /**
     * The first output whose tap {@code tap} reads an input element (not padding). The outputs that do form one
     * range {@code [firstOutput(tap), endOutput(tap))}, because {@link #inputIndex} grows with {@code o}; the
     * range is empty ({@code first == end}) when the tap reads only padding.
     *
     * @param tap the kernel tap
     * @return the first such output
     */
    public int firstOutput(int tap) {
        return (int) Math.min(firstAtLeast(tap, 0), out);
    }

    /**
     * The end (exclusive) of the outputs whose tap {@code tap} reads an input element; see {@link #firstOutput}.
     *
     * @param tap the kernel tap
     * @return the end of the range
     */
    public int endOutput(int tap) {
        return (int) Math.max(firstOutput(tap), Math.min(firstAtLeast(tap, in), out));
    }

    /** The smallest {@code o >= 0} with {@code inputIndex(o, tap) >= bound} (may exceed {@code out}). */
    private long firstAtLeast(int tap, long bound) {
        long start = inputIndex(0, tap);
        return start >= bound ? 0 : (bound - start + stride - 1) / stride;
    }

    /**
     * Whether some output reads only padding: no tap of its window lands on an input element (padding at least
     * the dilated kernel before or after the input, or a dilation that steps over the whole input). Such an
     * output is the bias alone. The taps' output ranges ({@link #firstOutput}) move towards lower outputs as the
     * tap grows, so walking the taps from the last to the first visits them in order of their start, and any gap
     * between them, or before the first or after the last, is such an output. O(kernel).
     *
     * @return whether such an output exists
     */
    public boolean hasPaddingOnlyOutputs() {
        int covered = 0;
        for (int tap = kernel - 1; tap >= 0; tap--) {
            int first = firstOutput(tap);
            int end = endOutput(tap);
            if (end > first) {
                if (first > covered) {
                    return true;
                }
                covered = Math.max(covered, end);
            }
        }
        return covered < out;
    }

    /**
     * The extent of the dilated kernel, {@code (kernel - 1)*dilation + 1}.
     *
     * @return the dilated kernel extent
     */
    public int dilatedKernel() {
        return (kernel - 1) * dilation + 1;
    }

    /**
     * {@code in + padBefore + padAfter}; long, as an absurd padding may exceed an int.
     *
     * @return the padded size
     */
    public long padded() {
        return (long) in + padBefore + padAfter;
    }
}
