package org.conv4j.onednn;

import java.util.ArrayList;
import java.util.List;
import org.conv4j.nativeutil.NativeFloatBlock;
import org.conv4j.spi.WorkspaceBudget;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;

import java.util.IdentityHashMap;
import java.util.Map;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;

/**
 * What one call needs besides the cached primitives: a oneDNN stream and native buffers in numbered slots
 * (staging copies of conv4j's arrays, the primitives' own layouts, the scratchpad). Owned by one call at a
 * time ({@link ContextPool}), so two calls in flight never share a buffer, a scratchpad or a stream; reused
 * by the next call, so the buffers are allocated (and their pages first touched) once, not per call.
 *
 * <p>Buffers grow to the largest size a slot has needed, in whole pages; {@link #reserve} keeps their sum
 * within the workspace limit ({@link OnednnBackend}) or the needs of the last call, whichever is larger.
 */
final class Context implements AutoCloseable {

    /** Buffer sizes are whole pages of 4 KiB ({@link #roundUp}). */
    static final long GRANULE = 4L << 10;

    /** The number of slots; each pass numbers its buffers below {@link #SCRATCHPAD}. */
    static final int SLOTS = 15;

    /** The slot of the scratchpad every primitive of a call uses in turn (they run one after another). */
    static final int SCRATCHPAD = SLOTS - 1;

    /**
     * Memory objects kept per slot or role before the oldest are dropped: more distinct layouts than a few
     * networks' plans use through one context.
     */
    static final int MAX_MEMORIES = 64;

    /**
     * The roles of {@link #userMemory}: the caller's input, output (or {@code dL/dy}) and {@code dL/dx}. A call uses
     * one memory object per role, so that two tensors of one layout and shape (an input and its gradient) never share
     * one.
     */
    static final int USER_SRC = 0;
    static final int USER_DST = 1;
    static final int USER_DIFF_SRC = 2;
    private static final int USER_ROLES = 3;

    final stream stream;
    private final NativeFloatBlock[] buffers = new NativeFloatBlock[SLOTS];
    /**
     * oneDNN memory objects over each slot's buffer, by layout, kept while the buffer stays. Creating one is not
     * free: JavaCPP checks the process's resident memory (a read of /proc) at every allocation it tracks, a few
     * microseconds, and a call used a dozen of them. Kept, a repeated call allocates none.
     */
    @SuppressWarnings("unchecked")
    private final Map<memory.desc, memory>[] slotMemories = new Map[SLOTS];
    /**
     * The argument map of each primitive run through this context, kept for the same reason: a new map is a tracked
     * JavaCPP allocation (about 5 us with its release). Reusing one is right because a primitive is always run with
     * the same argument keys (its descriptor fixes whether it has a bias and a scratchpad), so each run's puts replace
     * every entry the last run left; the map's own references to old memory objects keep them alive until then, and
     * they are never executed. Keyed by identity: a JavaCPP pointer's {@code equals} compares addresses, and a closed
     * primitive's address can be a new one's.
     */
    private final Map<primitive, IntMemoryMap> argMaps = new IdentityHashMap<>();
    /**
     * What {@link #inKept} last brought into each slot: the transfer, and the buffers that then held its result and
     * its plain floats (the slot's, and the staging slot's unless the transfer is an identity); null where the slot
     * holds nothing known. Anything else that writes the slot forgets it; a buffer replaced since no longer matches.
     */
    private final Transfer[] keptTransfer = new Transfer[SLOTS];
    private final NativeFloatBlock[] keptInner = new NativeFloatBlock[SLOTS];
    private final NativeFloatBlock[] keptPlain = new NativeFloatBlock[SLOTS];

    /** Memory objects over callers' native memory, by role and layout; each call sets their data handle. */
    @SuppressWarnings("unchecked")
    private final Map<memory.desc, memory>[] userMemories = new Map[USER_ROLES];

    Context() {
        stream = new stream(Dnnl.engine());
        for (int i = 0; i < SLOTS; i++) {
            slotMemories[i] = new IdentityHashMap<>();
        }
        for (int role = 0; role < USER_ROLES; role++) {
            userMemories[role] = new IdentityHashMap<>();
        }
    }

    /** The buffer of {@code slot}, grown to at least {@code bytes} (contents are lost when it grows). */
    NativeFloatBlock buffer(int slot, long bytes) {
        NativeFloatBlock b = buffers[slot];
        if (b == null || b.capacity() < bytes) {
            if (b != null) {
                dropMemories(slotMemories[slot]); // they point into the old buffer
                b.close();
                buffers[slot] = null;
            }
            b = new NativeFloatBlock(roundUp(bytes));
            buffers[slot] = b;
        }
        return b;
    }

    /**
     * Makes every slot at least as large as {@code slotBytes[slot]}, before a part of a call starts: a slot
     * never grows while memory objects of the part still point into it. If the buffers then hold more than
     * {@code limitBytes} (left larger by earlier calls of other shapes), the ones larger than this part needs
     * are cut to its size, so an idle context never holds more than the limit or its last part's needs.
     */
    void reserve(long[] slotBytes, long limitBytes) {
        long needed = 0;
        for (int slot = 0; slot < SLOTS; slot++) {
            needed += slotBytes[slot];
            if (slotBytes[slot] > 0) {
                buffer(slot, slotBytes[slot]);
            }
        }
        if (heldBytes() <= Math.max(limitBytes, needed)) {
            return;
        }
        for (int slot = 0; slot < SLOTS; slot++) {
            if (buffers[slot] != null && buffers[slot].capacity() > slotBytes[slot]) {
                dropMemories(slotMemories[slot]);
                buffers[slot].close();
                buffers[slot] = slotBytes[slot] > 0 ? new NativeFloatBlock(slotBytes[slot]) : null;
            }
        }
    }

    /** {@code bytes} rounded up to a whole number of {@link #GRANULE}s (at least one). */
    static long roundUp(long bytes) {
        return Math.max(GRANULE, (bytes + GRANULE - 1) / GRANULE * GRANULE);
    }

    /** Rounds every non-zero entry of {@code slotBytes} up to whole granules, in place; returns their sum. */
    static long roundSlots(long[] slotBytes) {
        long sum = 0;
        for (int slot = 0; slot < slotBytes.length; slot++) {
            slotBytes[slot] = slotBytes[slot] == 0 ? 0 : roundUp(slotBytes[slot]);
            sum += slotBytes[slot];
        }
        return sum;
    }

    /** A oneDNN memory object of layout {@code desc} over the buffer of {@code slot} (valid while it stays). */
    memory memory(memory.desc desc, int slot) {
        if (keptTransfer[slot] != null && keptTransfer[slot].inner != desc) {
            forget(slot); // another layout over the slot: it may be written
        }
        NativeFloatBlock b = buffer(slot, desc.get_size());
        Map<memory.desc, memory> kept = slotMemories[slot];
        memory m = kept.get(desc);
        if (m == null) {
            if (kept.size() >= MAX_MEMORIES) {
                dropMemories(kept);
            }
            m = new memory(desc, Dnnl.engine(), b.pointer());
            kept.put(desc, m);
        }
        return m;
    }

    /**
     * A oneDNN memory object of layout {@code desc} over the caller's native memory at {@code address}, as input or
     * output ({@code role}, so that an input and an output of one layout never share an object): the one kept for
     * the role and layout with its data handle set to {@code address}. Valid for the call; the caller keeps that
     * memory pinned for it.
     */
    memory userMemory(memory.desc desc, Pointer address, int role) {
        Map<memory.desc, memory> kept = userMemories[role];
        memory m = kept.get(desc);
        if (m == null) {
            if (kept.size() >= MAX_MEMORIES) {
                dropMemories(kept);
            }
            m = new memory(desc, Dnnl.engine(), address);
            kept.put(desc, m);
        } else {
            m.set_data_handle(address);
        }
        return m;
    }

    private static void dropMemories(Map<memory.desc, memory> kept) {
        for (memory m : kept.values()) {
            m.close();
        }
        kept.clear();
    }

    /** Copies {@code length} floats of {@code src} into the buffer of {@code slot}, returning it as {@code desc}. */
    memory load(float[] src, int offset, int length, memory.desc desc, int slot) {
        forget(slot);
        buffer(slot, Math.max(desc.get_size(), 4L * length)).put(src, offset, length);
        return memory(desc, slot);
    }

    /** Runs {@code p} with {@code args} (and the scratchpad slot as {@code scratchpad}, if not null). */
    /**
     * The argument map to fill for a run of {@code p} on this context: the one kept for {@code p}, whose entries the
     * run's puts replace, or a new one.
     */
    IntMemoryMap args(primitive p) {
        IntMemoryMap args = argMaps.get(p);
        if (args == null) {
            if (argMaps.size() >= MAX_MEMORIES) {
                closeArgMaps();
            }
            args = new IntMemoryMap();
            argMaps.put(p, args);
        }
        return args;
    }

    private void closeArgMaps() {
        for (IntMemoryMap m : argMaps.values()) {
            m.close();
        }
        argMaps.clear();
    }

    void execute(primitive p, IntMemoryMap args, memory.desc scratchpad) {
        if (scratchpad != null) {
            args.put(DNNL_ARG_SCRATCHPAD, memory(scratchpad, SCRATCHPAD));
        }
        p.execute(stream, args);
        stream._wait();
    }

    /** Runs the reorder of {@code t} from {@code from} to {@code to}. */
    void reorder(Transfer t, memory from, memory to) {
        IntMemoryMap args = args(t.reorder);
        args.put(DNNL_ARG_FROM, from);
        args.put(DNNL_ARG_TO, to);
        execute(t.reorder, args, t.scratchpad);
    }

    /**
     * Brings {@code length} floats of {@code src} into the primitive's layout of {@code t}, in the buffer of
     * {@code slot}: copied there directly if the layouts are equal, else copied to {@code stage} and
     * reordered.
     */
    memory in(Transfer t, float[] src, int offset, int length, int stage, int slot) {
        forget(slot);
        if (t.identity()) {
            return load(src, offset, length, t.inner, slot);
        }
        memory plain = load(src, offset, length, t.plain, stage);
        memory inner = memory(t.inner, slot);
        reorder(t, plain, inner);
        return inner;
    }

    /**
     * As {@link #in} for all of {@code src}, skipped where the slot still holds what the same transfer brought in
     * from equal floats (bit for bit, but any NaN equals any NaN): the weights of a repeated call, which would be
     * copied and reordered again to the same bytes. The plain floats the last transfer copied are still in its
     * staging slot (in the slot itself for an identity transfer), so the comparison reads them and {@code src} once,
     * at memory speed, where the transfer copies, reorders and writes; a call whose weights differ pays only the
     * comparison up to the first difference. Both slots must be ones that only this method writes, so that the bytes
     * they hold are still the transfer's.
     */
    memory inKept(Transfer t, float[] src, int stage, int slot) {
        int plain = t.identity() ? slot : stage;
        if (keptTransfer[slot] == t && keptInner[slot] == buffers[slot] && keptPlain[slot] == buffers[plain]
                && buffers[plain].holds(src)) {
            return memory(t.inner, slot);
        }
        memory m = in(t, src, 0, src.length, stage, slot);
        keptTransfer[slot] = t;
        keptInner[slot] = buffers[slot];
        keptPlain[slot] = buffers[plain];
        return m;
    }

    /**
     * All of {@code src} into the primitive's layout in {@code slot}: as {@link #inKept} where {@code keep} (a facade
     * call, which cannot know whether the weights changed), else as {@link #in} (a prepared pass, told when they
     * change).
     */
    memory inWhole(Transfer t, float[] src, int stage, int slot, boolean keep) {
        return keep ? inKept(t, src, stage, slot) : in(t, src, 0, src.length, stage, slot);
    }

    private void forget(int slot) {
        keptTransfer[slot] = null;
        keptInner[slot] = null;
        keptPlain[slot] = null;
    }

    /**
     * Copies the result {@code inner} (in the buffer of {@code slot}, layout of {@code t}) to {@code dst} at
     * {@code offset}: directly if the layouts are equal, else reordered into {@code stage} first.
     */
    void out(Transfer t, memory inner, int slot, int stage, float[] dst, int offset, int length) {
        if (t.identity()) {
            buffers[slot].get(dst, offset, length);
            return;
        }
        memory plain = memory(t.plain, stage);
        reorder(t, inner, plain);
        buffers[stage].get(dst, offset, length);
    }

    /**
     * The grants that cover the buffers beyond what the running call was granted (added by {@link
     * ContextPool#acquire(WorkspaceBudget.Grant)} and {@link #keep}), returned with the call's grant by {@link
     * ContextPool#release(Context, WorkspaceBudget.Grant)}.
     */
    private final List<WorkspaceBudget.Grant> kept = new ArrayList<>();

    void keep(WorkspaceBudget.Grant grant) {
        kept.add(grant);
    }

    /** {@return the grants of {@link #keep}, now the caller's, and none kept any more} */
    List<WorkspaceBudget.Grant> takeKept() {
        List<WorkspaceBudget.Grant> g = new ArrayList<>(kept);
        kept.clear();
        return g;
    }

    /**
     * The bytes this context's buffers may hold during a call granted {@code grantBytes}: the grant and the kept
     * grants ({@link #keep}), so that buffers left larger by an earlier call of another layer stay allocated (and
     * paged in) where the budget counts them, rather than being freed and allocated again layer after layer.
     */
    long limitBytes(long grantBytes) {
        long sum = grantBytes;
        for (WorkspaceBudget.Grant g : kept) {
            sum += g.bytes();
        }
        return sum;
    }

    /** The bytes the buffers grow by if {@link #reserve} is called with {@code slotBytes}. */
    long growthFor(long[] slotBytes) {
        long growth = 0;
        for (int slot = 0; slot < SLOTS; slot++) {
            long have = buffers[slot] == null ? 0 : buffers[slot].capacity();
            if (slotBytes[slot] > have) {
                growth += roundUp(slotBytes[slot]) - have;
            }
        }
        return growth;
    }

    /** Bytes held by the buffers. */
    long heldBytes() {
        long sum = 0;
        for (NativeFloatBlock b : buffers) {
            sum += b == null ? 0 : b.capacity();
        }
        return sum;
    }

    @Override
    public void close() {
        closeArgMaps();
        for (Map<memory.desc, memory> kept : userMemories) {
            dropMemories(kept);
        }
        for (int i = 0; i < SLOTS; i++) {
            dropMemories(slotMemories[i]);
            if (buffers[i] != null) {
                buffers[i].close();
                buffers[i] = null;
            }
        }
        stream.close();
    }
}
