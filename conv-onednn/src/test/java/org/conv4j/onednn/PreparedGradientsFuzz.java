package org.conv4j.onednn;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PreparedBackward;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.naive.NaiveBackend;
import org.conv4j.testkit.Agreement;
import org.conv4j.testkit.ConvCase;
import org.conv4j.testkit.FuzzCase;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The fuzz suite's random small layers ({@link FuzzCase}: sides of 1 and 2, kernels as large as the padded input,
 * outputs wholly in the padding, every padding mode, groups, dilation), each with a random non-finite value in the
 * input, the weight or {@code dL/dy} in some of them, through onednn's prepared backward pass (half of them under the
 * smallest workspace limit, so that batches needing parts take the unprepared path) against {@code naive}: the full
 * backward pass on heap NCHW and native NHWC tensors, {@code dL/dx} alone on native NCHW ones, {@code dL/dw} alone on
 * native NHWC ones. A child JVM's main ({@link PreparedGradientsFuzzTest}), since a native fault would kill the JVM:
 * arguments the first seed and the number of cases; each layer is printed before it runs. Exits 1 with the failures
 * printed.
 */
public final class PreparedGradientsFuzz {

    public static void main(String[] args) {
        long seed = Long.parseLong(args[0]);
        int count = Integer.parseInt(args[1]);
        OnednnBackend unbounded = new OnednnBackend();
        OnednnBackend bounded = new OnednnBackend(Workspace.MIN_LIMIT_BYTES);
        NaiveBackend naive = new NaiveBackend();
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        List<String> failures = new ArrayList<>();
        int run = 0;
        int prepared = 0;
        for (int i = 0; i < count; i++) {
            ConvCase c = FuzzCase.of(seed + i).layer();
            SplittableRandom r = new SplittableRandom(seed + i);
            Tensor4D x;
            Tensor4D w;
            Tensor4D dy;
            ConvShape s;
            try {
                x = c.input();
                w = c.weight();
                dy = c.gradOutput();
                s = ConvShape.backward(x, w, dy, c.params());
            } catch (IllegalArgumentException e) {
                continue; // an invalid layer, drawn on purpose by the fuzz suite
            }
            Tensor4D[] operands = {x, w, dy};
            int where = r.nextInt(4);
            if (where > 0) {
                Tensor4D t = operands[where - 1];
                t.data()[r.nextInt(t.size())] = special[r.nextInt(3)];
            }
            OnednnBackend onednn = r.nextBoolean() ? bounded : unbounded;
            String name = "seed " + (seed + i) + ": " + s + (where == 0 ? "" : ", non-finite in operand " + where);
            System.out.println(name);
            System.out.flush();
            run++;
            ConvGradients e = naive.backward(x, w, dy, c.params());
            float termX = Agreement.maxFiniteAbs(dy) * Agreement.maxFiniteAbs(w);
            float termW = Agreement.maxFiniteAbs(dy) * Agreement.maxFiniteAbs(x);
            try (PreparedBackward p = onednn.prepareBackward(s, w);
                 Tensor4D xn = x.toNative(MemoryLayout.NHWC); Tensor4D dyn = dy.toNative(MemoryLayout.NHWC);
                 Tensor4D dyc = dy.toNative(MemoryLayout.NCHW);
                 Tensor4D dxn = Tensor4D.allocateNative(MemoryLayout.NHWC, x.n(), x.c(), x.h(), x.w());
                 Tensor4D dxc = Tensor4D.allocateNative(MemoryLayout.NCHW, x.n(), x.c(), x.h(), x.w())) {
                prepared += p instanceof PreparedGradients ? 1 : 0;
                ConvGradients heap = p.backward(x, dy);
                agree(failures, name + ", dL/dx", e.input(), heap.input(), termX);
                agree(failures, name + ", dL/dw", e.weight(), heap.weight(), termW);
                agree(failures, name + ", dL/db", e.biasTensor(), heap.biasTensor(), Agreement.maxFiniteAbs(dy));
                ConvGradients into = new ConvGradients(dxn.fill(Float.NaN), s.newWeight().fill(Float.NaN),
                        new float[s.outChannels()]);
                p.backwardInto(xn, dyn, into);
                agree(failures, name + ", native NHWC dL/dx", e.input(), into.input(), termX);
                agree(failures, name + ", native NHWC dL/dw", e.weight(), into.weight(), termW);
                agree(failures, name + ", native NHWC dL/db", e.biasTensor(), into.biasTensor(),
                        Agreement.maxFiniteAbs(dy));
                agree(failures, name + ", native NCHW dL/dx alone", e.input(),
                        p.inputGradientInto(dyc, dxc.fill(Float.NaN)), termX);
                agree(failures, name + ", native NHWC dL/dw alone", e.weight(), p.weightGradient(xn, dyn), termW);
            }
        }
        failures.forEach(System.out::println);
        System.out.println("layers=" + run + " prepared=" + prepared + ", " + failures.size() + " failures");
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    private static void agree(List<String> failures, String what, Tensor4D expected, Tensor4D actual, float term) {
        try {
            Agreement.assertAgrees(what, "", expected, actual, OnednnBackend.TOLERANCE, term);
        } catch (AssertionError e) {
            failures.add(e.getMessage());
        }
    }
}
