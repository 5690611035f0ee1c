package org.conv4j.internal;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.AbstractConvBackend;

/**
 * The bridge between conv-api's packages for the few members that must not be public: the facade
 * ({@code org.conv4j.api}) and this package call {@link AbstractConvBackend}'s entry points that trust a geometry
 * validated already, and this package builds a {@link ConvShape} from sizes it has checked itself. Each class that
 * owns such members registers an implementation here from its static initialiser ({@link #setBackends},
 * {@link #setShapes}), as the JDK's own packages reach each other's package-private members
 * ({@code jdk.internal.access.SharedSecrets}).
 *
 * <p>Why a bridge and not public methods: these members skip validation. A backend's {@code forward} on a geometry
 * that does not belong to its tensors would have a native kernel read and write out of bounds, and a
 * {@code ConvShape} built from unchecked sizes would carry that error to every backend. As public members of the
 * exported packages every user and backend author would see them (in every backend's Javadoc too) and could call
 * them; behind this class they stay where they were before the packages were split: reachable by conv-api's own
 * code only. On the module path this package is not exported, so no other module can call {@link #backends()} or
 * {@link #shapes()}; on the class path they are as reachable as any public class, and this class says they are
 * internal.
 */
public final class Access {

    private static final Half<Backends> BACKENDS = new Half<>("Backends", AbstractConvBackend.class);
    private static final Half<Shapes> SHAPES = new Half<>("Shapes", ConvShape.class);
    private static final Half<Tensors> TENSORS = new Half<>("Tensors", Tensor4D.class);

    private Access() {
    }

    /**
     * What the facade calls on a backend built on {@link AbstractConvBackend}, besides its public entry points:
     * implemented by {@code AbstractConvBackend} over its package-private and protected members of the same names.
     */
    public interface Backends {

        /**
         * {@code b}'s forward pass into {@code output} on the geometry {@code s}, validated from these tensors
         * already; operands other than heap NCHW are converted at the edge ({@link LayoutEdge}) or taken in place.
         *
         * @param b the backend
         * @param s the geometry, validated from these tensors
         * @param input the input
         * @param weight the weight
         * @param bias the bias, or null
         * @param output the output, of the shape {@code s} says
         * @return {@code output}
         */
        Tensor4D validatedForward(AbstractConvBackend b, ConvShape s, Tensor4D input, Tensor4D weight, float[] bias,
                                  Tensor4D output);

        /**
         * {@code b}'s backward pass on the geometry {@code s}, validated from these tensors already.
         *
         * @param b the backend
         * @param s the geometry, validated from these tensors
         * @param input the input
         * @param weight the weight
         * @param gradOutput {@code dL/dy}
         * @return the three gradients
         */
        ConvGradients validatedBackward(AbstractConvBackend b, ConvShape s, Tensor4D input, Tensor4D weight,
                                        Tensor4D gradOutput);

        /**
         * Whether {@code b}'s forward pass on {@code s} reads {@code input} and writes {@code output} as they are,
         * with no conversion at the edge.
         *
         * @param b the backend
         * @param s the validated geometry
         * @param input the input, as the caller gave it
         * @param output the output, as it will be written
         * @return whether it takes them in place
         */
        boolean takesInPlace(AbstractConvBackend b, ConvShape s, Tensor4D input, Tensor4D output);

        /**
         * {@code b}'s {@code inPlaceSavingsNanos}: what its heap estimate spends on staging that an in-place call
         * skips.
         *
         * @param b the backend
         * @param s the validated geometry
         * @param layout the layout of the native input and output
         * @return the nanoseconds
         */
        double inPlaceSavingsNanos(AbstractConvBackend b, ConvShape s, MemoryLayout layout);

        /**
         * {@code b}'s {@code backwardInPlaceSavingsNanos}: what its backward passes save against its heap estimate by
         * taking native activations of {@code layout} in place, or NaN if it converts them.
         *
         * @param b the backend
         * @param s the validated geometry
         * @param pass the backward pass
         * @param layout the layout of the native activations
         * @return the nanoseconds, or NaN
         */
        double backwardInPlaceSavingsNanos(AbstractConvBackend b, ConvShape s, ConvPass pass, MemoryLayout layout);

        /**
         * {@code b}'s input gradient alone on a geometry validated from these tensors, {@code dL/dx} in the storage
         * and layout of {@code input}.
         *
         * @param b the backend
         * @param s the geometry, validated from these tensors
         * @param input the input (only its form is used)
         * @param weight the weight
         * @param gradOutput {@code dL/dy}
         * @return {@code dL/dx}
         */
        Tensor4D validatedInputGradient(AbstractConvBackend b, ConvShape s, Tensor4D input, Tensor4D weight,
                                        Tensor4D gradOutput);

        /**
         * {@code b}'s weight gradient alone on a geometry validated from these tensors, {@code dL/dw} in the storage
         * and layout of {@code weight}.
         *
         * @param b the backend
         * @param s the geometry, validated from these tensors
         * @param input the input
         * @param weight the weight (only its form is used)
         * @param gradOutput {@code dL/dy}
         * @return {@code dL/dw}
         */
        Tensor4D validatedWeightGradient(AbstractConvBackend b, ConvShape s, Tensor4D input, Tensor4D weight,
                                         Tensor4D gradOutput);
    }

    /** What this package builds of {@link ConvShape} without validating again: implemented by {@code ConvShape}. */
    public interface Shapes {

        /**
         * A geometry derived from a checked one (the input padded beforehand, {@link ModePadding#inner}): input
         * {@code (batch, channels, h, w)}, {@code weight}, output {@code (batch, K, outH, outW)}; the caller has
         * checked that they fit together.
         *
         * @param params the parameters
         * @param batch the batch size
         * @param channels the input channels
         * @param h the input height
         * @param w the input width
         * @param weight the weight
         * @param outH the output height
         * @param outW the output width
         * @return the geometry
         */
        ConvShape of(ConvParams params, int batch, int channels, int h, int w, Tensor4D weight, int outH, int outW);
    }

    /** What {@link Tensor4D} offers the backends' base class without making it public: results not zeroed first. */
    @FunctionalInterface
    public interface Tensors {
        /**
         * A native tensor whose every element its caller writes before anyone reads it: as
         * {@link Tensor4D#allocateNative}, but memory kept from a closed tensor is handed over as it is, not zeroed.
         *
         * @param layout the layout
         * @param n the batch size
         * @param c the channels
         * @param h the height
         * @param w the width
         * @return the tensor, its contents undefined
         */
        Tensor4D nativeToOverwrite(MemoryLayout layout, int n, int c, int h, int w);
    }

    /**
     * Registers {@link Tensor4D}'s half, once.
     *
     * @param t the implementation
     * @throws IllegalStateException if one is registered already
     */
    public static void setTensors(Tensors t) {
        TENSORS.set(t);
    }

    /**
     * What {@link Tensor4D} offers without making it public, registered when that class is initialised.
     *
     * @return {@code Tensor4D}'s half
     */
    public static Tensors tensors() {
        return TENSORS.get();
    }

    /**
     * Registers {@link AbstractConvBackend}'s half, once.
     *
     * @param b the implementation
     * @throws IllegalStateException if one is registered already
     */
    public static void setBackends(Backends b) {
        BACKENDS.set(b);
    }

    /**
     * Registers {@link ConvShape}'s half, once.
     *
     * @param s the implementation
     * @throws IllegalStateException if one is registered already
     */
    public static void setShapes(Shapes s) {
        SHAPES.set(s);
    }

    /**
     * The members of {@link AbstractConvBackend} the facade calls, registered when that class is initialised
     * (which a backend instance implies; else this initialises it).
     *
     * @return {@code AbstractConvBackend}'s half
     */
    public static Backends backends() {
        return BACKENDS.get();
    }

    /**
     * What builds a {@link ConvShape} from checked sizes, registered when that class is initialised.
     *
     * @return {@code ConvShape}'s half
     */
    public static Shapes shapes() {
        return SHAPES.get();
    }

    /**
     * One registered half: set once, from its owner's static initialiser; read after running that initialiser if it
     * has not run yet (a caller can reach this class before the owner is initialised).
     */
    private static final class Half<T> {
        private final String name;
        private final Class<?> owner;
        private volatile T value;

        Half(String name, Class<?> owner) {
            this.name = name;
            this.owner = owner;
        }

        synchronized void set(T v) {
            if (value != null) {
                throw new IllegalStateException("Access." + name + " is registered already");
            }
            value = v;
        }

        T get() {
            T v = value;
            if (v == null) {
                initialise(owner);
                v = value;
            }
            return v;
        }
    }

    /** Runs {@code c}'s static initialiser, which registers its half, if it has not run yet. */
    private static void initialise(Class<?> c) {
        try {
            Class.forName(c.getName(), true, c.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e); // c is loaded: its own class loader finds it
        }
    }
}
