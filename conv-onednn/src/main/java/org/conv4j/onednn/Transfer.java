package org.conv4j.onednn;

import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.reorder;

/**
 * One tensor's way between conv4j's plain layout (NCHW / OIHW / GOIHW) and the layout a primitive chose
 * for it (with format tag {@code any}, usually a channel-blocked one such as {@code nChw16c}): both
 * descriptors and the reorder primitive between them, or no reorder where the primitive chose the plain
 * layout itself.
 *
 * <p>Immutable after construction and used read-only by concurrent calls: the reorder runs with a
 * user-provided scratchpad ({@link Dnnl#userScratchpad()}), so it keeps no per-call state.
 */
final class Transfer {

    /** conv4j's layout. */
    final memory.desc plain;
    /** The primitive's layout. */
    final memory.desc inner;
    /** {@code plain -> inner} for inputs, {@code inner -> plain} for outputs; null if the layouts are equal. */
    final reorder reorder;
    /** The reorder's scratchpad (null if it needs none). */
    final memory.desc scratchpad;

    private Transfer(memory.desc plain, memory.desc inner, boolean toInner) {
        this.plain = plain;
        this.inner = inner;
        if (plain.equals(inner)) {
            reorder = null;
            scratchpad = null;
        } else {
            reorder.primitive_desc pd = toInner
                    ? new reorder.primitive_desc(Dnnl.engine(), plain, Dnnl.engine(), inner, Dnnl.userScratchpad(), false)
                    : new reorder.primitive_desc(Dnnl.engine(), inner, Dnnl.engine(), plain, Dnnl.userScratchpad(), false);
            reorder = new reorder(pd);
            memory.desc sp = pd.scratchpad_desc();
            scratchpad = sp.get_size() > 0 ? sp : null;
        }
    }

    /** For an operand: conv4j's data is copied into {@code plain} and reordered into {@code inner}. */
    static Transfer in(memory.desc plain, memory.desc inner) {
        return new Transfer(plain, inner, true);
    }

    /** For a result: the primitive writes {@code inner}, which is reordered into {@code plain} and copied out. */
    static Transfer out(memory.desc inner, memory.desc plain) {
        return new Transfer(plain, inner, false);
    }

    boolean identity() {
        return reorder == null;
    }

    /** Bytes of the primitive's layout (may exceed the plain size: channel blocks are padded). */
    long innerBytes() {
        return inner.get_size();
    }

    /** Bytes of the plain staging copy this transfer needs (0 when the layouts are equal). */
    long stagingBytes() {
        return identity() ? 0 : plain.get_size();
    }

    long scratchpadBytes() {
        return scratchpad == null ? 0 : scratchpad.get_size();
    }
}
