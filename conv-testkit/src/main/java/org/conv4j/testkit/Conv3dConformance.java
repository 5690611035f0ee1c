package org.conv4j.testkit;

import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dBackend;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.conv4j.testkit.ConvBackendConformance.BadInput;
import org.junit.jupiter.api.DynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 3D part of the conformance kit ({@link ConvBackendConformance} runs it for every backend that implements
 * {@link Conv3dBackend}): through {@link Conv3d#on(ConvBackend)}, forward, {@code forwardInto} a NaN-filled output,
 * backward and both single gradients agree with the naive reference within the backend's tolerance (see
 * {@link Agreement}); the transposed passes agree with the kit's own scatter ({@link Transposed3dReference}); in
 * every storage and layout; with non-finite values, which reach exactly the outputs whose window holds them; and
 * bad input is rejected with a message naming the argument with the expected and actual value. A case the backend
 * declines ({@link Conv3dBackend#supports3d}) must be declined with an {@link UnsupportedOperationException} naming
 * the backend, and is otherwise skipped.
 */
final class Conv3dConformance extends RankConformance<Tensor5D, Conv3dParams, Conv3dGradients, Conv3dCase> {

    private final ConvBackend backend;
    private final Conv3d.OnBackend onBackend;

    /**
     * The 3D checks on {@code backend} (none if it does not implement {@link Conv3dBackend}) against
     * {@code reference}, the sweep of {@code sweepCases} cases drawn from {@code sweepSeed}.
     */
    Conv3dConformance(ConvBackend backend, ConvBackend reference, float tolerance, long sweepSeed, int sweepCases) {
        this(backend, backend instanceof Conv3dBackend ? Conv3d.on(backend) : null, Conv3d.on(reference), tolerance,
                sweepSeed, sweepCases);
    }

    private Conv3dConformance(ConvBackend backend, Conv3d.OnBackend conv, Conv3d.OnBackend reference,
                              float tolerance, long sweepSeed, int sweepCases) {
        super("3D", List.of("heap NCDHW", "heap NDHWC", "native NCDHW", "native NDHWC"), new Tensors<>(
                        Conv3dConformance::flat, Tensor5D::shapeString, Tensor5D::layout, Tensor5D::isNative,
                        Tensor5D::data, like -> Tensor5D.zeros(like.n(), like.c(), like.d(), like.h(), like.w())
                                .fill(Float.NaN), Tensor5D::toHeapNcdhw,
                        (t, layout, nativeMemory) -> nativeMemory ? t.toNative(layout) : t.toLayout(layout),
                        Conv3dGradients::input, Conv3dGradients::weight,
                        g -> Tensor5D.wrap(g.bias(), 1, g.bias().length, 1, 1, 1)),
                tolerance, sweepSeed, sweepCases, conv == null ? null : new Passes<>(conv::forward, conv::forwardInto, conv::backward,
                        conv::inputGradient, conv::weightGradient, conv::transposedForward, conv::transposedBackward),
                Passes.reference(reference::forward, reference::backward));
        this.backend = backend;
        this.onBackend = conv;
    }

    /** The tensor's elements read as a heap NCHW tensor {@code (N, C, D*H, W)}, for {@link Agreement}. */
    private static Tensor4D flat(Tensor5D t) {
        Tensor5D h = t.toHeapNcdhw();
        return Tensor4D.wrap(h.data(), h.n(), h.c(), h.d() * h.h(), h.w());
    }

    @Override
    Operands<Tensor5D, Conv3dParams> operands(Conv3dCase c) {
        return new Operands<>(c.input(), c.weight(), c.bias(), c.gradOutput(), c.params());
    }

    @Override
    Operands<Tensor5D, Conv3dParams> transposedOperands(Conv3dCase c) {
        return new Operands<>(c.input(), c.transposedWeight(), c.bias(), c.transposedGradOutput(), c.params());
    }

    /**
     * Whether the backend runs both passes of the case, asked with the shape it is given ({@link #unpaddedShape});
     * if not, that its calls are declined with an {@link UnsupportedOperationException} naming it.
     */
    @Override
    boolean runs(Conv3dCase c) {
        Conv3dShape s = unpaddedShape(c);
        Conv3dBackend v = (Conv3dBackend) backend;
        boolean forward = v.supports3d(s, ConvPass.FORWARD);
        boolean backward = v.supports3d(s, ConvPass.BACKWARD);
        if (!forward) {
            assertDeclined(() -> onBackend.forward(c.input(), c.weight(), null, c.params()));
        }
        if (!backward) {
            assertDeclined(() -> onBackend.backward(c.input(), c.weight(), c.gradOutput(), c.params()));
        }
        return forward && backward;
    }

    private void assertDeclined(org.junit.jupiter.api.function.Executable call) {
        assertDeclinedMessage(assertThrows(UnsupportedOperationException.class, call));
    }

    private void assertDeclinedMessage(UnsupportedOperationException e) {
        assertTrue(e.getMessage().startsWith(backend.name() + " backend"), e.getMessage());
    }

    /**
     * The shape the backend is asked to run: that of the case, or, for a copying padding mode, that of the input
     * padded beforehand (the facade pads it and calls the backend without padding).
     */
    private static Conv3dShape unpaddedShape(Conv3dCase c) {
        Conv3dParams p = c.params();
        if (p.paddingMode() == PaddingMode.ZEROS) {
            return c.shape();
        }
        Conv3dParams q = Conv3dParams.builder().stride(p.strideD(), p.strideH(), p.strideW())
                .dilation(p.dilationD(), p.dilationH(), p.dilationW()).groups(p.groups()).build();
        Tensor5D padded = Tensor5D.zeros(c.n(), c.c(), c.d() + p.padFront() + p.padBack(),
                c.h() + p.padTop() + p.padBottom(), c.w() + p.padLeft() + p.padRight());
        return Conv3dShape.forward(padded, c.weight(), null, q);
    }

    @Override
    Tensor5D transposedReference(Conv3dCase c, Operands<Tensor5D, Conv3dParams> o) {
        return Transposed3dReference.forward(o.x(), o.w(), o.b(), o.p(), c.transposedOut());
    }

    @Override
    Conv3dGradients transposedReferenceBackward(Operands<Tensor5D, Conv3dParams> o) {
        return Transposed3dReference.backward(o.x(), o.w(), o.dy(), o.p());
    }

    /** A backend may decline a 3D transposed pass, naming itself. */
    @Override
    void transposedDeclined(UnsupportedOperationException e) {
        assertDeclinedMessage(e);
    }

    @Override
    void poisonWeight(Tensor5D w, float bad) {
        w.set(0, 0, w.d() - 1, 0, w.w() - 1, bad);
    }

    @Override
    void poisonGradOutput(Tensor5D dy, float bad) {
        dy.set(dy.n() - 1, dy.c() - 1, dy.d() / 2, 0, dy.w() / 2, bad);
    }

    /** Two spots: the centre of the first volume, a corner of the last; the reached outputs from the geometry. */
    @Override
    boolean[] poisonInput(Conv3dCase c, Tensor5D x, float bad) {
        Conv3dShape s = c.shape();
        int outD = s.depth().out();
        int outH = s.rows().out();
        int outW = s.cols().out();
        int[][] spots = {{0, 0, s.depth().in() / 2, s.rows().in() / 2, s.cols().in() / 2},
            {s.batch() - 1, s.inChannels() - 1, 0, s.rows().in() - 1, 1}};
        boolean[] affected = new boolean[s.batch() * s.outChannels() * outD * outH * outW];
        for (int[] spot : spots) {
            x.set(spot[0], spot[1], spot[2], spot[3], spot[4], bad);
            boolean[] planes = ConvBackendConformance.outputsReading(s.depth(), spot[2]);
            boolean[] rows = ConvBackendConformance.outputsReading(s.rows(), spot[3]);
            boolean[] cols = ConvBackendConformance.outputsReading(s.cols(), spot[4]);
            int group = spot[1] / s.inChannelsPerGroup();
            for (int k = group * s.outChannelsPerGroup(); k < (group + 1) * s.outChannelsPerGroup(); k++) {
                for (int z = 0; z < outD; z++) {
                    for (int r = 0; r < outH; r++) {
                        for (int q = 0; q < outW; q++) {
                            affected[(((spot[0] * s.outChannels() + k) * outD + z) * outH + r) * outW + q]
                                    |= planes[z] && rows[r] && cols[q];
                        }
                    }
                }
            }
        }
        return affected;
    }

    @Override
    String position(Tensor5D y, int i) {
        return "element " + i;
    }

    // ---------------------------------------------------------------- the checks

    @Override
    Stream<DynamicTest> agreement() {
        List<Conv3dCase> cases = new ArrayList<>(Conv3dCases.edgeCases());
        cases.addAll(Conv3dCases.paddingModeCases());
        cases.addAll(Conv3dCases.sweep(sweepSeed, sweepCases));
        return each(cases, this::checkAgreement);
    }

    /** The transposed cases, and the sweep (seeded with the sweep's seed + 1) with an output padding drawn at random. */
    @Override
    Stream<DynamicTest> transposed() {
        long seed = sweepSeed + 1;
        List<Conv3dCase> cases = new ArrayList<>(Conv3dCases.transposedCases());
        SplittableRandom r = new SplittableRandom(seed);
        for (Conv3dCase c : Conv3dCases.sweep(seed, sweepCases)) {
            Conv3dParams q = c.params();
            Conv3dCase t = new Conv3dCase("transposed " + c.label(), c.seed(), c.n(), c.c(), c.d(), c.h(), c.w(),
                    c.k(), c.kd(), c.kh(), c.kw(), q.toBuilder().outputPadding(
                            r.nextInt(Math.max(q.strideD(), q.dilationD())),
                            r.nextInt(Math.max(q.strideH(), q.dilationH())),
                            r.nextInt(Math.max(q.strideW(), q.dilationW()))).build(), c.hasBias());
            int[] out = t.transposedOut();
            if (out[0] >= 1 && out[1] >= 1 && out[2] >= 1) {
                cases.add(t);
            }
        }
        return each(cases, this::checkTransposed);
    }

    /**
     * A few edge cases with the input in each storage and layout, weight, dL/dy and output drawn at random
     * (seeded), and again with every operand in the input's storage and layout (the calls a backend that
     * {@linkplain Conv3dBackend#takesInPlace3d takes native tensors in place} runs in place): forward,
     * {@code forwardInto}, backward and the single gradients agree with the reference, and each result takes its
     * operand's storage and layout.
     */
    @Override
    Stream<DynamicTest> storages() {
        List<Conv3dCase> cases = Conv3dCases.edgeCases();
        return storages(ConvBackendConformance.DEFAULT_SEED, List.of(cases.get(1), cases.get(2), cases.get(9), cases.get(10)), true);
    }

    private static Conv3dParams.Builder p() {
        return Conv3dParams.builder();
    }

    /**
     * A NaN or infinity in the input reaches exactly the outputs whose window holds it along all three axes
     * (from the geometry, with {@link org.conv4j.api.ConvAxis#outputFor}); forward and backward, also with the
     * value in the weight (padding is a real zero, so it reaches every output of its filter whose window puts it
     * on padding) or in dL/dy, agree with the reference.
     */
    @Override
    Stream<DynamicTest> nonFinite() {
        return nonFinite(List.of(
                new Conv3dCase("3D locality, padded", 191, 2, 3, 6, 7, 8, 4, 3, 3, 3, p().padding(1, 2, 0, 1, 2, 1)
                        .build(), true),
                new Conv3dCase("3D locality, stride 3 > kernel 2", 192, 1, 2, 8, 9, 8, 3, 2, 2, 2,
                        p().stride(3).build(), false),
                new Conv3dCase("3D locality, dilated, groups 2", 193, 1, 4, 7, 8, 9, 4, 3, 2, 3,
                        p().dilation(2, 3, 1).groups(2).padding(2).build(), true),
                new Conv3dCase("3D locality, large kernel", 194, 1, 2, 12, 12, 12, 2, 7, 7, 7, p().padding(3)
                        .build(), false)));
    }

    // ---------------------------------------------------------------- bad input

    @Override
    Stream<DynamicTest> badInput() {
        if (onBackend == null) {
            return Stream.empty();
        }
        Conv3d.OnBackend conv = onBackend;
        Conv3dParams plain = Conv3dParams.DEFAULT;
        Tensor5D x = Tensor5D.random(1, 2, 4, 5, 6, 7); // seed 1: (N 2, C 4, D 5, H 6, W 7)
        Tensor5D w = Tensor5D.random(2, 6, 4, 3, 3, 3); // output (2, 6, 3, 4, 5)
        Tensor5D tw = Tensor5D.random(4, 4, 3, 3, 3, 3); // transposed: Cin 4, Cout 3
        Conv3dParams groups2 = p().groups(2).build();
        Conv3dParams s2 = p().stride(2).padding(1).build();
        List<BadInput> bad = withNullArguments(x, w, plain, List.of(
                new BadInput("groups not dividing C", IllegalArgumentException.class, "groups",
                        () -> conv.forward(Tensor5D.zeros(1, 5, 4, 4, 4), Tensor5D.zeros(4, 2, 3, 3, 3), null, groups2)),
                new BadInput("weight channels != C/groups", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, Tensor5D.zeros(6, 3, 3, 3, 3), null, plain)),
                new BadInput("kernel deeper than input", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, Tensor5D.zeros(6, 4, 6, 3, 3), null, plain)),
                new BadInput("dilated kernel wider than padded input", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, w, null, p().dilation(1, 1, 4).build())),
                new BadInput("bias of the wrong length", IllegalArgumentException.class, "bias",
                        () -> conv.forward(x, w, new float[5], plain)),
                new BadInput("gradOutput of the wrong shape", IllegalArgumentException.class, "gradOutput",
                        () -> conv.backward(x, w, Tensor5D.zeros(2, 6, 3, 3, 4), plain)),
                new BadInput("output of the wrong shape", IllegalArgumentException.class, "output",
                        () -> conv.forwardInto(x, w, null, plain, Tensor5D.zeros(2, 6, 3, 3, 4))),
                new BadInput("reflected pad as deep as the input", IllegalArgumentException.class, "padFront",
                        () -> conv.forward(x, w, null, p().padding(5, 0, 0, 0, 0, 0).paddingMode(PaddingMode.REFLECT)
                                .build())),
                new BadInput("output padding on a convolution", IllegalArgumentException.class, "outputPadding",
                        () -> conv.forward(x, w, null, s2.toBuilder().outputPadding(1, 0, 0).build())),
                new BadInput("transposed weight dimension 0 != input channels", IllegalArgumentException.class,
                        "weight", () -> conv.transposedForward(x, Tensor5D.zeros(3, 4, 3, 3, 3), null, s2)),
                new BadInput("transposed output padding not below stride or dilation", IllegalArgumentException.class,
                        "outputPadding", () -> conv.transposedForward(x, tw, null,
                                s2.toBuilder().outputPadding(0, 2, 0).build())),
                new BadInput("transposed gradOutput of the wrong shape", IllegalArgumentException.class,
                        "gradOutput", () -> conv.transposedBackward(x, tw, Tensor5D.zeros(2, 4, 3, 3, 3), s2)),
                new BadInput("transposed padding mode", IllegalArgumentException.class, "paddingMode",
                        () -> conv.transposedForward(x, tw, null,
                                s2.toBuilder().paddingMode(PaddingMode.CIRCULAR).build()))));
        return ConvBackendConformance.rejected("3D ", bad);
    }
}
