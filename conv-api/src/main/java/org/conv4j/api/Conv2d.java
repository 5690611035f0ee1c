package org.conv4j.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;

/**
 * The entry point: 2D convolution with whichever backends are on the classpath.
 *
 * <pre>{@code
 * Tensor4D x = Tensor4D.random(42, 8, 64, 56, 56);          // N, C, H, W
 * Tensor4D w = Tensor4D.random(7, 64, 64, 3, 3);            // K, C/groups, kH, kW
 * ConvParams p = ConvParams.builder().padding(1).build();
 * Tensor4D y = Conv2d.forward(x, w, null, p);               // (8, 64, 56, 56)
 * ConvGradients g = Conv2d.backward(x, w, y, p);            // dL/dx, dL/dw, dL/db for dL/dy = y
 * }</pre>
 *
 * <p><b>Which backend runs.</b> Backends are found once, with {@link ServiceLoader}, on the thread's
 * context class loader (or this class's). {@link #forward} and {@link #backward} use
 * {@link #backendFor(ConvShape)}: the backend named by the system property {@value #BACKEND_PROPERTY} if it
 * is set; otherwise {@code fft} for large unstrided kernels (at least {@link #FFT_MIN_KERNEL_TAPS} taps)
 * when it is available; otherwise the first available in {@link #PREFERENCE} order. Which backend serves
 * a given shape is not part of the API contract and may change when measurements justify it; call
 * {@link #backend(String)} to pin one.
 */
public final class Conv2d {

    /** System property that pins the default backend by name, e.g. {@code -Dconv4j.backend=naive}. */
    public static final String BACKEND_PROPERTY = "conv4j.backend";

    /**
     * The default preference, first available wins: the GEMM backends first (fastest on the common
     * small-kernel layers), the FFT backend next, the reference last. Backends not listed come after,
     * in name order.
     */
    public static final List<String> PREFERENCE = List.of("im2col", "strided", "fft", "naive");

    /**
     * Unstrided kernels with at least this many taps ({@code kH*kW}) go to the {@code fft} backend when it
     * is on the classpath. im2col's work grows with the taps while the FFT's depends on the image size only.
     * Measured on 32->32 channels, 64x64, batch 4, final code, quiet machine, two runs of the comparison
     * command (docs/benchmarks.md): at 5x5 the FFT is 1.2-2.4x slower than im2col, at 7x7 it is 1.6x faster
     * forward and 1.7x backward in both runs, at 11x11 about 4x faster. Strided layers stay on the GEMM
     * backends: the FFT works on the stride-1 grid, and was 5-10x slower than im2col on AlexNet conv1
     * (11x11, stride 4).
     */
    public static final int FFT_MIN_KERNEL_TAPS = 7 * 7;

    private Conv2d() {
    }

    /** Forward pass on the backend {@link #backendFor(ConvShape)} picks. See {@link ConvBackend#forward}. */
    public static Tensor4D forward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
        return backendFor(ConvShape.forward(input, weight, bias, params)).forward(input, weight, bias, params);
    }

    /** Backward pass on the backend {@link #backendFor(ConvShape)} picks. See {@link ConvBackend#backward}. */
    public static ConvGradients backward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        return backendFor(ConvShape.backward(input, weight, gradOutput, params))
                .backward(input, weight, gradOutput, params);
    }

    /**
     * The backend {@link #forward} and {@link #backward} use for this geometry (see the class comment).
     *
     * @throws IllegalStateException if no backend is on the classpath
     */
    public static ConvBackend backendFor(ConvShape shape) {
        Objects.requireNonNull(shape, "shape must not be null");
        if (pinnedName() == null && !shape.params().isStrided()
                && (long) shape.kernelH() * shape.kernelW() >= FFT_MIN_KERNEL_TAPS) {
            for (ConvBackend b : backends()) {
                if (b.name().equals("fft")) {
                    return b;
                }
            }
        }
        return defaultBackend();
    }

    private static String pinnedName() {
        String pinned = System.getProperty(BACKEND_PROPERTY);
        return pinned == null || pinned.isBlank() ? null : pinned.trim();
    }

    /** Every backend on the classpath, in preference order. */
    public static List<ConvBackend> backends() {
        return Registry.BACKENDS;
    }

    /**
     * The backend called {@code name}.
     *
     * @throws IllegalArgumentException if there is none, listing the available names
     */
    public static ConvBackend backend(String name) {
        Objects.requireNonNull(name, "name must not be null");
        for (ConvBackend b : backends()) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        throw new IllegalArgumentException("name: expected one of the available backends " + names()
                + ", got \"" + name + "\"" + (backends().isEmpty() ? ". " + MISSING : ""));
    }

    /**
     * The backend used when the geometry does not decide: the one the {@value #BACKEND_PROPERTY} property
     * names, else the first of {@link #backends()}.
     *
     * @throws IllegalStateException if no backend is on the classpath
     */
    public static ConvBackend defaultBackend() {
        String pinned = pinnedName();
        if (pinned != null) {
            return backend(pinned);
        }
        if (backends().isEmpty()) {
            throw new IllegalStateException(MISSING);
        }
        return backends().get(0);
    }

    private static List<String> names() {
        List<String> names = new ArrayList<>();
        for (ConvBackend b : backends()) {
            names.add(b.name());
        }
        return names;
    }

    private static final String MISSING = "No conv4j backend found on the classpath: add a backend artifact, "
            + "e.g. org.conv4j:conv-im2col (fast) or org.conv4j:conv-naive (reference), as a dependency.";

    /** Loads the backends once, on first use (class initialisation is thread-safe). */
    private static final class Registry {
        static final List<ConvBackend> BACKENDS = load();

        private static List<ConvBackend> load() {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            if (loader == null) {
                loader = Conv2d.class.getClassLoader();
            }
            Map<String, ConvBackend> byName = new LinkedHashMap<>();
            for (ConvBackend b : ServiceLoader.load(ConvBackend.class, loader)) {
                byName.putIfAbsent(b.name(), b); // the first on the classpath wins a name clash
            }
            List<ConvBackend> list = new ArrayList<>(byName.values());
            list.sort(Comparator.comparingInt((ConvBackend b) -> rank(b.name())).thenComparing(ConvBackend::name));
            return Collections.unmodifiableList(list);
        }

        private static int rank(String name) {
            int i = PREFERENCE.indexOf(name);
            return i < 0 ? PREFERENCE.size() : i;
        }
    }
}
