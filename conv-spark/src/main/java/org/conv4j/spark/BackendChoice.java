package org.conv4j.spark;

import java.io.Serializable;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;

/**
 * Which conv4j backend an executor runs, chosen on the executor itself (backends hold native resources
 * and are not serialisable): a pinned name, autotuning ({@link Conv2d#autotuning()}), or the facade's own
 * choice ({@link Conv2d#selecting()}, which also honours {@code -Dconv4j.backend} and
 * {@code -Dconv4j.autotune} set in the executors' JVM options).
 */
final class BackendChoice implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String name;
    private final boolean autotune;

    /** @param name a backend name, or null/empty for the facade's choice */
    BackendChoice(String name, boolean autotune) {
        this.name = name == null || name.isBlank() ? null : name.trim();
        this.autotune = autotune;
    }

    /**
     * @throws IllegalArgumentException listing the available backends if the pinned one is not on this
     *         JVM's class path
     */
    ConvBackend resolve() {
        if (name != null) {
            return Conv2d.backend(name);
        }
        return autotune ? Conv2d.autotuning() : Conv2d.selecting();
    }
}
