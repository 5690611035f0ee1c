package org.conv4j.internal;

import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor3D;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;

/**
 * What {@link Tensor3D} and {@link Tensor5D} share: both keep their elements in a {@link Tensor4D} (of height 1, and
 * of height {@code D*H}) and differ from it only in the shape they show.
 */
public final class RankViews {

    private RankViews() {
    }

    /** Fails with {@code what: expected shape E, got A} unless the shapes match. */
    public static void requireSameShape(String what, boolean same, String expected, String actual) {
        if (!same) {
            throw new IllegalArgumentException(what + ": expected shape " + expected + ", got " + actual);
        }
    }

    /**
     * {@code storage}'s text ({@code Tensor4D[...] LAYOUT native [values]}) with the rank's type, shape and layout
     * names: the values are in the same order, as the storage is the same.
     */
    public static String toString(String type, String shape, Tensor4D storage, String channelsFirst,
                                  String channelsLast) {
        String s = storage.toString();
        String rest = s.substring(s.indexOf(']') + 1);
        if (!storage.isHeapNchw()) {
            rest = rest.replaceFirst(storage.layout().name(),
                    storage.layout() == MemoryLayout.NCHW ? channelsFirst : channelsLast);
        }
        return type + shape + rest;
    }
}
