package org.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

class BenchdnnListTest {

    /** The bundled files with their number of descriptor lines and of layers in all (sum of the repeat counts). */
    private static final Map<String, int[]> FILES = Map.of(
            "shapes_resnet_50", new int[] {20, 53},
            "shapes_mobilenet", new int[] {11, 59},
            "shapes_mobilenet_dw", new int[] {9, 9},
            "shapes_vgg_19", new int[] {9, 16},
            "shapes_googlenet_v3", new int[] {43, 94});

    private static String text(String file) throws IOException {
        try (InputStream in = BenchdnnList.class.getResourceAsStream(BenchdnnList.RESOURCE_DIR + file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void everyDescriptorLineOfEveryFileParses() throws IOException {
        for (Map.Entry<String, int[]> e : FILES.entrySet()) {
            String text = text(e.getKey());
            long descriptorLines = text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .count();
            List<BenchdnnList.Layer> layers = BenchdnnList.load(e.getKey());
            assertEquals(descriptorLines, layers.size(), e.getKey());
            assertEquals(e.getValue()[0], layers.size(), e.getKey());
            assertEquals(e.getValue()[1], layers.stream().mapToInt(BenchdnnList.Layer::count).sum(), e.getKey());
            for (BenchdnnList.Layer l : layers) {
                assertTrue(!l.name().isEmpty() && !l.name().contains("*"), l.toString());
            }
        }
    }

    /** The output size each descriptor states is the one conv4j's single output-size formula computes. */
    @Test
    void statedOutputSizesEqualConvShapes() {
        for (String file : FILES.keySet()) {
            for (BenchdnnList.Layer l : BenchdnnList.load(file)) {
                ConvShape s = ConvShape.forward(Tensor4D.zeros(1, l.ic(), l.ih(), l.iw()),
                        Tensor4D.zeros(l.oc(), l.ic() / l.g(), l.kh(), l.kw()), null, l.params());
                assertEquals(l.oh(), s.outH(), l.name());
                assertEquals(l.ow(), s.outW(), l.name());
            }
        }
    }

    @Test
    void resnetFirstLayerReadsAsPublished() {
        BenchdnnList.Layer conv1 = BenchdnnList.load("shapes_resnet_50").get(0);
        assertEquals(new BenchdnnList.Layer("resnet_50:conv1", 1, 50, 1, 3, 224, 224, 64, 112, 112, 7, 7, 2, 2, 3, 3,
                0, 0), conv1);
        assertEquals("conv1", conv1.shortName());
    }

    @Test
    void mobilenetDepthwiseLayerReadsAsPublished() {
        BenchdnnList.Layer dw = BenchdnnList.load("shapes_mobilenet_dw").get(1);
        // g64mb1ic64ih112iw112oc64oh56ow56kh3kw3sh2sw2ph1pw1n"mobilenet:conv2_2/dw"
        assertEquals(new BenchdnnList.Layer("mobilenet:conv2_2/dw", 1, 1, 64, 64, 112, 112, 64, 56, 56, 3, 3, 2, 2,
                1, 1, 0, 0), dw);
        assertEquals(64, dw.params().groups());
        assertEquals(1, dw.params().dilationH());
    }

    @Test
    void underscoresSeparateAndDilationCountsFromZero() {
        BenchdnnList.Layer l = BenchdnnList.parseLine(
                "mb32_g1ic3oc32_ih224oh112kh3sh2dh0ph1_iw224ow112kw3sw2dw0pw1_n\"mobilenet:conv1*3\"");
        assertEquals(new BenchdnnList.Layer("mobilenet:conv1", 3, 32, 1, 3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1,
                0, 0), l);
        BenchdnnList.Layer dilated = BenchdnnList.parseLine("ic4ih10oc4kh3dh1ph2n\"d\"");
        assertEquals(2, dilated.params().dilationH());
        assertEquals(2, dilated.params().dilationW());
        assertEquals(10, dilated.oh(), "10 + 2*2 - (2*2 + 1) + 1");
    }

    @Test
    void missingKeysTakeTheDocumentedDefaults() {
        // ResNet's short form: no g, iw, ow, kw, sh, sw, pw, dh, dw
        BenchdnnList.Layer l = BenchdnnList.parseLine("mb50ic64ih56oc64oh56kh3ph1n\"resnet_50:res2a_branch2b*3\"");
        assertEquals(new BenchdnnList.Layer("resnet_50:res2a_branch2b", 3, 50, 1, 64, 56, 56, 64, 56, 56, 3, 3, 1, 1,
                1, 1, 0, 0), l);
        // no mb, no output size: benchdnn's batch 2, output computed
        BenchdnnList.Layer bare = BenchdnnList.parseLine("ic3ih9oc5kh3sh2");
        assertEquals(BenchdnnList.DEFAULT_BATCH, bare.mb());
        assertEquals(4, bare.oh());
        assertEquals(4, bare.ow());
        assertEquals("", bare.name());
        assertEquals(1, bare.count());
        // a rectangular kernel keeps its own width; a stated width wins over the copy
        BenchdnnList.Layer rect = BenchdnnList.parseLine("ic8ih17oc8oh17kh1kw7ph0pw3n\"x\"");
        assertEquals(1, rect.kh());
        assertEquals(7, rect.kw());
        assertEquals(0, rect.ph());
        assertEquals(3, rect.pw());
        assertEquals(17, rect.ow());
    }

    @Test
    void commentsAndBlankLinesAreSkippedAndRepeatCountsRead() {
        List<BenchdnnList.Layer> layers = BenchdnnList.parse("# net\n\n  \nic1ih4oc1kh1n\"net:a*12\"   # why\n"
                + "# ic1ih4oc1kh1n\"net:b\"\r\nic1ih4oc2kh1n\"net:c\"\n");
        assertEquals(2, layers.size());
        assertEquals(12, layers.get(0).count());
        assertEquals("a", layers.get(0).shortName());
        assertEquals(1, layers.get(1).count());
        assertEquals(2, layers.get(1).oc());
    }

    @Test
    void badDescriptorsNameTheLineAndTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchdnnList.parse("# x\nic1ih4oc1kh1\nic1id4ih4oc1kh1\n"));
        assertTrue(e.getMessage().startsWith("line 3: key:"), e.getMessage());
        assertTrue(e.getMessage().contains("\"id\""), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchdnnList.parseLine("ih4oc1kh1"))
                .getMessage().startsWith("ic:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchdnnList.parseLine("ic1ih4oc1kh1n\"a*x\""))
                .getMessage().startsWith("repeat count:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchdnnList.parseLine("ic1ic2ih4oc1kh1"))
                .getMessage().startsWith("ic:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchdnnList.parseLine("ic1ih4oc1kh1n\"open"))
                .getMessage().startsWith("name:"));
        assertThrows(IllegalArgumentException.class, () -> BenchdnnList.load("shapes_nope"));
    }
}
