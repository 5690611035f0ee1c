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
 * {@link Conv2d#autotuning()}), then the ND4J peer.
 */
public final class Contenders {

    private Contenders() {
    }

    /** Names of every available contender: the backends in name order, the two facade modes, then "nd4j". */
    public static List<String> availableNames() {
        List<String> names = new ArrayList<>();
        for (ConvBackend b : backends()) {
            names.add(b.name());
        }
        names.add(Nd4jConv.NAME);
        return names;
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
     * @throws IllegalArgumentException listing the available names
     */
    public static Contender byName(String name) {
        if (Nd4jConv.NAME.equals(name)) {
            return new Nd4jContender();
        }
        for (ConvBackend b : backends()) {
            if (b.name().equals(name)) {
                return new BackendContender(b);
            }
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
