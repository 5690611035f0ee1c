package org.conv4j.onednn;

import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Loader;

/**
 * oneDNN's CPU engine, created once, and the few descriptor helpers every plan uses.
 *
 * <p>The native libraries (libdnnl with its own libgomp, and the OpenCL loader the preset links against)
 * are loaded on first use, in {@link Holder}'s class initialisation. A failure (another OS or CPU, a missing
 * native jar) is kept and reported by {@link #engine()} as an {@link UnsupportedOperationException}, so that
 * it never surfaces as an error in the initialisation of a class anything else uses.
 *
 * <p>The engine is thread-safe: oneDNN allows creating primitives and memory objects on one engine from
 * several threads at once. Streams are not shared: each {@link Context} owns one.
 */
final class Dnnl {

    private Dnnl() {
    }

    /** Loads the natives and creates the engine once (class initialisation is thread-safe). */
    private static final class Holder {
        static final engine ENGINE;
        static final Throwable FAILURE;

        static {
            engine e = null;
            Throwable failure = null;
            try {
                OpenMpSettings.apply();
                Loader.load(dnnl.class);
                e = new engine(engine.kind.cpu, 0);
            } catch (LinkageError | RuntimeException t) {
                failure = t;
            }
            ENGINE = e;
            FAILURE = failure;
        }
    }

    /**
     * The CPU engine.
     *
     * @throws UnsupportedOperationException if oneDNN's native library cannot be loaded on this platform
     */
    static engine engine() {
        try {
            if (Holder.FAILURE == null) {
                return Holder.ENGINE;
            }
            if (Holder.FAILURE instanceof IllegalArgumentException bad) {
                throw new IllegalArgumentException(bad.getMessage(), bad); // an invalid conv4j.onednn.* property
            }
            throw unavailable(Holder.FAILURE);
        } catch (LinkageError e) {
            // Holder itself could not be loaded (e.g. the JavaCPP classes are missing)
            throw unavailable(e);
        }
    }

    private static UnsupportedOperationException unavailable(Throwable cause) {
        return new UnsupportedOperationException("onednn: oneDNN's native library could not be loaded on "
                + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
                + " (conv-onednn brings the linux-x86_64 natives only): " + cause, cause);
    }

    /** A float32 memory descriptor of {@code dims} in layout {@code tag} ({@code any} lets the primitive choose). */
    static memory.desc desc(memory.format_tag tag, long... dims) {
        return new memory.desc(dims, memory.data_type.f32, tag);
    }

    /**
     * {@code d}, after checking that it is the plain layout of a vector of {@code length} floats (bias layouts,
     * which conv4j reads and writes as they are; oneDNN has no other layout for one dimension).
     */
    static memory.desc requirePlain(memory.desc d, int length) {
        if (!d.equals(desc(memory.format_tag.x, length))) {
            throw new IllegalStateException("onednn: expected a plain bias layout of " + length + " floats");
        }
        return d;
    }

    /**
     * Attributes with a user-provided scratchpad: the primitive then keeps no mutable state of its own and may
     * run in several threads at once, each call passing its own scratchpad (oneDNN's rule for thread-safe
     * execution; with the default library-managed scratchpad, one global buffer would be shared).
     */
    static primitive_attr userScratchpad() {
        primitive_attr attr = new primitive_attr();
        attr.set_scratchpad_mode(dnnl.scratchpad_mode.user);
        return attr;
    }
}
