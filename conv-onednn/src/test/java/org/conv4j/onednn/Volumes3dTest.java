package org.conv4j.onednn;

import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor5D;
import org.conv4j.testkit.ChildJvm;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** oneDNN's 3D convolutions against the naive reference ({@link Volumes3d}, in a child JVM), and what it declines. */
class Volumes3dTest {

    private static final OnednnBackend ONEDNN = new OnednnBackend();

    @Test
    void threeDimensionalLayersAgreeWithTheReference() throws Exception {
        System.out.println(ChildJvm.of(Volumes3d.class).jvmOptions("-XX:ErrorFile=/dev/null").timeoutSeconds(600)
                .run());
    }

    @Test
    void randomLayersAgreeWithTheReferenceOrAreDeclined() throws Exception {
        String seed = System.getProperty("conv4j.fuzz3d.seed", "3000");
        String count = System.getProperty("conv4j.fuzz3d.count", "300");
        String out = ChildJvm.of(Fuzz3d.class, seed, count).jvmOptions("-XX:ErrorFile=/dev/null").timeoutSeconds(600)
                .run();
        System.out.println(out.substring(out.lastIndexOf("layers=")));
    }

    private static Conv3dShape shape(int d, int h, int w, int kd, int kh, int kw, Conv3dParams p) {
        return Conv3dShape.forward(Tensor5D.zeros(1, 2, d, h, w), Tensor5D.zeros(3, 2 / p.groups(), kd, kh, kw), null,
                p);
    }

    @Test
    void declinesOutputsWhollyInThePadding() {
        Conv3dShape s = shape(4, 4, 4, 2, 2, 2, Conv3dParams.builder().padding(0, 3, 0, 0, 0, 0).build());
        assertFalse(ONEDNN.supports3d(s, ConvPass.FORWARD));
        assertFalse(ONEDNN.supports3d(s, ConvPass.BACKWARD));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> ONEDNN.forward3d(s, Tensor5D.zeros(1, 2, 4, 4, 4), Tensor5D.zeros(3, 2, 2, 2, 2), null));
        assertTrue(e.getMessage().startsWith("onednn backend: 3D"), e.getMessage());
    }

    @Test
    void declinesTheBackwardPassesOfDeepFrontPadding() {
        // oneDNN 3.11's 3D backward-weights kernel computed wrong dL/dw here, hung or crashed (OnednnBackend.supports3d)
        Conv3dShape s = Conv3dShape.forward(Tensor5D.zeros(2, 3, 4, 6, 6), Tensor5D.zeros(3, 3, 4, 2, 2), null,
                Conv3dParams.builder().stride(2, 1, 1).padding(3, 3, 1, 1, 1, 1).build());
        assertTrue(OnednnBackend.deepFrontPadding(s));
        assertTrue(ONEDNN.supports3d(s, ConvPass.FORWARD));
        for (ConvPass pass : new ConvPass[] {ConvPass.BACKWARD, ConvPass.INPUT_GRADIENT, ConvPass.WEIGHT_GRADIENT}) {
            assertFalse(ONEDNN.supports3d(s, pass), pass.name());
        }
        Tensor5D x = Tensor5D.zeros(2, 3, 4, 6, 6);
        Tensor5D dy = Tensor5D.zeros(2, 3, 4, 7, 7);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> ONEDNN.weightGradient3d(s, x, dy));
        assertTrue(e.getMessage().startsWith("onednn backend: 3D"), e.getMessage());
        // two planes of front padding run, and so does deep padding of the rows and columns or at the back
        assertTrue(ONEDNN.supports3d(shape(4, 6, 6, 4, 2, 2, Conv3dParams.builder().stride(2, 1, 1).padding(2, 2, 1, 1, 1, 1).build()),
                ConvPass.BACKWARD));
        assertTrue(ONEDNN.supports3d(shape(4, 8, 8, 4, 5, 5, Conv3dParams.builder().padding(0, 3, 4, 4, 4, 4).build()),
                ConvPass.BACKWARD));
    }

    @Test
    void runsASingleStridedOutputColumn() {
        // computed on its narrowed input (SingleColumn); the results are checked in Volumes3d's layers
        Conv3dShape s = shape(3, 7, 3, 1, 4, 3,
                Conv3dParams.builder().stride(4, 1, 2).padding(0, 0, 2, 2, 0, 1).build());
        assertTrue(SingleColumn.affects(s));
        assertTrue(ONEDNN.supports3d(s, ConvPass.FORWARD));
        assertTrue(ONEDNN.supports3d(s, ConvPass.BACKWARD));
    }

    @Test
    void declinesASingleStridedOutputColumnWhoseNarrowedInputIsAbsurd() {
        // 1024 rows of one column; three taps 2^20 apart, the middle one reading it: narrowed, 1024 x (2^21 + 1)
        int gap = 1 << 20;
        Conv3dShape s = Conv3dShape.forward(Tensor5D.zeros(1, 1, 1, 1024, 1), Tensor5D.zeros(1, 1, 1, 1, 3), null,
                Conv3dParams.builder().dilation(1, 1, gap).padding(0, 0, 0, 0, gap, gap).stride(1, 1, 2).build());
        assertTrue(SingleColumn.affects(s));
        assertFalse(ONEDNN.supports3d(s, ConvPass.FORWARD));
    }

    @Test
    void declinesAbsurdPadding() {
        int pad = 1 << 30;
        Conv3dShape s = shape(2, 2, 2, 1, 1, 1, Conv3dParams.builder().padding(0, 0, 0, 0, 0, 0).build());
        assertTrue(ONEDNN.supports3d(s, ConvPass.FORWARD));
        // every output reads the input through its second tap, but the dilated kernel spans 2^30 + 1 columns
        Conv3dShape dilated = shape(3, 3, 3, 2, 2, 2, Conv3dParams.builder().dilation(1, 1, pad).padding(0, 0, 0, 0,
                pad, 0).build());
        assertFalse(ONEDNN.supports3d(dilated, ConvPass.FORWARD));
    }

    @Test
    void givesAFiniteEstimateSoThatTheFacadeCanChooseIt() {
        Conv3dShape s = shape(8, 8, 8, 3, 3, 3, Conv3dParams.builder().padding(1).build());
        double forward = ONEDNN.estimate3dNanos(s, ConvPass.FORWARD);
        double backward = ONEDNN.estimate3dNanos(s, ConvPass.BACKWARD);
        assertTrue(forward > 0 && Double.isFinite(forward), "forward " + forward);
        assertTrue(backward > forward && Double.isFinite(backward), "backward " + backward);
        assertTrue(Conv3d.backends().stream().anyMatch(b -> b.name().equals("onednn")));
    }
}
