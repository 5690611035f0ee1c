package org.conv4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;

/**
 * Every contender: each conv4j backend found by {@link Conv2d#backends()} (ServiceLoader, so a backend
 * module on the classpath is benchmarked with no code change here), the facade itself in its default mode
 * ({@code conv2d}, {@link Conv2d#selecting()}) and in autotune mode ({@code conv2d-autotune},
 * {@link Conv2d#autotuning()}), then the ND4J peer, the oneDNN kernel limit ({@link KernelLimitContender}), and
 * the PyTorch peer in builds with the {@code pytorch} profile.
 */
public final class Contenders {

    private Contenders() {
    }

    /**
     * The PyTorch peer's class: compiled only in builds with the {@code pytorch} Maven profile (its sources are in
     * {@code src/pytorch/java}, with DJL's PyTorch engine as a dependency), hence looked up by name.
     */
    static final String PYTORCH_CLASS = "org.conv4j.bench.pytorch.PytorchContender";

    /** The PyTorch peer's name. */
    public static final String PYTORCH = "pytorch";

    /**
     * Names of every available contender: the backends in name order, the two facade modes, then "nd4j", the
     * kernel limit {@value KernelLimitContender#NAME}, and "pytorch" in builds with the {@code pytorch} profile.
     */
    public static List<String> availableNames() {
        List<String> names = new ArrayList<>();
        for (ConvBackend b : backends()) {
            names.add(b.name());
        }
        names.add(Nd4jConv.NAME);
        names.add(KernelLimitContender.NAME);
        if (pytorchBuilt()) {
            names.add(PYTORCH);
        }
        return names;
    }

    /** Whether this build has the PyTorch peer (built with {@code -Ppytorch}). */
    public static boolean pytorchBuilt() {
        try {
            ClassLoader loader = Contenders.class.getClassLoader();
            Class.forName(PYTORCH_CLASS, false, loader);
            Class.forName("ai.djl.nn.convolutional.Conv2d", false, loader); // DJL itself, not a stale build's class
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static Contender pytorch() {
        try {
            return (Contender) Class.forName(PYTORCH_CLASS).getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalArgumentException("backend: \"" + PYTORCH + "\" needs a build with the pytorch profile "
                    + "(mvn -Ppytorch package) and DJL's PyTorch natives: " + e, e);
        }
    }

    /** The backend (or facade) called {@code name}, or null. */
    private static ConvBackend backendNamed(String name) {
        for (ConvBackend b : backends()) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        return null;
    }

    private static List<ConvBackend> backends() {
        List<ConvBackend> list = new ArrayList<>(Conv2d.backends());
        list.add(Conv2d.selecting());
        list.add(Conv2d.autotuning());
        return list;
    }

    /**
     * The contender called {@code name}.
     *
     * Besides {@link #availableNames()}, the facade or a backend on native NHWC tensors
     * ({@value NativeContender#FACADE}, {@value NativeContender#PREPARED}, {@code onednn-prepared-native-nhwc}, ...)
     * and the kernel limit on channels-last activations ({@value KernelLimitContender#NHWC_NAME}) are chosen by name.
     *
     * @throws IllegalArgumentException listing the available names
     */
    public static Contender byName(String name) {
        if (Nd4jConv.NAME.equals(name)) {
            return new Nd4jContender();
        }
        if (KernelLimitContender.NAME.equals(name) || KernelLimitContender.NHWC_NAME.equals(name)) {
            return new KernelLimitContender(KernelLimitContender.NHWC_NAME.equals(name));
        }
        for (String suffix : List.of(NativeContender.PREPARED_SUFFIX, NativeContender.FACADE_SUFFIX)) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                ConvBackend b = backendNamed(base);
                if (b != null) {
                    return new NativeContender(b, suffix.equals(NativeContender.PREPARED_SUFFIX));
                }
            }
        }
        if (PYTORCH.equals(name) && pytorchBuilt()) {
            return pytorch();
        }
        ConvBackend b = backendNamed(name);
        if (b != null) {
            return new BackendContender(b);
        }
        throw new IllegalArgumentException("backend: expected one of " + availableNames() + ", got \"" + name + "\"");
    }

    /**
     * A comma-separated selection ({@code all} for every available one), in the order given, no repeats.
     * "naive" is always moved first, because the others are compared with it.
     */
    public static List<Contender> select(String spec) {
        Set<String> names = new LinkedHashSet<>();
        for (String token : spec.split(",")) {
            String t = token.trim().toLowerCase(Locale.ROOT);
            if (t.isEmpty()) {
                continue;
            }
            if (t.equals("all")) {
                names.addAll(availableNames());
            } else {
                names.add(byName(t).name());
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("backends: expected at least one name, got \"" + spec + "\"");
        }
        List<Contender> list = new ArrayList<>();
        if (names.remove("naive")) {
            list.add(byName("naive"));
        }
        for (String n : names) {
            list.add(byName(n));
        }
        return list;
    }
}
