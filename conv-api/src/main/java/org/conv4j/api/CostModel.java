package org.conv4j.api;

/**
 * A model of a backend's time shaped like a GEMM's, for {@link ConvBackend#estimateNanos}: a fixed cost per call,
 * a cost per float of a lowered operand (a column or window matrix, written and read; none for a backend that
 * lowers nothing), and the multiply-adds at a rate that falls when a side of the product is small:
 * <pre>
 *   forward  = fixed + copy * lowered + macs / (rate * eff(m, k, n))
 *   backward = fixedBackward + 2 * copy * lowered + macs / (rate * eff(m, k, n)) + macs / (rate * eff(k, m, n))
 *   eff(m, k, n) = m/(m + halfM) * k/(k + halfK) * n/(n + halfN)
 * </pre>
 * with, per group, {@code m = K/groups} filters, {@code k = C/groups * kH * kW} (the patch) and
 * {@code n = N * outH * outW} output positions; {@code lowered = groups * k * n} floats, or 0 where the backend
 * needs no lowering (a 1x1 kernel, unstrided and unpadded, is its own column matrix). The backward pass runs
 * the same product for dL/dw and its transpose for dL/dx. Each backend fits the constants to its measured
 * times (docs/benchmarks.md, "Choosing a backend"); the model is pure arithmetic on the shape, a few
 * nanoseconds to evaluate.
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

    /**
     * @param fixedNs               per forward call
     * @param fixedBackwardNs       per backward call
     * @param copyNsPerFloat        per float of the lowered operand (each direction); 0 if nothing is lowered
     * @param macsPerNs             multiply-adds per ns of a GEMM with large sides
     * @param halfM                 filters per group at which the GEMM runs at half speed
     * @param halfK                 patch length at which it runs at half speed
     * @param halfN                 output positions at which it runs at half speed
     * @param skipsIdentityLowering whether a 1x1, unstrided, unpadded, undilated kernel is used in place
     */
    public CostModel(double fixedNs, double fixedBackwardNs, double copyNsPerFloat, double macsPerNs, double halfM,
                    double halfK, double halfN, boolean skipsIdentityLowering) {
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
        double m = s.outChannelsPerGroup();
        double k = s.patchSize();
        double n = (double) s.batch() * s.outPlane();
        double macs = s.macs();
        boolean identity = s.kernelH() == 1 && s.kernelW() == 1 && !s.params().isStrided()
                && !s.params().isPadded() && !s.params().isDilated();
        double lowered = skipsIdentityLowering && identity ? 0 : s.groups() * k * n;
        double forwardGemm = macs / (macsPerNs * efficiency(m, k, n));
        if (pass == ConvPass.FORWARD) {
            return fixedNs + copyNsPerFloat * lowered + forwardGemm;
        }
        return fixedBackwardNs + 2 * copyNsPerFloat * lowered + forwardGemm
                + macs / (macsPerNs * efficiency(k, m, n));
    }

    private double efficiency(double m, double k, double n) {
        return m / (m + halfM) * k / (k + halfK) * n / (n + halfN);
    }
}
