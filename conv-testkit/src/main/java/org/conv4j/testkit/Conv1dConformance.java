package org.conv4j.testkit;

import org.conv4j.api.Conv1d;
import org.conv4j.api.Conv1dGradients;
import org.conv4j.api.Conv1dParams;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor3D;
import org.conv4j.api.Tensor4D;
import org.conv4j.testkit.ConvBackendConformance.BadInput;
import org.junit.jupiter.api.DynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The 1D part of the conformance kit ({@link ConvBackendConformance} runs it for every backend): each backend's
 * 2D passes, reached through {@link Conv1d#on(ConvBackend)} as convolutions of height 1, agree with the kit's own
 * 1D reference ({@link Conv1dReference}) within the backend's tolerance (see {@link Agreement}); forward,
 * {@code forwardInto} a NaN-filled output, backward, both single gradients and the transposed passes; in every
 * storage and layout; with non-finite values, which reach exactly the outputs whose window holds them; and bad
 * input is rejected with a message naming the argument with the expected and actual value.
 */
final class Conv1dConformance extends RankConformance<Tensor3D, Conv1dParams, Conv1dGradients, Conv1dCase> {

    private final Conv1d.OnBackend onBackend;

    /** The 1D checks on {@code backend}, its sweep of {@code sweepCases} cases drawn from {@code sweepSeed}. */
    Conv1dConformance(ConvBackend backend, float tolerance, long sweepSeed, int sweepCases) {
        this(Conv1d.on(backend), tolerance, sweepSeed, sweepCases);
    }

    private Conv1dConformance(Conv1d.OnBackend conv, float tolerance, long sweepSeed, int sweepCases) {
        super("1D", List.of("heap NCW", "heap NWC", "native NCW", "native NWC"), new Tensors<>(Tensor3D::asTensor4D,
                        Tensor3D::shapeString, Tensor3D::layout, Tensor3D::isNative, Tensor3D::data,
                        like -> Tensor3D.filled(Float.NaN, like.n(), like.c(), like.w()), t -> t,
                        (t, layout, nativeMemory) -> nativeMemory ? t.toNative(layout) : t.toLayout(layout),
                        Conv1dGradients::input, Conv1dGradients::weight, Conv1dGradients::biasTensor),
                tolerance, sweepSeed, sweepCases,
                new Passes<>(conv::forward, conv::forwardInto, conv::backward, conv::inputGradient,
                        conv::weightGradient, conv::transposedForward, conv::transposedBackward),
                Passes.reference(Conv1dReference::forward, Conv1dReference::backward));
        this.onBackend = conv;
    }

    @Override
    Operands<Tensor3D, Conv1dParams> operands(Conv1dCase c) {
        return new Operands<>(c.input(), c.weight(), c.bias(), c.gradOutput(), c.params());
    }

    @Override
    Operands<Tensor3D, Conv1dParams> transposedOperands(Conv1dCase c) {
        return new Operands<>(c.input(), c.transposedWeight(), c.bias(), c.transposedGradOutput(), c.params());
    }

    /** Every backend runs 1D convolutions (as 2D ones of height 1). */
    @Override
    boolean runs(Conv1dCase c) {
        return true;
    }

    @Override
    Tensor3D transposedReference(Conv1dCase c, Operands<Tensor3D, Conv1dParams> o) {
        return Conv1dReference.transposedForward(o.x(), o.w(), o.b(), o.p(), c.transposedOutW());
    }

    @Override
    Conv1dGradients transposedReferenceBackward(Operands<Tensor3D, Conv1dParams> o) {
        return Conv1dReference.transposedBackward(o.x(), o.w(), o.dy(), o.p());
    }

    /** Every backend runs the 1D transposed passes: a decline fails the check. */
    @Override
    void transposedDeclined(UnsupportedOperationException e) {
        throw e;
    }

    @Override
    void poisonWeight(Tensor3D w, float bad) {
        w.set(0, 0, w.w() - 1, bad);
    }

    @Override
    void poisonGradOutput(Tensor3D dy, float bad) {
        dy.set(dy.n() - 1, dy.c() - 1, dy.w() / 2, bad);
    }

    /** Two spots: the middle of the first row, the start of the last; the reached outputs from the geometry. */
    @Override
    boolean[] poisonInput(Conv1dCase c, Tensor3D x, float bad) {
        ConvShape s = c.shape();
        int[][] spots = {{0, 0, s.inW() / 2}, {s.batch() - 1, s.inChannels() - 1, 0}};
        boolean[] affected = new boolean[s.batch() * s.outChannels() * s.outW()];
        for (int[] spot : spots) {
            x.set(spot[0], spot[1], spot[2], bad);
            boolean[] reading = ConvBackendConformance.outputsReading(s.cols(), spot[2]);
            int group = spot[1] / s.inChannelsPerGroup();
            for (int k = group * s.outChannelsPerGroup(); k < (group + 1) * s.outChannelsPerGroup(); k++) {
                for (int o = 0; o < s.outW(); o++) {
                    affected[(spot[0] * s.outChannels() + k) * s.outW() + o] |= reading[o];
                }
            }
        }
        return affected;
    }

    @Override
    String position(Tensor3D y, int i) {
        return "(" + i / (y.w() * y.c()) + ", " + (i / y.w()) % y.c() + ", " + i % y.w() + ")";
    }

    // ---------------------------------------------------------------- the checks

    @Override
    Stream<DynamicTest> agreement() {
        List<Conv1dCase> cases = new ArrayList<>(Conv1dCases.edgeCases());
        cases.addAll(Conv1dCases.paddingModeCases());
        cases.addAll(Conv1dCases.sweep(sweepSeed, sweepCases));
        return each(cases, this::checkAgreement);
    }

    /** The transposed cases, and the sweep (seeded with the sweep's seed + 1) with an output padding drawn at random. */
    @Override
    Stream<DynamicTest> transposed() {
        long seed = sweepSeed + 1;
        List<Conv1dCase> cases = new ArrayList<>(Conv1dCases.transposedCases());
        SplittableRandom r = new SplittableRandom(seed);
        for (Conv1dCase c : Conv1dCases.sweep(seed, sweepCases)) {
            Conv1dParams q = c.params();
            Conv1dCase t = new Conv1dCase("transposed " + c.label(), c.seed(), c.n(), c.c(), c.w(), c.k(), c.kw(),
                    q.toBuilder().outputPadding(r.nextInt(Math.max(q.stride(), q.dilation()))).build(), c.hasBias());
            if ((c.w() - 1) * q.stride() - q.padLeft() - q.padRight() + (c.kw() - 1) * q.dilation() + 1 >= 1) {
                cases.add(t); // some output is reached by the input
            }
        }
        return each(cases, this::checkTransposed);
    }

    /**
     * Every edge case with its input in each storage and layout, weight, dL/dy and output drawn from them at
     * random (seeded): forward, {@code forwardInto}, backward and the single gradients agree with the reference,
     * and each result takes its operand's storage and layout, as in 2D.
     */
    @Override
    Stream<DynamicTest> storages() {
        return storages(ConvBackendConformance.DEFAULT_SEED, Conv1dCases.edgeCases(), false);
    }

    private static Conv1dParams.Builder p() {
        return Conv1dParams.builder();
    }

    /**
     * A NaN or infinity in the input reaches exactly the outputs whose window holds it (computed from the
     * geometry with {@link org.conv4j.api.ConvAxis#outputFor}); forward and backward, also with the value in the
     * weight or in dL/dy, agree with the reference.
     */
    @Override
    Stream<DynamicTest> nonFinite() {
        return nonFinite(List.of(
                new Conv1dCase("1D locality, padded", 171, 2, 3, 19, 4, 3, p().padding(1, 2).build(), true),
                new Conv1dCase("1D locality, stride 3 > kernel 2", 172, 1, 2, 23, 3, 2, p().stride(3).build(), false),
                new Conv1dCase("1D locality, dilated", 173, 1, 2, 24, 2, 3, p().dilation(3).padding(2).build(), true),
                new Conv1dCase("1D locality, groups 2", 174, 2, 4, 16, 4, 3, p().groups(2).padding(1).build(), true),
                new Conv1dCase("1D locality, large kernel", 175, 1, 2, 48, 2, 9, p().padding(4).build(), false)));
    }

    // ---------------------------------------------------------------- bad input

    @Override
    Stream<DynamicTest> badInput() {
        Conv1d.OnBackend conv = onBackend;
        Conv1dParams plain = Conv1dParams.DEFAULT;
        Tensor3D x = Tensor3D.random(1, 2, 4, 8);
        Tensor3D w = Tensor3D.random(2, 6, 4, 3);
        Tensor3D tw = Tensor3D.random(4, 4, 3, 3);
        Conv1dParams groups2 = p().groups(2).build();
        Conv1dParams s2 = p().stride(2).padding(1).build();
        List<BadInput> bad = withNullArguments(x, w, plain, List.of(
                new BadInput("groups not dividing C", IllegalArgumentException.class, "groups",
                        () -> conv.forward(Tensor3D.zeros(1, 5, 8), Tensor3D.zeros(4, 2, 3), null, groups2)),
                new BadInput("weight channels != C/groups", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, Tensor3D.zeros(6, 3, 3), null, plain)),
                new BadInput("kernel longer than input", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, Tensor3D.zeros(6, 4, 9), null, plain)),
                new BadInput("dilated kernel longer than padded input", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, w, null, p().dilation(4).build())),
                new BadInput("bias of the wrong length", IllegalArgumentException.class, "bias",
                        () -> conv.forward(x, w, new float[5], plain)),
                new BadInput("gradOutput of the wrong length", IllegalArgumentException.class, "gradOutput",
                        () -> conv.backward(x, w, Tensor3D.zeros(2, 6, 7), plain)),
                new BadInput("output of the wrong shape", IllegalArgumentException.class, "output",
                        () -> conv.forwardInto(x, w, null, plain, Tensor3D.zeros(2, 5, 6))),
                new BadInput("reflected pad as long as the input", IllegalArgumentException.class, "padLeft",
                        () -> conv.forward(x, w, null, p().padding(8, 0).paddingMode(PaddingMode.REFLECT).build())),
                new BadInput("output padding on a convolution", IllegalArgumentException.class, "outputPadding",
                        () -> conv.forward(x, w, null, s2.toBuilder().outputPadding(1).build())),
                new BadInput("transposed weight dimension 0 != input channels", IllegalArgumentException.class,
                        "weight", () -> conv.transposedForward(x, Tensor3D.zeros(3, 4, 3), null, s2)),
                new BadInput("transposed output padding not below stride or dilation", IllegalArgumentException.class,
                        "outputPadding", () -> conv.transposedForward(x, tw, null, s2.toBuilder().outputPadding(2).build())),
                new BadInput("transposed padding mode", IllegalArgumentException.class, "paddingMode",
                        () -> conv.transposedForward(x, tw, null, s2.toBuilder().paddingMode(PaddingMode.CIRCULAR).build()))));
        return ConvBackendConformance.rejected("1D ", bad);
    }
}
