package org.conv4j.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * The shape checks of every rank, in one place: the tensors' ({@link Tensor3D}, {@link Tensor4D}, {@link Tensor5D})
 * element counts and shape texts, and the check of a tensor against an expected shape (the operands and results of
 * the geometries, {@link Geometry}). A shape is the array of a tensor's dimensions, batch first; its text is
 * {@code [d0, d1, ...]}.
 */
final class Shapes {

    /** A tensor of any rank, as the checks see it. */
    interface Shaped {
        /** {@return a copy of the dimensions, batch first} */
        int[] shape();

        /** {@return the dimensions as text, {@code [d0, d1, ...]}} */
        String shapeString();
    }

    private Shapes() {
    }

    /**
     * The element count (the product of {@code dims}), after checking that every dimension is at least 1 and that
     * the product fits in an int.
     *
     * @throws IllegalArgumentException naming {@code what}, with the shape, if the check fails
     */
    static int checkedSize(String what, int... dims) {
        long size = 1;
        for (int d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException(what + ": expected every dimension >= 1, got " + text(dims));
            }
            size *= d;
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + ": expected at most " + Integer.MAX_VALUE + " elements, got "
                    + size + " for shape " + text(dims));
        }
        return (int) size;
    }

    /** {@return {@code dims} as text, {@code [d0, d1, ...]}} */
    static String text(long... dims) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(dims[i]);
        }
        return sb.append(']').toString();
    }

    /** {@return {@code dims} as text, {@code [d0, d1, ...]}} */
    static String text(int... dims) {
        return text(Arrays.stream(dims).asLongStream().toArray());
    }

    /**
     * Fails unless {@code tensor} is not null and has the shape {@code expected}; {@code whose} says what the
     * expected shape is ({@code "the forward output's "}, or empty).
     *
     * @return {@code tensor}
     * @throws NullPointerException naming {@code name} if {@code tensor} is null
     * @throws IllegalArgumentException {@code name: expected <whose>shape E, got A} if the shapes differ
     */
    static <T extends Shaped> T requireShape(String name, T tensor, String whose, int... expected) {
        Objects.requireNonNull(tensor, name + " must not be null");
        if (!Arrays.equals(tensor.shape(), expected)) {
            throw new IllegalArgumentException(name + ": expected " + whose + "shape " + text(expected) + ", got "
                    + tensor.shapeString());
        }
        return tensor;
    }
}
