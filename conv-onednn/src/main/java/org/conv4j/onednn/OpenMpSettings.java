package org.conv4j.onednn;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.conv4j.api.Settings;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The OpenMP settings oneDNN's threads start with, applied to the native process environment before
 * oneDNN's OpenMP runtime (libgomp) is loaded: it reads them once, when it initialises.
 *
 * <ul>
 *   <li>{@code OMP_WAIT_POLICY}: {@code PASSIVE} unless the user set the variable, or chose otherwise with
 *       {@value #WAIT_POLICY_PROPERTY} ({@code active}, or {@code off} to leave libgomp's default). libgomp's
 *       default lets idle threads spin for some milliseconds after every parallel region, on cores that the
 *       Java phases of the call, OpenBLAS or other processes need; when a core is shared, a team member
 *       that lost its core holds the others spinning at every barrier. docs/onednn.md has the measurements.</li>
 *   <li>{@code OMP_NUM_THREADS} from {@value #THREADS_PROPERTY}, if set and the variable is not: the number of
 *       threads each oneDNN primitive uses (default: one per core).</li>
 * </ul>
 * A variable set in the environment always wins. Where the environment cannot be reached (not Linux) or
 * another library loaded an OpenMP runtime of the same name first, the settings have no effect; results are
 * the same either way, only the speed differs.
 *
 * <p>How the variable is set: the JDK has no {@code setenv} (before the FFM API) and JavaCPP does not bind
 * it, but JavaCPP finds the C library's {@code environ} ({@link Loader#addressof}) and reads and writes raw
 * memory. A new array holding the new {@code NAME=value} entry and every old entry is stored in
 * {@code environ} with one 8-byte write; the old array and the new string are never freed, so a concurrent
 * {@code getenv} reads valid memory either way, and a later {@code setenv} elsewhere copies the array it
 * does not own rather than reallocating it (glibc, musl). Calls are serialised.
 */
final class OpenMpSettings {

    /** {@code passive} (default), {@code active}, or {@code off} ({@link Settings}). */
    static final String WAIT_POLICY_PROPERTY = Settings.ONEDNN_WAIT_POLICY;
    /** Threads per oneDNN primitive; unset: OpenMP's default, one per core ({@link Settings}). */
    static final String THREADS_PROPERTY = Settings.ONEDNN_THREADS;

    private OpenMpSettings() {
    }

    /** Sets the variables (see the class comment); call before oneDNN's natives load. */
    static synchronized void apply() {
        String policy = Settings.valueOrDefault(WAIT_POLICY_PROPERTY).toLowerCase(Locale.ROOT);
        if (!policy.equals("passive") && !policy.equals("active") && !policy.equals("off")) {
            throw new IllegalArgumentException(WAIT_POLICY_PROPERTY + ": expected passive, active or off, got \""
                    + policy + "\"");
        }
        if (!policy.equals("off")) {
            putIfAbsent("OMP_WAIT_POLICY", policy.toUpperCase(Locale.ROOT));
        }
        String threads = Settings.value(THREADS_PROPERTY);
        if (threads != null) {
            if (!threads.trim().matches("[1-9][0-9]{0,5}")) {
                throw new IllegalArgumentException(THREADS_PROPERTY + ": expected a positive thread count, got \""
                        + threads + "\"");
            }
            putIfAbsent("OMP_NUM_THREADS", threads.trim());
        }
    }

    /** A pointer at a raw address. */
    private static final class At extends Pointer {
        At(long address) {
            this.address = address;
        }
    }

    /** Adds {@code name=value} to the native environment unless {@code name} is set; false if not possible. */
    static boolean putIfAbsent(String name, String value) {
        if (System.getenv(name) != null || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return false;
        }
        Pointer environ;
        try {
            environ = Loader.addressof("environ");
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
        if (environ == null || environ.isNull()) {
            return false;
        }
        LongPointer slot = new LongPointer(environ);
        LongPointer entries = new LongPointer(new At(slot.get(0)));
        long count = 0;
        String prefix = name + "=";
        for (; entries.get(count) != 0; count++) {
            if (new BytePointer(new At(entries.get(count))).getString(StandardCharsets.UTF_8).startsWith(prefix)) {
                return false; // set natively since the JVM started
            }
        }
        byte[] text = (prefix + value).getBytes(StandardCharsets.UTF_8);
        BytePointer entry = new BytePointer(Pointer.malloc(text.length + 1L)); // never freed, see the class comment
        entry.put(text, 0, text.length).put(text.length, (byte) 0);
        LongPointer grown = new LongPointer(Pointer.malloc(8 * (count + 2)));
        for (long i = 0; i < count; i++) {
            grown.put(i, entries.get(i));
        }
        grown.put(count, entry.address());
        grown.put(count + 1, 0L);
        slot.put(0, grown.address());
        return true;
    }
}
