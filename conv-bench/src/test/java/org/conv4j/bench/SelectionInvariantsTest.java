package org.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvPlan;
import org.conv4j.api.ConvShape;
import org.junit.jupiter.api.Test;

/**
 * Properties of the default (estimated) choice that hold on any CPU, whatever the fitted constants, with every
 * backend on conv-bench's classpath and every catalogue shape: more work never estimates cheaper on one
 * backend, a backend that cannot run a shape is never chosen, and the choice is stable under repeated calls.
 * Which backend wins a given layer depends on the machine, so no test here names one.
 */
class SelectionInvariantsTest {

    /** The passes backends are asked about ({@link ConvPass#basis()}). */
    private static final List<ConvPass> BASIC = List.of(ConvPass.FORWARD, ConvPass.BACKWARD);

    /** The name suffix of the variant with a larger image, see {@link #KNOWN_EXCEPTION}. */
    private static final String LARGER_IMAGE = "one more output row and column";

    /**
     * The one known exception, left out of the check: fft's estimate prices a single tile of the next FFT-friendly
     * transform size, and that price is not monotone in the image size (e.g. VGG-19's 512-channel 14x14 layer
     * estimates 954 ms backward, the same layer at 15x15 720 ms). Every other backend and kind of growth is checked.
     */
    private static final String KNOWN_EXCEPTION = "fft";

    /** Variants larger than this (input plus weight elements) are skipped: their zero tensors would be built. */
    private static final long MAX_VARIANT_ELEMENTS = 40L << 20;

    /**
     * The same layer with more work of one kind each: twice the batch, twice the filters, twice the input
     * channels (ungrouped layers), one more output row and column. Each has at least the multiply-adds and the
     * memory traffic of {@code b}.
     */
    private static List<BenchShape> moreWork(BenchShape b) {
        List<BenchShape> list = new ArrayList<>();
        list.add(variant(b, "2x batch", 2 * b.batch(), b.inChannels(), b.inH(), b.inW(), b.outChannels()));
        list.add(variant(b, "2x filters", b.batch(), b.inChannels(), b.inH(), b.inW(), 2 * b.outChannels()));
        if (b.params().groups() == 1) {
            list.add(variant(b, "2x channels", b.batch(), 2 * b.inChannels(), b.inH(), b.inW(), b.outChannels()));
        }
        list.add(variant(b, LARGER_IMAGE, b.batch(), b.inChannels(),
                b.inH() + b.params().strideH(), b.inW() + b.params().strideW(), b.outChannels()));
        list.removeIf(v -> (long) v.batch() * v.inChannels() * v.inH() * v.inW()
                + (long) v.outChannels() * v.inChannels() * v.kernelH() * v.kernelW() > MAX_VARIANT_ELEMENTS);
        return list;
    }

    private static BenchShape variant(BenchShape b, String what, int batch, int inChannels, int inH, int inW,
                                      int outChannels) {
        return new BenchShape(b.name() + " with " + what, b.group(), b.description(), batch, inChannels, inH, inW,
                outChannels, b.kernelH(), b.kernelW(), b.params());
    }

    @Test
    void moreWorkNeverEstimatesCheaperOnOneBackend() {
        List<String> violations = new ArrayList<>();
        int compared = 0;
        for (BenchShape b : ShapeCatalog.all()) {
            ConvShape s = b.geometry();
            for (BenchShape v : moreWork(b)) {
                ConvShape larger = v.geometry();
                for (ConvBackend backend : Conv2d.backends()) {
                    for (ConvPass pass : BASIC) {
                        if (!backend.supports(s, pass) || !backend.supports(larger, pass)
                                || backend.name().equals(KNOWN_EXCEPTION) && v.name().endsWith(LARGER_IMAGE)) {
                            continue;
                        }
                        double before = backend.estimateNanos(s, pass);
                        double after = backend.estimateNanos(larger, pass);
                        if (Double.isNaN(before) || Double.isNaN(after)) {
                            continue;
                        }
                        compared++;
                        if (after < before * (1 - 1e-9)) {
                            violations.add(String.format("%s %s: %s estimates %.0f ns, %s %.0f ns", backend.name(),
                                    pass.label(), b.name(), before, v.name(), after));
                        }
                    }
                }
            }
        }
        assertTrue(compared > 1000, "compared only " + compared + " pairs");
        assertTrue(violations.isEmpty(), violations.size() + " violations:\n" + String.join("\n", violations));
    }

    @Test
    void aBackendThatCannotRunAShapeIsNeverChosenNorTheReferenceWhileAnotherCan() {
        for (BenchShape b : ShapeCatalog.all()) {
            ConvShape s = b.geometry();
            for (ConvPass pass : ConvPass.values()) {
                ConvPlan plan = Conv2d.plan(s, pass);
                ConvBackend chosen = plan.backend();
                assertTrue(chosen.supports(s, pass.basis()), plan.toString());
                boolean another = Conv2d.backends().stream().anyMatch(c -> !c.isReference() && c.supports(s, pass.basis()));
                assertFalse(another && chosen.isReference(), plan.toString());
                long supporting = Conv2d.backends().stream().filter(c -> c.supports(s, pass.basis())).count();
                assertEquals(supporting, plan.estimatedNanos().size(), plan.toString());
                for (String name : plan.estimatedNanos().keySet()) {
                    assertTrue(Conv2d.backend(name).supports(s, pass.basis()), name + " in " + plan);
                }
            }
        }
    }

    /** A layer no dense backend runs (oneDNN's padding-only outputs, see its {@code supports}) is still served. */
    @Test
    void aShapeSomeBackendDeclinesGoesToOneThatSupportsIt() {
        ConvParams p = ConvParams.builder().padding(3).build();
        ConvShape s = new BenchShape("padding-only-outputs", "test", "a 1x1 kernel with padding 3", 1, 2, 4, 4, 3, 1, 1,
                p).geometry();
        assertTrue(Conv2d.backends().stream().anyMatch(b -> !b.supports(s, ConvPass.FORWARD)),
                "some backend on the classpath declines " + s);
        for (ConvPass pass : ConvPass.values()) {
            ConvPlan plan = Conv2d.plan(s, pass);
            assertTrue(plan.backend().supports(s, pass.basis()), plan.toString());
            for (ConvBackend b : Conv2d.backends()) {
                if (!b.supports(s, pass.basis())) {
                    assertFalse(plan.estimatedNanos().containsKey(b.name()), plan.toString());
                }
            }
        }
    }

    @Test
    void theChoiceIsStableUnderRepeatedCalls() {
        List<BenchShape> all = ShapeCatalog.all();
        List<String> first = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            List<String> chosen = new ArrayList<>();
            // each round in another order, so that no decision depends on what was asked before it
            List<BenchShape> order = new ArrayList<>(all);
            Collections.rotate(order, round * 7);
            for (BenchShape b : order) {
                for (ConvPass pass : ConvPass.values()) {
                    ConvPlan plan = Conv2d.plan(b.geometry(), pass);
                    chosen.add(b.name() + " " + pass.label() + " " + plan.backend().name() + " " + plan.reason());
                }
            }
            chosen.sort(null);
            if (round == 0) {
                first = chosen;
            } else {
                assertEquals(first, chosen);
            }
        }
    }

    @Test
    void everyCatalogueShapeGetsAFiniteEstimateFromEverySupportingBackend() {
        for (BenchShape b : ShapeCatalog.all()) {
            for (ConvPass pass : ConvPass.values()) {
                ConvPlan plan = Conv2d.plan(b.geometry(), pass);
                assertTrue(plan.reason() == ConvPlan.Reason.ESTIMATED || plan.reason() == ConvPlan.Reason.ONLY_CANDIDATE,
                        plan.toString());
                for (double ns : plan.estimatedNanos().values()) {
                    assertTrue(ns > 0 && Double.isFinite(ns), plan.toString());
                }
            }
        }
    }
}
