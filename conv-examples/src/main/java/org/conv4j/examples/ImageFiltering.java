package org.conv4j.examples;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvPlan;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Image filtering: a Gaussian blur with a large kernel on the FFT backend, and Sobel edges (3x3) on whichever
 * backend {@link Conv2d} picks, on a grey-scale picture read and written as PNG.
 *
 * <pre>
 * java -jar conv-examples/target/conv-examples.jar image-filter [SIZE | INPUT.png] [OUTPUT_DIR]
 * </pre>
 * Without arguments it draws a 512x512 test picture; it writes {@code input.png}, {@code blurred.png} and
 * {@code edges.png} into {@code OUTPUT_DIR} (default {@code image-filter-output}) and prints the backend
 * of each filter and its time.
 *
 * <p>A picture is a {@code (1, 1, H, W)} tensor of intensities in [0, 1]. conv4j computes cross-correlation
 * (as PyTorch does), so a kernel is applied as written, not flipped; both kernels here are symmetric up to
 * sign, which the edge magnitude ignores.
 */
public final class ImageFiltering {

    /** What {@link #run} computed: the three pictures, each filter's plan and the time of its second call. */
    public record Result(Tensor4D input, Tensor4D blurred, Tensor4D edges, double sigma,
                         String blurBackend, ConvPlan edgePlan, long blurNanos, long edgeNanos) {
    }

    private ImageFiltering() {
    }

    /**
     * Runs the example; see the class comment for the arguments.
     *
     * @param args {@code [SIZE | INPUT.png] [OUTPUT_DIR]}
     * @throws IOException if a picture cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Tensor4D picture = args.length > 0 && args[0].toLowerCase(Locale.ROOT).endsWith(".png")
                ? readGrey(Path.of(args[0]))
                : testPicture(args.length > 0 ? Integer.parseInt(args[0]) : 512);
        Path out = Path.of(args.length > 1 ? args[1] : "image-filter-output");

        Result r = run(picture, true);
        Files.createDirectories(out);
        writeGrey(r.input(), out.resolve("input.png"));
        writeGrey(r.blurred(), out.resolve("blurred.png"));
        writeGrey(normalised(r.edges()), out.resolve("edges.png"));
        System.out.println("wrote input.png, blurred.png, edges.png to " + out.toAbsolutePath());
    }

    /**
     * Blurs {@code picture} with a Gaussian of standard deviation {@code min(H, W) / 64} (at least 1.5; its
     * kernel spans 3 sigma on each side) on the FFT backend, and computes the Sobel gradient magnitude of the
     * picture on the backend {@link Conv2d} picks. Each filter runs twice; the second call is timed.
     *
     * @param picture a {@code (1, 1, H, W)} tensor of intensities in [0, 1]
     * @param print whether to print the backends and times
     * @return the pictures, the plans and the times
     */
    public static Result run(Tensor4D picture, boolean print) {
        // Blur: reflected borders, so that the picture does not darken towards its edges.
        double sigma = Math.max(1.5, Math.min(picture.h(), picture.w()) / 64.0);
        int radius = (int) Math.ceil(3 * sigma);
        Tensor4D gauss = gaussian(sigma, radius);
        ConvParams blurParams = ConvParams.builder().padding(radius).paddingMode(PaddingMode.REFLECT).build();
        ConvBackend fft = Conv2d.backend("fft");       // pinned by name: large kernels are what FFT is for
        fft.forward(picture, gauss, null, blurParams);  // first call: plans the transforms, warms up the JIT
        long t0 = System.nanoTime();
        Tensor4D blurred = fft.forward(picture, gauss, null, blurParams);
        long blurNanos = System.nanoTime() - t0;

        // Sobel: two output channels, the horizontal and the vertical derivative; replicated borders, so that
        // the picture's frame is not taken for an edge.
        Tensor4D sobel = Tensor4D.wrap(new float[] {
                -1, 0, 1, -2, 0, 2, -1, 0, 1,      // d/dx
                -1, -2, -1, 0, 0, 0, 1, 2, 1},     // d/dy
                2, 1, 3, 3);
        ConvParams edgeParams = ConvParams.builder().padding(1).paddingMode(PaddingMode.REPLICATE).build();
        ConvPlan edgePlan = Conv2d.plan(ConvShape.forward(picture, sobel, null, edgeParams), ConvPass.FORWARD);
        Conv2d.forward(picture, sobel, null, edgeParams);
        t0 = System.nanoTime();
        Tensor4D gradients = Conv2d.forward(picture, sobel, null, edgeParams);
        long edgeNanos = System.nanoTime() - t0;
        Tensor4D edges = magnitude(gradients);

        if (print) {
            ConvPlan facadeChoice = Conv2d.plan(ConvShape.forward(picture, gauss, null, blurParams), ConvPass.FORWARD);
            System.out.printf(Locale.ROOT, "picture %dx%d%n", picture.h(), picture.w());
            System.out.printf(Locale.ROOT, "blur:  %dx%d Gaussian (sigma %.1f) on %s, pinned by Conv2d.backend(\"fft\"): %.2f ms%n",
                    gauss.h(), gauss.w(), sigma, fft.name(), blurNanos / 1e6);
            System.out.println("       Conv2d.plan would pick: " + facadeChoice);
            System.out.printf(Locale.ROOT, "edges: Sobel 3x3 on %s: %.2f ms%n", edgePlan.backend().name(), edgeNanos / 1e6);
            System.out.println("       Conv2d.plan: " + edgePlan);
        }
        return new Result(picture, blurred, edges, sigma, fft.name(), edgePlan, blurNanos, edgeNanos);
    }

    /**
     * A normalised 2D Gaussian kernel of size {@code 2*radius+1} on each side, as a {@code (1, 1, k, k)} weight.
     *
     * @param sigma the standard deviation in pixels
     * @param radius the kernel's half-width in pixels
     * @return the kernel; its elements sum to 1, so flat regions keep their intensity
     */
    public static Tensor4D gaussian(double sigma, int radius) {
        int k = 2 * radius + 1;
        Tensor4D g = Tensor4D.zeros(1, 1, k, k);
        double sum = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double dy = i - radius;
                double dx = j - radius;
                double v = Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
                g.set(0, 0, i, j, (float) v);
                sum += v;
            }
        }
        float[] d = g.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (d[i] / sum);
        }
        return g;
    }

    /**
     * A test picture: a dark vertical gradient with a bright rectangle, a grey disc and a striped band.
     *
     * @param size its width and height in pixels (at least 16)
     * @return a {@code (1, 1, size, size)} tensor of intensities in [0, 1]
     */
    public static Tensor4D testPicture(int size) {
        if (size < 16) {
            throw new IllegalArgumentException("size: expected at least 16, got " + size);
        }
        Tensor4D p = Tensor4D.zeros(1, 1, size, size);
        double cy = 0.65 * size;
        double cx = 0.65 * size;
        double r = size / 5.0;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double v = 0.15 + 0.2 * y / size;
                if (rectangleContains(size, y, x)) {
                    v = 0.9;
                } else if ((y - cy) * (y - cy) + (x - cx) * (x - cx) <= r * r) {
                    v = 0.55;
                } else if (y >= size * 7 / 8 && (x / Math.max(2, size / 32)) % 2 == 0) {
                    v = 0.7;
                }
                p.set(0, 0, y, x, (float) v);
            }
        }
        return p;
    }

    /**
     * Whether pixel {@code (y, x)} of the {@link #testPicture} lies in its bright rectangle:
     * rows {@code [size/8, 3*size/8)}, columns {@code [size/8, 5*size/8)}.
     *
     * @param size the picture's size
     * @param y the row
     * @param x the column
     * @return true inside the rectangle
     */
    public static boolean rectangleContains(int size, int y, int x) {
        return y >= size / 8 && y < 3 * size / 8 && x >= size / 8 && x < 5 * size / 8;
    }

    /** sqrt(gx^2 + gy^2) per pixel, from the two channels of the Sobel output. */
    private static Tensor4D magnitude(Tensor4D g) {
        Tensor4D m = Tensor4D.zeros(1, 1, g.h(), g.w());
        for (int y = 0; y < g.h(); y++) {
            for (int x = 0; x < g.w(); x++) {
                float gx = g.get(0, 0, y, x);
                float gy = g.get(0, 1, y, x);
                m.set(0, 0, y, x, (float) Math.sqrt(gx * gx + gy * gy));
            }
        }
        return m;
    }

    /** The picture scaled so that its largest value is 1 (unchanged if it is all zero). */
    private static Tensor4D normalised(Tensor4D t) {
        float max = t.maxAbs();
        Tensor4D n = t.copy();
        if (max > 0) {
            float[] d = n.data();
            for (int i = 0; i < d.length; i++) {
                d[i] /= max;
            }
        }
        return n;
    }

    /**
     * Reads a PNG (or any format {@code javax.imageio} knows) as grey intensities in [0, 1]: an 8-bit grey
     * picture's samples as they are, otherwise the ITU-R BT.601 luma of the RGB values.
     *
     * @param file the picture
     * @return a {@code (1, 1, H, W)} tensor
     * @throws IOException if the file cannot be read or decoded
     */
    public static Tensor4D readGrey(Path file) throws IOException {
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) {
            throw new IOException(file + ": not a picture javax.imageio can read");
        }
        Tensor4D p = Tensor4D.zeros(1, 1, img.getHeight(), img.getWidth());
        boolean grey = img.getRaster().getNumBands() == 1 && img.getSampleModel().getSampleSize(0) == 8;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if (grey) {
                    // the stored sample itself: getRGB would pass it through a gamma conversion
                    p.set(0, 0, y, x, img.getRaster().getSample(x, y, 0) / 255f);
                    continue;
                }
                int rgb = img.getRGB(x, y);
                double luma = 0.299 * ((rgb >> 16) & 0xff) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff);
                p.set(0, 0, y, x, (float) (luma / 255));
            }
        }
        return p;
    }

    /**
     * Writes channel 0 of image 0 as an 8-bit grey PNG, values clamped to [0, 1].
     *
     * @param picture the picture
     * @param file the PNG to write
     * @throws IOException if it cannot be written
     */
    public static void writeGrey(Tensor4D picture, Path file) throws IOException {
        BufferedImage img = new BufferedImage(picture.w(), picture.h(), BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < picture.h(); y++) {
            for (int x = 0; x < picture.w(); x++) {
                float v = Math.min(1f, Math.max(0f, picture.get(0, 0, y, x)));
                int g = Math.round(v * 255);
                img.getRaster().setSample(x, y, 0, g);
            }
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer in javax.imageio");
        }
    }
}
