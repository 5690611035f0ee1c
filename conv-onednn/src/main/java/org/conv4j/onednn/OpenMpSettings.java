package org.conv4j.onednn;

import org.conv4j.api.Settings;
import org.conv4j.nativeutil.NativeEnvironment;

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
 *   <li>{@code GOMP_SPINCOUNT} from {@value #SPIN_COUNT_PROPERTY} (default 1000) with the passive policy, unless
 *       the user set the variable: how many times an idle thread polls before it sleeps. A sleeping team costs
 *       each parallel region a wake-up through the kernel, about 20 us on 2 cores, which made oneDNN's fixed
 *       cost per call 28 us on the smallest layers; polling a thousand times (a pause instruction each, some
 *       microseconds in all) catches the next primitive of the call and brings it to 9 us, and still frees the
 *       core within microseconds for the Java phases and OpenBLAS.</li>
 *   <li>{@code OMP_NUM_THREADS} from {@value #THREADS_PROPERTY}, if set and the variable is not: the number of
 *       threads each oneDNN primitive uses (default: one per core).</li>
 * </ul>
 * A variable set in the environment always wins. Where the environment cannot be reached (not Linux) or
 * another library loaded an OpenMP runtime of the same name first, the settings have no effect; results are
 * the same either way, only the speed differs. The variables are written with
 * {@link NativeEnvironment#putIfAbsent}.
 */
final class OpenMpSettings {

    /** {@code passive} (default), {@code active}, or {@code off} ({@link Settings}). */
    static final String WAIT_POLICY_PROPERTY = Settings.ONEDNN_WAIT_POLICY;
    /** Polls before an idle thread sleeps, with the passive policy ({@link Settings}). */
    static final String SPIN_COUNT_PROPERTY = Settings.ONEDNN_SPIN_COUNT;
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
            NativeEnvironment.putIfAbsent("OMP_WAIT_POLICY", policy.toUpperCase(Locale.ROOT));
        }
        if (policy.equals("passive")) {
            String spins = Settings.valueOrDefault(SPIN_COUNT_PROPERTY).trim();
            if (!spins.matches("0|[1-9][0-9]{0,9}")) {
                throw new IllegalArgumentException(SPIN_COUNT_PROPERTY + ": expected a count of 0 or more, got \""
                        + spins + "\"");
            }
            NativeEnvironment.putIfAbsent("GOMP_SPINCOUNT", spins);
        }
        String threads = Settings.value(THREADS_PROPERTY);
        if (threads != null) {
            if (!threads.trim().matches("[1-9][0-9]{0,5}")) {
                throw new IllegalArgumentException(THREADS_PROPERTY + ": expected a positive thread count, got \""
                        + threads + "\"");
            }
            NativeEnvironment.putIfAbsent("OMP_NUM_THREADS", threads.trim());
        }
    }
}
