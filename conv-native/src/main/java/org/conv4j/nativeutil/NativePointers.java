package org.conv4j.nativeutil;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

/**
 * The two raw pointers the native backends make themselves through JavaCPP: one at an address they computed (an
 * aligned start, an entry read from a native array) and one at an exported symbol of a loaded library.
 */
public final class NativePointers {

    private NativePointers() {
    }

    /** A pointer at a raw address (JavaCPP exposes the address field to subclasses only). */
    private static final class At extends Pointer {
        At(long address) {
            this.address = address;
        }
    }

    /**
     * A pointer at {@code address}, owning nothing: it frees no memory and keeps none alive.
     *
     * @param address the address
     * @return the pointer
     */
    public static Pointer at(long address) {
        return new At(address);
    }

    /**
     * The address of the exported symbol {@code name} among the loaded native libraries
     * ({@link Loader#addressof(String)}, a {@code dlsym}); null where no loaded library exports it or the lookup
     * itself is not available here.
     *
     * @param name the symbol
     * @return a pointer at it, or null
     */
    public static Pointer symbol(String name) {
        try {
            Pointer p = Loader.addressof(name);
            return p == null || p.isNull() ? null : p;
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }
}
