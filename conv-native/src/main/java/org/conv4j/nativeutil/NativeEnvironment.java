package org.conv4j.nativeutil;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads and adds variables of the <em>native</em> process environment (the C library's {@code environ}), which
 * native libraries read with {@code getenv} and which {@link System#getenv()} (a snapshot taken at JVM start) does
 * not reflect. The native backends use it to hand a library its settings before it loads: conv-openblas gives
 * OpenBLAS {@code OPENBLAS_CORETYPE} and {@code OPENBLAS_THREAD_TIMEOUT}, conv-onednn gives oneDNN's OpenMP runtime
 * {@code OMP_WAIT_POLICY} and {@code OMP_NUM_THREADS}; both libraries read them once, when they load.
 *
 * <p>Neither the JDK (before the FFM API of Java 22) nor JavaCPP offers {@code setenv}. JavaCPP does offer
 * {@link Loader#addressof(String)} (a {@code dlsym}) and raw memory access through {@link Pointer}, which is all
 * {@code putenv} does: this class finds {@code environ}, builds a new pointer array holding the new
 * {@code NAME=value} string followed by every existing entry, and stores the new array's address in
 * {@code environ}. Why that is safe:
 * <ul>
 *   <li>the old array and the new string are never freed, so a thread that is reading the old array in
 *       {@code getenv} at that moment still reads valid memory;</li>
 *   <li>a later {@code setenv} by other native code sees that {@code environ} is not the array it allocated
 *       itself and copies it rather than reallocating it (glibc and musl both do);</li>
 *   <li>every write of conv4j goes through this class and is serialised (synchronized): two writers that read
 *       the same old array would otherwise each store their own new one, and one entry would be lost.</li>
 * </ul>
 * Linux only; elsewhere {@link #isSupported()} is false and nothing is changed.
 */
public final class NativeEnvironment {

    private NativeEnvironment() {
    }

    /**
     * Whether the native environment can be read and written here (Linux, with {@code environ} found).
     *
     * @return whether it is supported
     */
    public static boolean isSupported() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                && environSlot() != null;
    }

    /** The address of the C variable {@code environ} (a {@code char**}), or null. */
    private static LongPointer environSlot() {
        Pointer p = NativePointers.symbol("environ");
        return p == null ? null : new LongPointer(p);
    }

    /**
     * The value of {@code name} in the native environment, or null if it is not set. Where the native environment
     * cannot be reached, the JVM's snapshot ({@link System#getenv(String)}).
     *
     * @param name the variable
     * @return its value, or null
     */
    public static synchronized String get(String name) {
        LongPointer slot = environSlot();
        if (slot == null) {
            return System.getenv(name);
        }
        LongPointer entries = new LongPointer(NativePointers.at(slot.get(0)));
        String prefix = name + "=";
        for (long i = 0; entries.get(i) != 0; i++) {
            String entry = new BytePointer(NativePointers.at(entries.get(i))).getString(StandardCharsets.UTF_8);
            if (entry.startsWith(prefix)) {
                return entry.substring(prefix.length());
            }
        }
        return null;
    }

    /**
     * Sets {@code name=value} in the native environment, ahead of any earlier value of {@code name}
     * ({@code getenv} returns the first match).
     *
     * @param name the variable: not empty, no {@code '='}, no NUL
     * @param value the value: no NUL
     * @return false if the native environment cannot be reached on this system (nothing changed)
     * @throws IllegalArgumentException if the name or the value is not valid
     */
    public static synchronized boolean put(String name, String value) {
        check(name, value);
        LongPointer slot = environSlot();
        if (slot == null || !isSupported()) {
            return false;
        }
        byte[] entry = (name + "=" + value).getBytes(StandardCharsets.UTF_8);
        // malloc'ed, no deallocator: both must outlive every reader of the environment (see class comment).
        BytePointer string = new BytePointer(Pointer.malloc(entry.length + 1L));
        string.put(entry, 0, entry.length);
        string.put(entry.length, (byte) 0);

        LongPointer old = new LongPointer(NativePointers.at(slot.get(0)));
        long count = 0;
        while (old.get(count) != 0) {
            count++;
        }
        LongPointer fresh = new LongPointer(Pointer.malloc(Long.BYTES * (count + 2)));
        fresh.put(0, string.address());
        for (long i = 0; i < count; i++) {
            fresh.put(i + 1, old.get(i));
        }
        fresh.put(count + 1, 0L);
        slot.put(0, fresh.address()); // one aligned 8-byte store: readers see the old or the new array
        return true;
    }

    /**
     * Sets {@code name=value} unless {@code name} is set, in the environment the JVM started with or natively
     * since: a variable the user set always wins.
     *
     * @param name the variable: not empty, no {@code '='}, no NUL
     * @param value the value: no NUL
     * @return true if the variable was added; false if it was set already or the native environment cannot be
     *         reached (nothing changed)
     * @throws IllegalArgumentException if the name or the value is not valid
     */
    public static synchronized boolean putIfAbsent(String name, String value) {
        check(name, value);
        if (System.getenv(name) != null || !isSupported() || get(name) != null) {
            return false;
        }
        return put(name, value);
    }

    private static void check(String name, String value) {
        if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0 || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("name/value: expected a name without '=' and NUL and a value "
                    + "without NUL, got " + name + "=" + value);
        }
    }
}
