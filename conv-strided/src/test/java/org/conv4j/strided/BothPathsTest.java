package org.conv4j.strided;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.strided.StridedBackend.Path;
import org.conv4j.testkit.Agreement;
import org.conv4j.testkit.ConvCase;
import org.conv4j.testkit.ConvCases;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conformance kit runs whichever path {@link StridedBackend} picks, and most of its cases have few
 * channels, so the gathered path dominates there. This test forces EACH path on every kit case it can run
 * and compares forward, dX, dW and db with the naive reference.
 */
class BothPathsTest {

    private static final float TOLERANCE = 1e-5f;
    private static final StridedBackend BACKEND = new StridedBackend();

    private static List<ConvCase> cases() {
        List<ConvCase> all = new ArrayList<>(ConvCases.edgeCases());
        all.addAll(ConvCases.sweep(0xB07A, 120));
        // many channels: the shapes the zero-copy path is chosen for by default
        all.add(new ConvCase("wide, 3x3 pad 1", 91, 2, 32, 9, 11, 8, 3, 3, ConvParams.builder().padding(1).build(), true));
        all.add(new ConvCase("wide, groups 2, dilated, asymmetric padding", 92, 1, 40, 10, 7, 6, 3, 2,
                ConvParams.builder().groups(2).dilation(2, 1).padding(2, 0, 1, 3).build(), true));
        return all;
    }

    @TestFactory
    Stream<DynamicTest> zeroCopyPathAgreesWithReference() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c, Path.ZERO_COPY)));
    }

    @TestFactory
    Stream<DynamicTest> gatheredPathAgreesWithReference() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c, Path.GATHERED)));
    }

    /**
     * A workspace too small for whole images: the zero-copy path runs in bands of a few output rows (or falls
     * back to gathered when even one padded image does not fit) and the gathered path in bands down to one
     * row; results must not change.
     */
    @TestFactory
    Stream<DynamicTest> tinyWorkspaceSplitsIntoBandsAndAgrees() {
        List<DynamicTest> tests = new ArrayList<>();
        for (long limit : new long[] {Workspace.MIN_LIMIT_BYTES, 24 << 10}) {
            StridedBackend small = new StridedBackend(limit);
            for (ConvCase c : cases().subList(0, ConvCases.edgeCases().size() + 40)) {
                for (Path path : Path.values()) {
                    tests.add(DynamicTest.dynamicTest(limit + " bytes, " + path + ", " + c, () -> check(small, c, path)));
                }
            }
        }
        return tests.stream();
    }

    /**
     * Zero-copy bands whose height does not divide the output, over several images: each image ends in a shorter
     * band, whose rows of {@code dL/dy} have another length, and the next image starts with a full band again. The
     * wrap-around columns of every band must be zero whatever band came before.
     */
    @TestFactory
    Stream<DynamicTest> zeroCopyBandsOfUnevenHeightAgreeOverSeveralImages() {
        ConvCase c = new ConvCase("3 images, 16 channels, 3x3 pad 1", 93, 3, 16, 20, 20, 16, 3, 3,
                ConvParams.builder().padding(1).build(), true);
        ConvShape s = ConvShape.forward(Tensor4D.zeros(3, 16, 20, 20), Tensor4D.zeros(16, 16, 3, 3), null,
                c.params());
        List<DynamicTest> tests = new ArrayList<>();
        for (int rows : new int[] {3, 6, 7, 13}) {
            long limit = Workspace.MIN_LIMIT_BYTES;
            while (BandPlan.of(s, Path.ZERO_COPY, true, limit).rows() < rows
                    || BandPlan.of(s, Path.ZERO_COPY, true, limit).path() != Path.ZERO_COPY) {
                limit += 1024;
            }
            BandPlan plan = BandPlan.of(s, Path.ZERO_COPY, true, limit);
            assertEquals(rows, plan.rows(), "a limit for bands of " + rows + " rows");
            StridedBackend banded = new StridedBackend(limit);
            tests.add(DynamicTest.dynamicTest("bands of " + rows + " rows", () -> check(banded, c, Path.ZERO_COPY)));
        }
        return tests.stream();
    }

    @Test
    void bandPlans() {
        ConvShape resnet = ConvShape.forward(Tensor4D.zeros(8, 64, 56, 56), Tensor4D.zeros(64, 64, 3, 3), null,
                ConvParams.builder().padding(1).build());
        BandPlan whole = BandPlan.of(resnet, Path.ZERO_COPY, true, Workspace.DEFAULT_LIMIT_BYTES);
        assertEquals(Path.ZERO_COPY, whole.path());
        assertEquals(56, whole.rows(), "the default workspace holds a whole image");
        // weights and gradient (2 * 9*64*64), xpad and dXpad (2 * 64*58*58), dY band 64 * L
        assertEquals(2L * 9 * 64 * 64 + 2L * 64 * 58 * 58 + 64L * (55 * 58 + 56), whole.capacity());
        long fixed = (2L * 9 * 64 * 64 + 2L * 64 * 58 * 58) * Float.BYTES;
        BandPlan banded = BandPlan.of(resnet, Path.ZERO_COPY, true, fixed + 10L * 64 * 58 * Float.BYTES);
        assertEquals(Path.ZERO_COPY, banded.path());
        assertEquals(10, banded.rows());
        assertTrue(banded.capacity() * Float.BYTES <= fixed + 10L * 64 * 58 * Float.BYTES);
        BandPlan fallback = BandPlan.of(resnet, Path.ZERO_COPY, false, 512 << 10);
        assertEquals(Path.GATHERED, fallback.path(), "a padded image (861 KB) does not fit in 512 KiB");
        assertTrue(fallback.capacity() * Float.BYTES <= 512 << 10);
        BandPlan minimum = BandPlan.of(resnet, Path.GATHERED, true, Workspace.MIN_LIMIT_BYTES);
        assertEquals(1, minimum.rows(), "one output row is the smallest unit of work");
    }

    private static void check(ConvCase c, Path path) {
        check(BACKEND, c, path);
    }

    private static void check(StridedBackend backend, ConvCase c, Path path) {
        ConvBackend ref = Conv2d.backend("naive");
        Tensor4D x = c.input();
        Tensor4D w = c.weight();
        Tensor4D dy = c.gradOutput();
        ConvShape s = c.shape();
        Tensor4D y = backend.forward(s, path, x, w, c.bias(),
                Tensor4D.filled(Float.NaN, s.batch(), s.outChannels(), s.outH(), s.outW()));
        Agreement.assertAgrees("forward " + path, c, ref.forward(x, w, c.bias(), c.params()), y, TOLERANCE);
        ConvGradients expected = ref.backward(x, w, dy, c.params());
        ConvGradients actual = backend.backward(ConvShape.backward(x, w, dy, c.params()), path, x, w, dy);
        Agreement.assertAgrees("dL/dx " + path, c, expected.input(), actual.input(), TOLERANCE);
        Agreement.assertAgrees("dL/dw " + path, c, expected.weight(), actual.weight(), TOLERANCE);
        Agreement.assertAgrees("dL/db " + path, c, expected.biasTensor(), actual.biasTensor(), TOLERANCE);
    }

    @Test
    void pathChoice() {
        Tensor4D x = Tensor4D.random(1, 1, 32, 8, 8);
        Tensor4D w = Tensor4D.random(2, 4, 32, 3, 3);
        ConvParams pad1 = ConvParams.builder().padding(1).build();
        ConvShape wide = ConvShape.forward(x, w, null, pad1);
        assertEquals(Path.ZERO_COPY, StridedBackend.forwardPath(wide), "many channels, stride 1");
        assertEquals(Path.ZERO_COPY, StridedBackend.backwardPath(wide, x, w), "finite data");
        assertEquals(Path.GATHERED, StridedBackend.forwardPath(
                ConvShape.forward(x, w, null, pad1.toBuilder().stride(2).build())), "strided, even with many channels");
        assertEquals(Path.GATHERED, StridedBackend.forwardPath(ConvShape.forward(Tensor4D.zeros(1, 3, 227, 227),
                Tensor4D.zeros(96, 3, 11, 11), null, ConvParams.builder().stride(4).build())), "AlexNet conv1");
        assertEquals(Path.GATHERED, StridedBackend.forwardPath(ConvShape.forward(x, Tensor4D.random(5, 64, 8, 3, 3),
                null, pad1.toBuilder().groups(4).build())), "groups leave 8 channels for 16 filters per group");
        assertEquals(Path.ZERO_COPY, StridedBackend.forwardPath(ConvShape.forward(x, Tensor4D.random(5, 4, 8, 3, 3),
                null, pad1.toBuilder().groups(4).build())), "8 channels for 1 filter per group");
        Tensor4D narrow = Tensor4D.random(3, 1, 2, 8, 8);
        assertEquals(Path.GATHERED, StridedBackend.forwardPath(
                ConvShape.forward(narrow, Tensor4D.random(4, 4, 2, 3, 3), null, pad1)), "few channels, 3x3");
        assertEquals(Path.ZERO_COPY, StridedBackend.forwardPath(
                ConvShape.forward(narrow, Tensor4D.random(4, 4, 2, 1, 1), null, ConvParams.DEFAULT)), "1x1 kernel");

        Tensor4D one = Tensor4D.random(6, 1, 1, 20, 20);
        ConvShape scaling = ConvShape.forward(one, Tensor4D.random(7, 1, 1, 2, 2), null, ConvParams.DEFAULT);
        assertEquals(Path.ZERO_COPY, StridedBackend.forwardPath(scaling), "scaling case forward");
        assertEquals(Path.GATHERED, StridedBackend.backwardPath(scaling, one, Tensor4D.random(7, 1, 1, 2, 2)),
                "scaling case backward: one filter, one channel");

        Tensor4D xNaN = x.copy();
        xNaN.set(0, 3, 4, 4, Float.NaN);
        assertEquals(Path.GATHERED, StridedBackend.backwardPath(wide, xNaN, w), "NaN input");
        Tensor4D wInf = w.copy();
        wInf.set(1, 0, 0, 0, Float.POSITIVE_INFINITY);
        assertEquals(Path.GATHERED, StridedBackend.backwardPath(wide, x, wInf), "infinite weight");
    }

    /**
     * Why the non-finite fallback exists: the zero-copy backward also sums over wrap-around columns (dY = 0
     * there), and 0 * NaN = NaN. A NaN in the last input column is read by a wrap-around column of tap
     * j = 0 only; the backend must still give the reference's finite dW for that tap.
     */
    @Test
    void nonFiniteInputTakesTheExactPathAndMatchesTheReference() {
        ConvCase c = new ConvCase("NaN in a wrap-around column", 93, 1, 32, 6, 6, 4, 3, 3, ConvParams.DEFAULT, false);
        Tensor4D x = c.input();
        x.set(0, 5, 2, 5, Float.NaN); // column W-1: taps j < kW-1 reach it only through wrap-around columns
        Tensor4D w = c.weight();
        Tensor4D dy = c.gradOutput();
        ConvGradients expected = Conv2d.backend("naive").backward(x, w, dy, c.params());
        ConvGradients actual = new StridedBackend().backward(x, w, dy, c.params());
        Agreement.assertAgrees("dL/dw", c, expected.weight(), actual.weight(), TOLERANCE);
        Agreement.assertAgrees("dL/dx", c, expected.input(), actual.input(), TOLERANCE);
        assertTrue(Float.isFinite(expected.weight().get(0, 5, 0, 0)), "the reference's dW tap (0, 0) is finite here");
    }
}
