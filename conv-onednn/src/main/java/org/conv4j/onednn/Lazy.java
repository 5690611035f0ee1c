package org.conv4j.onednn;

import java.util.function.Supplier;

/**
 * A value made on first use, once, by whichever thread asks first (double-checked locking on a volatile
 * field). Plans use it for their primitives: creating one generates code, and a plan made only to size a
 * batch split never runs.
 */
final class Lazy<T> {

    private final Supplier<T> make;
    private volatile T value;

    Lazy(Supplier<T> make) {
        this.make = make;
    }

    T get() {
        T v = value;
        if (v == null) {
            synchronized (this) {
                v = value;
                if (v == null) {
                    v = make.get();
                    value = v;
                }
            }
        }
        return v;
    }
}
