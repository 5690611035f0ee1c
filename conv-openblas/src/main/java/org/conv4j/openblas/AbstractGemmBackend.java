package org.conv4j.openblas;

import org.conv4j.api.AbstractConvBackend;
import org.conv4j.api.Workspace;
import org.conv4j.api.WorkspaceBudget;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;

/**
 * The part the GEMM backends ({@code im2col}, {@code strided}) share: a workspace limit per call, checked once
 * ({@link Workspace#checkLimit}), one process-wide pool of native workspaces counted against the process-wide
 * budget ({@link WorkspaceBudget#global()}; each concurrent call gets its own buffer, a finished call's is
 * reused by the next), and OpenBLAS set up ({@link OpenBlasSetup#ensureLoaded()}) before the first GEMM.
 * Subclasses differ only in how they lay out their operands.
 */
public abstract class AbstractGemmBackend extends AbstractConvBackend {

    /** The native workspaces of every GEMM backend, one idle buffer kept per processor. */
    private static final NativeBufferPool POOL = new NativeBufferPool(
            Math.max(1, Runtime.getRuntime().availableProcessors()), WorkspaceBudget.global());

    private final long workspaceBytes;

    /**
     * @throws IllegalArgumentException if {@code workspaceBytes} is below {@link Workspace#MIN_LIMIT_BYTES}
     */
    protected AbstractGemmBackend(long workspaceBytes) {
        this.workspaceBytes = Workspace.checkLimit(workspaceBytes);
        OpenBlasSetup.ensureLoaded();
    }

    /** The workspace limit of one call, in bytes. */
    public long workspaceBytes() {
        return workspaceBytes;
    }

    /**
     * Runs {@code work} on a plan and a pooled native workspace holding it: the plan for {@link #workspaceBytes()}
     * if the budget grants that much, else the plan for what it grants (smaller pieces), at worst the plan for
     * 0 bytes (the smallest unit of work). See {@link NativeBufferPool#lease}.
     *
     * @param planWithin the plan that fits a number of bytes
     * @param floatsOf   the floats of workspace a plan needs
     */
    protected <P> void withWorkspace(LongFunction<P> planWithin, ToLongFunction<P> floatsOf,
                                     BiConsumer<P, NativeFloats> work) {
        NativeBufferPool.Lease<P> lease = POOL.lease(planWithin, floatsOf, workspaceBytes);
        try {
            work.accept(lease.plan(), lease.buffer());
        } finally {
            POOL.release(lease);
        }
    }

    /** Runs {@code work} on a pooled native workspace of at least {@code floats} floats, granted whole by the budget. */
    protected void withWorkspace(long floats, Consumer<NativeFloats> work) {
        withWorkspace(bytes -> floats, f -> f, (f, buffer) -> work.accept(buffer));
    }
}
