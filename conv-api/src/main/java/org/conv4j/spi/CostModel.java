package org.conv4j.spi;

import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;

/**
 * A model of a backend's time shaped like a GEMM's, for {@link ConvBackend#estimateNanos}: a fixed cost per call,
 * a cost per float of a lowered operand (a column or window matrix, written and read; none for a backend that
 * lowers nothing), and the multiply-adds at a rate that falls when a side of the product is small:
 * <pre>
 *   forward  = fixed + copy * lowered + staging * (x + y) + macs / (rate * eff(m, k, n))
 *   backward = fixedBackward + 2 * copy * lowered + staging * (2 x + y)
 *              + macs / (rate * eff(m, k, n)) + macs / (rate * eff(k, m, n))
 *   eff(m, k, n) = m/(m + halfM) * k/(k + halfK) * n/(n + halfN)
 * </pre>
 * with, per group, {@code m = K/groups} filters, {@code k = C/groups * kH * kW} (the patch) and
 * {@code n = N * outH * outW} output positions; {@code lowered = groups * k * n} floats, or 0 where the backend
 * needs no lowering (a 1x1 kernel, unstrided and unpadded, is its own column matrix); {@code x} and {@code y}
 * are the floats of the input and the output (the backward pass reads {@code x} and {@code dL/dy} and writes
 * {@code dL/dx}), the memory a backend that stages its operands into its own buffers moves besides the product
 * (0 where it moves none). The backward pass runs
 * the same product for dL/dw and its transpose for dL/dx. The constants are data: a {@link CostProfile} gives
 * them per named model, and {@code java -jar conv-bench.jar fit} fits them to measured times; the model is pure
 * arithmetic on the shape, a few nanoseconds to evaluate.
 *
 * <p>A 3D layer ({@link #nanos(Conv3dShape, ConvPass)}) is the same product with the depth as one more spatial
 * axis: {@code k = C/groups * kD * kH * kW}, {@code n = N * outD * outH * outW}.
 */
public final class CostModel {

    private final double fixedNs;
    private final double fixedBackwardNs;
    private final double copyNsPerFloat;
    private final double macsPerNs;
    private final double halfM;
    private final double halfK;
    private final double halfN;
    private final boolean skipsIdentityLowering;
    private final double stagingNsPerFloat;

    /**
     * @param fixedNs               per forward call
     * @param fixedBackwardNs       per backward call
     * @param copyNsPerFloat        per float of the lowered operand (each direction); 0 if nothing is lowered
     * @param macsPerNs             multiply-adds per ns of a GEMM with large sides
     * @param halfM                 filters per group at which the GEMM runs at half speed
     * @param halfK                 patch length at which it runs at half speed
     * @param halfN                 output positions at which it runs at half speed
     * @param skipsIdentityLowering whether the input is used in place where lowering is the identity
     *                              ({@link #isIdentityLowering(ConvShape)})
     */
    public CostModel(double fixedNs, double fixedBackwardNs, double copyNsPerFloat, double macsPerNs, double halfM,
                    double halfK, double halfN, boolean skipsIdentityLowering) {
        this(fixedNs, fixedBackwardNs, copyNsPerFloat, macsPerNs, halfM, halfK, halfN, skipsIdentityLowering, 0);
    }

    /**
     * @param fixedNs               per forward call
     * @param fixedBackwardNs       per backward call
     * @param copyNsPerFloat        per float of the lowered operand (each direction); 0 if nothing is lowered
     * @param macsPerNs             multiply-adds per ns of a GEMM with large sides
     * @param halfM                 filters per group at which the GEMM runs at half speed
     * @param halfK                 patch length at which it runs at half speed
     * @param halfN                 output positions at which it runs at half speed
     * @param skipsIdentityLowering whether the input is used in place where lowering is the identity
     *                              ({@link #isIdentityLowering(ConvShape)})
     * @param stagingNsPerFloat     per float of the activations the call moves besides the product
     */
    public CostModel(double fixedNs, double fixedBackwardNs, double copyNsPerFloat, double macsPerNs, double halfM,
                    double halfK, double halfN, boolean skipsIdentityLowering, double stagingNsPerFloat) {
        this.stagingNsPerFloat = stagingNsPerFloat;
        this.fixedNs = fixedNs;
        this.fixedBackwardNs = fixedBackwardNs;
        this.copyNsPerFloat = copyNsPerFloat;
        this.macsPerNs = macsPerNs;
        this.halfM = halfM;
        this.halfK = halfK;
        this.halfN = halfN;
        this.skipsIdentityLowering = skipsIdentityLowering;
    }

    /**
     * The modelled time of one call, in ns.
     *
     * @param s the validated geometry
     * @param pass the pass
     * @return the time in nanoseconds
     */
    public double nanos(ConvShape s, ConvPass pass) {
        return nanos(pass, s.groups(), s.outChannelsPerGroup(), s.patchSize(), (double) s.batch() * s.outPlane(),
                s.macs(), isIdentityLowering(s), (double) s.batch() * s.inChannels() * s.inPlane(),
                (double) s.batch() * s.outChannels() * s.outPlane());
    }

    /**
     * The modelled time of one 3D call, in ns: the formula of the class comment with {@code k = C/groups * kD * kH
     * * kW} and {@code n = N * outD * outH * outW}; the identity is a 1x1x1 kernel, unstrided and unpadded.
     *
     * @param s the validated geometry
     * @param pass the pass
     * @return the time in nanoseconds
     */
    public double nanos(Conv3dShape s, ConvPass pass) {
        ConvAxis d = s.depth();
        ConvAxis h = s.rows();
        ConvAxis w = s.cols();
        double taps = (double) d.kernel() * h.kernel() * w.kernel();
        double outVolume = (double) d.out() * h.out() * w.out();
        return nanos(pass, s.params().groups(), s.outChannelsPerGroup(), s.inChannelsPerGroup() * taps,
                s.batch() * outVolume, s.macs(), isIdentityLowering(s),
                (double) s.batch() * s.inChannels() * d.in() * h.in() * w.in(),
                s.batch() * s.outChannels() * outVolume);
    }

    /**
     * Whether lowering {@code s} to a column matrix (im2col) is the identity: a 1x1 kernel, unstrided and unpadded,
     * reads every input element once and in order, so the input is its own column matrix and a lowering backend
     * can use it in place. Dilation does not matter with a single tap.
     *
     * @param s the validated geometry
     * @return whether the lowering is the identity
     */
    public static boolean isIdentityLowering(ConvShape s) {
        return s.kernelH() == 1 && s.kernelW() == 1 && !s.params().isStrided() && !s.params().isPadded();
    }

    /**
     * {@link #isIdentityLowering(ConvShape)} for a 3D geometry (vol2col): a 1x1x1 kernel, unstrided and unpadded on
     * every axis.
     *
     * @param s the validated geometry
     * @return whether the lowering is the identity
     */
    public static boolean isIdentityLowering(Conv3dShape s) {
        return isIdentityAxis(s.depth()) && isIdentityAxis(s.rows()) && isIdentityAxis(s.cols());
    }

    private static boolean isIdentityAxis(ConvAxis a) {
        return a.kernel() == 1 && a.stride() == 1 && a.padBefore() == 0 && a.padAfter() == 0;
    }

    /**
     * The formula of the class comment: {@code m} filters per group, {@code k} the patch, {@code n} the output
     * positions, {@code x} and {@code y} the floats of the input and the output.
     */
    private double nanos(ConvPass pass, int groups, double m, double k, double n, double macs, boolean identity,
                         double x, double y) {
        double lowered = skipsIdentityLowering && identity ? 0 : groups * k * n;
        double forwardGemm = macs / (macsPerNs * efficiency(m, k, n));
        if (pass == ConvPass.FORWARD) {
            return fixedNs + copyNsPerFloat * lowered + stagingNsPerFloat * (x + y) + forwardGemm;
        }
        return fixedBackwardNs + 2 * copyNsPerFloat * lowered + stagingNsPerFloat * (2 * x + y) + forwardGemm
                + macs / (macsPerNs * efficiency(k, m, n));
    }

    private double efficiency(double m, double k, double n) {
        return m / (m + halfM) * k / (k + halfK) * n / (n + halfN);
    }
}
