package org.conv4j.api;

/**
 * What a backend decision depends on: the pass, every size of the geometry, the parameters and, for measured
 * decisions, the thread count. A cheap map key (a few field comparisons), so that a repeated layer finds its
 * decision in well under a microsecond.
 */
final class PlanKey {

    private final ConvPass pass;
    private final int batch;
    private final int inChannels;
    private final int inH;
    private final int inW;
    private final int outChannels;
    private final int kernelH;
    private final int kernelW;
    private final ConvParams params;
    private final int threads;
    private final int hash;

    /** The key of an estimated decision, which does not depend on the thread count. */
    PlanKey(ConvShape s, ConvPass pass) {
        this(s, pass, 0);
    }

    PlanKey(ConvShape s, ConvPass pass, int threads) {
        this.threads = threads;
        this.pass = pass;
        this.batch = s.batch();
        this.inChannels = s.inChannels();
        this.inH = s.inH();
        this.inW = s.inW();
        this.outChannels = s.outChannels();
        this.kernelH = s.kernelH();
        this.kernelW = s.kernelW();
        this.params = s.params();
        int h = pass.hashCode();
        for (int v : new int[] {batch, inChannels, inH, inW, outChannels, kernelH, kernelW, threads}) {
            h = 31 * h + v;
        }
        this.hash = 31 * h + params.hashCode();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof PlanKey)) {
            return false;
        }
        PlanKey k = (PlanKey) o;
        return hash == k.hash && pass == k.pass && batch == k.batch && inChannels == k.inChannels && inH == k.inH
                && inW == k.inW && outChannels == k.outChannels && kernelH == k.kernelH && kernelW == k.kernelW
                && threads == k.threads && params.equals(k.params);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
