package org.conv4j.spi;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvShape;

import java.util.Objects;

/**
 * What every backend's prepared pass holds, whatever it lays out ahead: the backend it runs on, the validated
 * geometry it was prepared for, and whether it is closed. {@link AbstractPreparedConvolution} (forward) and
 * {@link AbstractPreparedBackward} (backward) build the calls of {@link org.conv4j.api.PreparedConvolution} and
 * {@link org.conv4j.api.PreparedBackward} on it; a backend's own prepared pass extends one of those and supplies only
 * what it computes and what it frees.
 *
 * <p>Thread-safety: the state is guarded by this object; {@link #close()} and every call of the subclasses are
 * {@code synchronized} on it, so the calls of one prepared pass run one at a time, from any thread.
 *
 * @param <B> the backend's type, for the subclass's own use of it
 */
public abstract class AbstractPrepared<B extends ConvBackend> {

    /** The backend the calls run on. */
    protected final B backend;
    /** The validated geometry every call must fit. */
    protected final ConvShape shape;
    /** What it is, for the message of a call after {@link #close()} ("prepared convolution"). */
    private final String what;
    private boolean closed;

    /**
     * For subclasses.
     *
     * @param backend the backend
     * @param shape the validated geometry
     * @param what what it is, for messages
     */
    protected AbstractPrepared(B backend, ConvShape shape, String what) {
        this.backend = Objects.requireNonNull(backend, "backend must not be null");
        this.shape = Objects.requireNonNull(shape, "shape must not be null");
        this.what = what;
    }

    /**
     * The geometry.
     *
     * @return the validated geometry the pass was prepared for
     */
    public final ConvShape shape() {
        return shape;
    }

    /**
     * The backend.
     *
     * @return the backend the calls run on
     */
    public final ConvBackend backend() {
        return backend;
    }

    /**
     * Closes the pass: {@link #release()} frees what it holds, and later calls fail. Closing twice does nothing.
     */
    public final synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        release();
    }

    /** Frees what the subclass holds; called once, by the first {@link #close()}, with this object's lock held. */
    protected abstract void release();

    /**
     * Fails if closed. Subclasses call it first in every call, with this object's lock held.
     *
     * @throws IllegalStateException if closed
     */
    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException(what + " " + shape + ": closed");
        }
    }
}
