package org.conv4j.onednn;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.testkit.FuzzCase;
import org.conv4j.testkit.Fuzzer;

import java.util.ArrayList;
import java.util.List;

/**
 * The layers the fuzz suite found oneDNN crashing on or miscomputing, run on {@code onednn} and the facade against
 * {@code naive}; a child JVM's main ({@link AwkwardLayersTest}), since a regression would kill the JVM. Exits 1
 * with the failures printed if any layer disagrees.
 */
public final class AwkwardLayers {

    /** Fuzz cases (seeds of {@link FuzzCase#of}), one or more of each family found. */
    static final long[] SEEDS = {
        -8352796431423373569L, // forward, output columns wholly in the padding: SIGSEGV in brgemm perform_outwork
        -4394896518110799321L, // the same, width 1 with larger left padding
        4843807188636069731L, // forward, one output column, column stride 4: wrong rows after the first
        8345122647246843380L, // the same without padding (replicate padding done before the call)
        -3609193280541539802L, // the same with -Inf in the input
        4245183020283167393L, // transposed backward: its dL/dx is such a forward pass
        7185810691376785742L, // backward, -Inf weight: NaN spread over dL/dx
        4111989771950200604L, // input gradient, NaN weight
        -7974713362234778083L, // transposed forward, -Inf weight
        5382663928646553905L, // transposed backward, output all output padding (nothing reached)
        5304400228981538717L, // transposed forward, the same
    };

    public static void main(String[] args) {
        List<String> failures = new ArrayList<>();
        Fuzzer fuzzer = new Fuzzer();
        for (long seed : SEEDS) {
            failures.addAll(fuzzer.check(FuzzCase.of(seed), null));
        }
        // the layer of the original report: grouped, stride 1x3, padding (2, 0, 1, 2), dilation 1x3, bias
        ConvParams p = ConvParams.builder().stride(1, 3).padding(2, 0, 1, 2).dilation(1, 3).groups(2).build();
        Tensor4D x = Tensor4D.random(1, 3, 2, 7, 1);
        Tensor4D w = Tensor4D.random(2, 6, 1, 2, 1);
        float[] b = {1, 2, 3, 4, 5, 6};
        Tensor4D expected = Conv2d.backend("naive").forward(x, w, b, p);
        for (String name : List.of("onednn", "facade")) {
            Tensor4D y = name.equals("facade") ? Conv2d.forward(x, w, b, p) : Conv2d.backend(name).forward(x, w, b, p);
            if (expected.maxAbsDiff(y) > 1e-5f) {
                failures.add(name + " on the reported layer: largest difference " + expected.maxAbsDiff(y));
            }
        }
        failures.forEach(System.out::println);
        System.out.println(fuzzer.counts() + ", " + failures.size() + " failures");
        System.exit(failures.isEmpty() ? 0 : 1);
    }
}
