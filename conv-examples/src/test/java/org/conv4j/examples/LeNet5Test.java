package org.conv4j.examples;

import org.conv4j.api.Conv2d;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeNet5Test {

    @Test
    void forwardGivesProbabilitiesThatAgreeWithTheReference() {
        LeNet5 net = LeNet5.random(7);
        Tensor4D images = Tensor4D.random(3, 5, 1, 32, 32);
        Tensor4D p = net.forward(images, Conv2d.selecting());
        Tensor4D reference = net.forward(images, Conv2d.backend("naive"));
        assertTrue(p.hasShape(5, 10, 1, 1), p.shapeString());
        for (int n = 0; n < 5; n++) {
            double sum = 0;
            for (int k = 0; k < 10; k++) {
                sum += p.get(n, k, 0, 0);
            }
            assertEquals(1.0, sum, 1e-5);
        }
        assertTrue(p.maxAbsDiff(reference) < 1e-4, "differs from naive by " + p.maxAbsDiff(reference));
        assertEquals(5, Arrays.stream(LeNet5.classCounts(p)).sum());
    }

    @Test
    void nativeChannelsLastImagesGiveTheSameProbabilities() {
        LeNet5 net = LeNet5.random(7);
        Tensor4D images = Tensor4D.random(3, 5, 1, 32, 32);
        Tensor4D heap = net.forward(images, Conv2d.selecting());
        try (Tensor4D x = images.toNative(MemoryLayout.NHWC); Tensor4D p = net.forward(x, Conv2d.selecting())) {
            assertEquals(MemoryLayout.NHWC, p.layout());
            assertTrue(p.isNative());
            assertTrue(p.maxAbsDiff(heap) < 1e-5, "differs from the heap run by " + p.maxAbsDiff(heap));
        }
    }

    @Test
    void poolingAndReluByHand() {
        Tensor4D t = Tensor4D.wrap(new float[] {1, -2, 3, 4, -5, 6, -7, 8}, 1, 2, 2, 2);
        LeNet5.relu(t);
        assertArrayEquals(new float[] {1, 0, 3, 4, 0, 6, 0, 8}, t.data());
        assertArrayEquals(new float[] {4, 8}, LeNet5.maxPool2(t).data());
    }

    @Test
    void mainPrintsEveryLayerAndTheTime() {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            LeNet5.main(new String[] {"4"});
        } finally {
            System.setOut(stdout);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        assertTrue(out.contains("conv1 -> [4, 6, 28, 28]"), out);
        assertTrue(out.contains("conv3 -> [4, 120, 1, 1]"), out);
        assertTrue(out.contains("fc5   -> [4, 10, 1, 1]"), out);
        assertTrue(out.contains("forward pass of 4 images"), out);
        assertTrue(out.contains("native NHWC input: output NHWC native"), out);
    }

    @Test
    void rejectsImagesOfAnotherSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LeNet5.random(1).forward(Tensor4D.zeros(2, 1, 28, 28), Conv2d.selecting()));
        assertTrue(e.getMessage().contains("images"), e.getMessage());
    }
}
