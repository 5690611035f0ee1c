package org.conv4j.examples;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;

import java.lang.module.ModuleDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks that conv4j works as modules: run on the module path, it fails (exit status 1) unless this class and
 * conv-api are named modules, {@link Conv2d#backends()} finds exactly the backends this module's build depends on,
 * each one in its own named module that {@code provides org.conv4j.api.ConvBackend} with it (an explicit module
 * with a {@code module-info}, or for {@code fft} the automatic module its {@code META-INF/services} file makes
 * a provider), and every backend and the facade compute a forward pass (and the facade a backward pass) that agrees
 * with the reference.
 *
 * <pre>
 * java --module-path conv-examples/target/conv-examples.jar:conv-examples/target/lib \
 *      --add-modules org.bytedeco.javacpp.linux.x86_64,org.bytedeco.openblas.linux.x86_64,\
 *                    org.bytedeco.dnnl.linux.x86_64,org.bytedeco.opencl.linux.x86_64 \
 *      -m org.conv4j.examples/org.conv4j.examples.ModulePathCheck
 * </pre>
 * Only the native modules are added by hand (no module requires a platform's natives): the backends join the
 * module graph as providers of the service {@code org.conv4j.api} uses. {@code ModulePathIT} runs this in
 * {@code mvn verify}.
 */
public final class ModulePathCheck {

    /** The backends on conv-examples' module path (its dependencies), by name. */
    static final Set<String> EXPECTED = Set.of("direct", "fft", "im2col", "naive", "onednn");

    /** The backend whose module has no descriptor, on purpose (see conv-fft's pom): an automatic module. */
    static final Set<String> AUTOMATIC = Set.of("fft");

    private ModulePathCheck() {
    }

    /**
     * Runs the checks; prints one line per backend, then {@code module path: OK}.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        check(ModulePathCheck.class.getModule().getName(), "org.conv4j.examples", "this class's module");
        check(Conv2d.class.getModule().getName(), "org.conv4j.api", "conv-api's module");

        List<ConvBackend> backends = Conv2d.backends();
        Set<String> names = new TreeSet<>();
        for (ConvBackend b : backends) {
            names.add(b.name());
        }
        check(names, new TreeSet<>(EXPECTED), "the backends ServiceLoader finds");

        ConvParams p = ConvParams.builder().stride(1).padding(1).build();
        Tensor4D x = Tensor4D.random(1, 2, 3, 9, 11);
        Tensor4D w = Tensor4D.random(2, 4, 3, 3, 3);
        float[] bias = {0.5f, -0.25f, 0.125f, 1f};
        Tensor4D reference = Conv2d.backend("naive").forward(x, w, bias, p);
        List<String> problems = new ArrayList<>();
        for (ConvBackend b : backends) {
            Module m = b.getClass().getModule();
            ModuleDescriptor d = m.getDescriptor();
            String expectedModule = "org.conv4j." + b.name();
            if (!m.isNamed() || !m.getName().equals(expectedModule)) {
                problems.add(b.name() + ": expected module " + expectedModule + ", got " + m);
                continue;
            }
            if (d.isAutomatic() != AUTOMATIC.contains(b.name())) {
                problems.add(b.name() + ": expected " + (AUTOMATIC.contains(b.name()) ? "an automatic" : "an explicit")
                        + " module, got " + d);
            }
            boolean provides = d.provides().stream().anyMatch(pr -> pr.service().equals(ConvBackend.class.getName())
                    && pr.providers().contains(b.getClass().getName()));
            if (!provides) {
                problems.add(b.name() + ": expected its module to provide " + ConvBackend.class.getName() + " with "
                        + b.getClass().getName() + ", got " + d.provides());
            }
            float diff = b.forward(x, w, bias, p).maxAbsDiff(reference);
            if (!(diff <= 1e-3f)) {
                problems.add(b.name() + ": expected its forward pass within 1e-3 of naive's, got a difference of "
                        + diff);
            }
            System.out.println(b.name() + ": module " + m.getName() + (d.isAutomatic() ? " (automatic)" : "")
                    + ", provides " + ConvBackend.class.getSimpleName() + ", forward within " + diff);
        }

        // the facade, on heap NCHW and on native NHWC operands (which it converts at the edge, or takes in place)
        float facade = Conv2d.forward(x, w, bias, p).maxAbsDiff(reference);
        float nativeNhwc;
        try (Tensor4D xn = x.toNative(MemoryLayout.NHWC); Tensor4D y = Conv2d.forward(xn, w, bias, p)) {
            nativeNhwc = y.toHeap().toLayout(MemoryLayout.NCHW).maxAbsDiff(reference);
        }
        ConvGradients g = Conv2d.backward(x, w, reference, p);
        ConvGradients gRef = Conv2d.backend("naive").backward(x, w, reference, p);
        float backward = Math.max(g.input().maxAbsDiff(gRef.input()), g.weight().maxAbsDiff(gRef.weight()));
        if (!(facade <= 1e-3f && nativeNhwc <= 1e-3f && backward <= 1e-2f)) {
            problems.add("Conv2d: expected forward and backward within tolerance of naive's, got differences "
                    + facade + " (heap NCHW), " + nativeNhwc + " (native NHWC), " + backward + " (backward)");
        }
        System.out.println("Conv2d: forward within " + facade + " (heap NCHW), " + nativeNhwc
                + " (native NHWC), backward within " + backward);

        if (!problems.isEmpty()) {
            problems.forEach(s -> System.out.println("FAILED " + s));
            System.exit(1);
        }
        System.out.println("module path: OK");
    }

    private static void check(Object actual, Object expected, String what) {
        if (!expected.equals(actual)) {
            System.out.println("FAILED " + what + ": expected " + expected + ", got " + actual);
            System.exit(1);
        }
    }
}
