package org.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

class ShapeCatalogTest {

    @Test
    void everyShapeIsAValidConvolutionForConvShape() {
        for (BenchShape s : ShapeCatalog.all()) {
            Tensor4D x = Tensor4D.zeros(s.batch(), s.inChannels(), s.inH(), s.inW());
            Tensor4D w = Tensor4D.zeros(s.outChannels(), s.inChannels() / s.params().groups(), s.kernelH(), s.kernelW());
            ConvShape g = ConvShape.forward(x, w, new float[s.outChannels()], s.params());
            assertEquals(g.flops(), s.forwardFlops(), s.name());
            assertEquals(2 * g.flops(), s.backwardFlops(), s.name());
            assertTrue(s.forwardFlops() > 0, s.name());
        }
    }

    @Test
    void publishedLayerSizesComeOutRight() {
        ConvShape alex = ShapeCatalog.byName("alexnet-conv1-b1").geometry();
        assertEquals(55, alex.outH());
        assertEquals(55, alex.outW());
        ConvShape conv1 = ShapeCatalog.byName("resnet50-conv1-b8").geometry();
        assertEquals(112, conv1.outH());
        assertEquals(8, conv1.batch());
        assertEquals(28, ShapeCatalog.byName("resnet50-3x3-128-s2-b1").geometry().outH());
        assertEquals(56, ShapeCatalog.byName(ShapeCatalog.RESNET50_3X3_64_B8).geometry().outW());
        assertEquals(7, ShapeCatalog.byName("resnet50-3x3-512-b1").geometry().outH());
        ConvShape small = ShapeCatalog.byName(ShapeCatalog.SMALL_6X6X10_B1).geometry();
        assertEquals(4, small.outH());
        assertEquals(6, small.outChannels());
        ConvShape fftLayer = ShapeCatalog.byName(ShapeCatalog.LARGE_31X31_B1).geometry();
        assertEquals(128, fftLayer.outH(), "same padding keeps 128x128");
        assertEquals(31, fftLayer.kernelH());
        assertEquals(32, ShapeCatalog.byName("mobilenet-dw-3x3-b1").geometry().groups());
        assertEquals(499, ShapeCatalog.byName("single-channel-2x2-500").geometry().outH());
        assertEquals(64, ShapeCatalog.byName("ksweep-k21").geometry().outH());
    }

    @Test
    void namedConstantsAndGroupsResolve() {
        for (String name : List.of(ShapeCatalog.SMALL_6X6X10_B1, ShapeCatalog.ALEXNET_CONV1_B1,
                ShapeCatalog.RESNET50_CONV1_B1, ShapeCatalog.RESNET50_3X3_64_B1, ShapeCatalog.RESNET50_3X3_64_B8,
                ShapeCatalog.RESNET50_3X3_128_S2_B8, ShapeCatalog.RESNET50_1X1_256_64_B8,
                ShapeCatalog.RESNET50_3X3_512_B8, ShapeCatalog.MOBILENET_DW_B8, ShapeCatalog.LARGE_15X15_B1,
                ShapeCatalog.LARGE_31X31_B1, ShapeCatalog.SINGLE_CHANNEL_2X2_100)) {
            assertEquals(name, ShapeCatalog.byName(name).name());
        }
        for (String g : ShapeCatalog.groupNames()) {
            assertEquals(ShapeCatalog.group(g), ShapeCatalog.select(g).stream().map(BenchShape::name).toList(), g);
        }
        assertEquals(ShapeCatalog.DEFAULT_SCALING_SIZES.length + 9, ShapeCatalog.group("default").size());
        assertEquals(ShapeCatalog.SCALING_SIZES.length, ShapeCatalog.group("single-channel-2x2").size());
        assertEquals(ShapeCatalog.SWEEP_KERNELS.length, ShapeCatalog.group("kernel-sweep").size());
        assertEquals(ShapeCatalog.all().size(), ShapeCatalog.select("all").size());
    }

    @Test
    void selectKeepsOrderDropsRepeatsAndIgnoresCase() {
        List<BenchShape> s = ShapeCatalog.select(" Large-31x31-b1 , small-6x6x10, large-31x31-b1,,");
        assertEquals(List.of("large-31x31-b1", "small-6x6x10-b1", "small-6x6x10-b8"),
                s.stream().map(BenchShape::name).toList());
    }

    @Test
    void unknownNamesAndEmptySelectionsAreRejectedWithTheName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShapeCatalog.select("resnet51"));
        assertTrue(e.getMessage().contains("\"resnet51\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShapeCatalog.select(" , "));
        assertThrows(IllegalArgumentException.class, () -> ShapeCatalog.group("nope"));
    }

    @Test
    void dataIsReproducibleFromTheSeed() {
        BenchShape s = ShapeCatalog.byName(ShapeCatalog.SMALL_6X6X10_B1);
        assertEquals(s.input(7), s.input(7));
        assertEquals(s.weight(7), s.weight(7));
        assertTrue(java.util.Arrays.equals(s.bias(7), s.bias(7)));
        assertTrue(!s.input(7).equals(s.input(8)));
        assertTrue(s.gradOutput(7).hasShape(1, 6, 4, 4));
    }

    @Test
    void skipRuleLeavesNaiveOutOnlyAboveItsLimit() {
        BenchShape small = ShapeCatalog.byName(ShapeCatalog.RESNET50_3X3_64_B1);
        BenchShape big = ShapeCatalog.byName(ShapeCatalog.RESNET50_3X3_64_B8);
        assertEquals(null, SkipRule.skipReason("naive", small, ConvPass.FORWARD));
        assertTrue(SkipRule.skipReason("naive", big, ConvPass.FORWARD).contains("GFLOP"));
        assertEquals(null, SkipRule.skipReason("im2col", big, ConvPass.BACKWARD));
        assertTrue(SkipRule.naiveReferenceAffordable(big, ConvPass.FORWARD));
        assertTrue(!SkipRule.naiveReferenceAffordable(ShapeCatalog.byName("large-31x31-b8"), ConvPass.FORWARD));
    }

    @Test
    void summaryReadsLikeTheLayer() {
        assertEquals("1x3x227x227 * 96x3x11x11 s4", ShapeCatalog.byName("alexnet-conv1-b1").summary());
        assertEquals("1x32x112x112 * 32x1x3x3 p1 g32", ShapeCatalog.byName("mobilenet-dw-3x3-b1").summary());
    }

    @Test
    void networksHoldEveryListedLayerAtBatchOneAndEightWithItsCount() {
        assertEquals(ShapeCatalog.NETWORK_BATCHES.length * 5, ShapeCatalog.networks().size());
        int[][] expected = {{20, 53}, {11, 59}, {9, 9}, {9, 16}, {43, 94}};
        String[] families = {ShapeCatalog.RESNET50_NET, ShapeCatalog.MOBILENET_NET, ShapeCatalog.MOBILENET_DW_NET,
                ShapeCatalog.VGG19_NET, ShapeCatalog.GOOGLENET_V3_NET};
        for (int i = 0; i < families.length; i++) {
            for (int b : ShapeCatalog.NETWORK_BATCHES) {
                Network n = ShapeCatalog.network(families[i], b);
                assertEquals(families[i] + "-b" + b, n.name());
                assertEquals(expected[i][0], n.layers().size(), n.name());
                assertEquals(expected[i][1], n.layerCount(), n.name());
                assertEquals(n.layers().stream().map(l -> l.shape().name()).toList(), ShapeCatalog.group(n.name()));
                for (Network.Layer l : n.layers()) {
                    assertEquals(b, l.shape().batch(), l.shape().name());
                    assertEquals(families[i], l.shape().group(), l.shape().name());
                    assertTrue(l.shape().name().startsWith(families[i] + "-") && l.shape().name().endsWith("-b" + b),
                            l.shape().name());
                    assertEquals(l.count(), n.count(l.shape().name()));
                }
            }
            assertEquals(2 * expected[i][0], ShapeCatalog.group(families[i]).size(), families[i]);
        }
        assertEquals(ShapeCatalog.group("networks-b1").size() + ShapeCatalog.group("networks-b8").size(),
                ShapeCatalog.group("networks").size());
        assertThrows(IllegalArgumentException.class, () -> ShapeCatalog.network("resnet51-net-b1"));
    }

    @Test
    void networkLayersMatchTheirListsLayerForLayer() {
        BenchShape conv1 = ShapeCatalog.byName("resnet50-net-conv1-b8");
        assertEquals("8x3x224x224 * 64x3x7x7 s2 p3", conv1.summary());
        assertEquals(112, conv1.geometry().outH());
        BenchShape dw = ShapeCatalog.byName("mobilenet-dw-net-conv2-1-dw-b1");
        assertEquals("1x32x112x112 * 32x1x3x3 p1 g32", dw.summary());
        assertEquals(3, ShapeCatalog.network(ShapeCatalog.RESNET50_NET, 1).count("resnet50-net-res2a-branch2b-b1"));
        assertEquals(12, ShapeCatalog.network(ShapeCatalog.GOOGLENET_V3_NET, 8)
                .count("googlenet-v3-net-mixed-4-conv-conv2d-b8"));
        // the weighted total: ResNet-50's 53 convolutions at batch 1 are about 4.1 GMAC (8.2 GFLOP) forward
        long flops = ShapeCatalog.network(ShapeCatalog.RESNET50_NET, 1).flops(ConvPass.FORWARD);
        assertTrue(flops > 7.5e9 && flops < 8.5e9, String.valueOf(flops));
        assertEquals(8 * flops, ShapeCatalog.network(ShapeCatalog.RESNET50_NET, 8).flops(ConvPass.FORWARD));
        // each layer's output size in the list is ConvShape's (BenchdnnListTest checks every line; here the shapes)
        for (String file : new String[] {"shapes_resnet_50", "shapes_mobilenet", "shapes_mobilenet_dw", "shapes_vgg_19",
                "shapes_googlenet_v3"}) {
            for (BenchdnnList.Layer l : BenchdnnList.load(file)) {
                ConvShape g = l.toShape("t-", "t", "t", 1).geometry();
                assertEquals(l.oh(), g.outH(), l.name());
                assertEquals(l.ow(), g.outW(), l.name());
            }
        }
    }
}
