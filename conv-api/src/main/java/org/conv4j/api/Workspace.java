package org.conv4j.api;

import org.conv4j.spi.WorkspaceBudget;

import java.util.Locale;

/**
 * The workspace policy every backend shares: how much memory one call may use for its intermediate
 * data (the im2col column matrix, the strided window matrices, the FFT spectra), whatever the
 * convolution's size.
 *
 * <p>A backend built without an explicit limit uses {@link #defaultLimitBytes()}: the system property
 * {@value #LIMIT_PROPERTY} if set (read when the backend is constructed), else {@link #DEFAULT_LIMIT_BYTES}.
 * The limit applies per call in flight: {@code t} concurrent calls may hold {@code t} workspaces. A backend
 * that cannot fit even its smallest unit of work (one output row of one image and group) into the limit
 * still computes it, using that minimum; {@link #MIN_LIMIT_BYTES} is the smallest limit accepted.
 *
 * <p>Across calls, the workspace of all calls in flight and the idle buffers kept for reuse share one
 * process-wide budget ({@link WorkspaceBudget#global()}, property {@value WorkspaceBudget#TOTAL_PROPERTY}): a
 * call plans for its per-call limit, and when the budget cannot grant that much it works in smaller pieces or
 * waits its turn. {@link #releaseIdle()} frees the idle buffers.
 */
public final class Workspace {

    /**
     * 256 MiB: holds the whole column matrix of a batch-8 ResNet-50 3x3 layer at 56x56 with 64 channels
     * (8 * 576 * 3136 floats = 58 MiB) several times over, so the common layers never split; a 1 GiB heap
     * keeps room for the tensors themselves.
     */
    public static final long DEFAULT_LIMIT_BYTES = 256L << 20;

    /** The smallest limit accepted: 4 KiB (tests use tiny limits to force splitting). */
    public static final long MIN_LIMIT_BYTES = 4L << 10;

    /** System property overriding {@link #DEFAULT_LIMIT_BYTES}, e.g. {@code 512m}, {@code 1g}, {@code 65536}. */
    public static final String LIMIT_PROPERTY = Settings.WORKSPACE_LIMIT;

    private Workspace() {
    }

    /**
     * Frees every idle pooled workspace buffer of every backend and the memory kept from closed native tensors
     * (they are counted against the process-wide budget, {@link WorkspaceBudget#global()}, and are freed anyway when
     * a waiting call needs the room): for a service that has finished a burst of work and wants its memory back.
     *
     * @return the bytes freed
     */
    public static long releaseIdle() {
        return WorkspaceBudget.global().releaseIdle();
    }

    /**
     * The limit from {@value #LIMIT_PROPERTY}, or {@link #DEFAULT_LIMIT_BYTES} if it is not set.
     *
     * @return the limit in bytes
     * @throws IllegalArgumentException if the property is set but not a valid size
     */
    public static long defaultLimitBytes() {
        String value = Settings.value(LIMIT_PROPERTY);
        if (value == null) {
            return DEFAULT_LIMIT_BYTES;
        }
        try {
            return checkLimit(parseBytes(value));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(LIMIT_PROPERTY + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks a limit.
     *
     * @param bytes the limit in bytes
     * @return {@code bytes}
     * @throws IllegalArgumentException if it is below {@link #MIN_LIMIT_BYTES}
     */
    public static long checkLimit(long bytes) {
        if (bytes < MIN_LIMIT_BYTES) {
            throw new IllegalArgumentException("workspace limit: expected >= " + MIN_LIMIT_BYTES + " bytes, got "
                    + bytes);
        }
        return bytes;
    }

    /**
     * Parses a byte count: digits, optionally followed by {@code k}, {@code m} or {@code g} (binary units,
     * case-insensitive, an optional trailing {@code b} or {@code ib} allowed: {@code 256m}, {@code 256MiB}).
     *
     * @param text the size, e.g. {@code 256m}
     * @return the size in bytes
     * @throws IllegalArgumentException if the text is not such a size or overflows a long
     */
    public static long parseBytes(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ib")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        int shift = 0;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k': shift = 10; break;
                case 'm': shift = 20; break;
                case 'g': shift = 30; break;
                default: break;
            }
        }
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("expected a size such as 268435456, 256m or 1g, got \"" + text + "\"");
        }
        try {
            long v = Long.parseLong(digits);
            if (v > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return v << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a size that fits in a long, got \"" + text + "\"", e);
        }
    }
}
