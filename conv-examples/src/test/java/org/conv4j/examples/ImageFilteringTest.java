package org.conv4j.examples;

import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageFilteringTest {

    private static final int SIZE = 96;

    @Test
    void blurKeepsTheMeanAndSmoothsThePicture() {
        ImageFiltering.Result r = ImageFiltering.run(ImageFiltering.testPicture(SIZE), false);
        assertEquals("fft", r.blurBackend());
        assertTrue(r.blurred().allFinite());
        // a normalised kernel with reflected borders keeps the mean brightness
        assertEquals(mean(r.input()), mean(r.blurred()), 0.01 * mean(r.input()));
        // and a blur removes most of the total variation of a picture of flat shapes
        double before = totalVariation(r.input());
        double after = totalVariation(r.blurred());
        assertTrue(after < 0.8 * before, "total variation " + before + " -> " + after);
        // far from every shape the blur changes nothing but the gentle background gradient
        int y = SIZE / 2;
        int x = 3;
        assertEquals(r.input().get(0, 0, y, x), r.blurred().get(0, 0, y, x), 0.02);
    }

    @Test
    void edgesLieOnTheRectanglesBorderAndNotInside() {
        ImageFiltering.Result r = ImageFiltering.run(ImageFiltering.testPicture(SIZE), false);
        Tensor4D e = r.edges();
        float max = e.maxAbs();
        assertTrue(max > 0, "no edge at all");
        int row = SIZE / 4;                               // inside the rectangle's rows
        int left = SIZE / 8;                              // its first column
        assertTrue(ImageFiltering.rectangleContains(SIZE, row, left));
        assertTrue(!ImageFiltering.rectangleContains(SIZE, row, left - 1));
        // the step from background (about 0.2) to 0.9: Sobel gives 4 * 0.7 on both columns beside it
        assertEquals(4 * (0.9 - (0.15 + 0.2 * row / SIZE)), e.get(0, 0, row, left), 1e-4);
        assertEquals(0f, e.get(0, 0, row, SIZE / 3), 1e-6, "inside the flat rectangle");
        int strong = 0;
        for (float v : e.data()) {
            if (v > 0.25f * max) {
                strong++;
            }
        }
        double fraction = strong / (double) e.size();
        assertTrue(fraction > 0.01 && fraction < 0.3, "fraction of edge pixels " + fraction);
    }

    @Test
    void pngRoundTripAndMainWritesThreePictures(@TempDir Path dir) throws Exception {
        Tensor4D p = ImageFiltering.testPicture(32);
        Path file = dir.resolve("p.png");
        ImageFiltering.writeGrey(p, file);
        Tensor4D back = ImageFiltering.readGrey(file);
        assertTrue(back.hasShape(1, 1, 32, 32));
        assertTrue(back.maxAbsDiff(p) <= 0.5f / 255 + 1e-6f, "8-bit rounding only");

        Path out = dir.resolve("out");
        ImageFiltering.main(new String[] {file.toString(), out.toString()});
        for (String name : new String[] {"input.png", "blurred.png", "edges.png"}) {
            assertTrue(ImageFiltering.readGrey(out.resolve(name)).hasShape(1, 1, 32, 32), name);
        }
    }

    private static double mean(Tensor4D t) {
        double s = 0;
        for (float v : t.data()) {
            s += v;
        }
        return s / t.size();
    }

    private static double totalVariation(Tensor4D t) {
        double s = 0;
        for (int y = 0; y < t.h(); y++) {
            for (int x = 0; x < t.w(); x++) {
                if (x + 1 < t.w()) {
                    s += Math.abs(t.get(0, 0, y, x + 1) - t.get(0, 0, y, x));
                }
                if (y + 1 < t.h()) {
                    s += Math.abs(t.get(0, 0, y + 1, x) - t.get(0, 0, y, x));
                }
            }
        }
        return s;
    }
}
