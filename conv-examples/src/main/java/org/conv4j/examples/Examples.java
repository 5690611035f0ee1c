package org.conv4j.examples;

import java.util.Arrays;

/**
 * Runs one example by name: {@code java -jar conv-examples/target/conv-examples.jar NAME [ARGS...]}.
 *
 * <p>The jar's manifest puts {@code target/lib/} on the class path and enables native access
 * ({@code Enable-Native-Access: ALL-UNNAMED}), so JDK 24 and newer print no warning when the OpenBLAS and
 * oneDNN backends load their native libraries.
 */
public final class Examples {

    private Examples() {
    }

    /**
     * Runs the example named by {@code args[0]} with the remaining arguments, or prints the list.
     *
     * @param args the example's name, then its own arguments
     * @throws Exception whatever the example throws
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
            return;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "image-filter":
                ImageFiltering.main(rest);
                break;
            case "learn-kernel":
                LearnKernel.main(rest);
                break;
            case "lenet":
                LeNet5.main(rest);
                break;
            default:
                System.err.println("unknown example: " + args[0]);
                usage();
                System.exit(2);
        }
    }

    private static void usage() {
        System.out.println("usage: java -jar conv-examples/target/conv-examples.jar EXAMPLE [ARGS]");
        System.out.println("  image-filter [SIZE | INPUT.png] [OUTPUT_DIR]   Gaussian blur (FFT) and Sobel edges of a picture");
        System.out.println("  learn-kernel [STEPS] [BATCH]                    recover an unknown 5x5 filter by gradient descent");
        System.out.println("  lenet [BATCH]                                   LeNet-5 forward pass on a batch of 32x32 images");
    }
}
