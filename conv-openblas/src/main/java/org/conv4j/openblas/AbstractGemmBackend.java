package org.conv4j.openblas;

import org.conv4j.api.AbstractConvBackend;
import org.conv4j.api.Workspace;

import java.util.function.Consumer;

/**
 * The part the GEMM backends ({@code im2col}, {@code strided}) share: a workspace limit per call, checked once
 * ({@link Workspace#checkLimit}), a pool of native workspaces (each concurrent call gets its own, a finished
 * call's is reused by the next), and OpenBLAS set up ({@link OpenBlasSetup#ensureLoaded()}) before the first
 * GEMM. Subclasses differ only in how they lay out their operands.
 */
public abstract class AbstractGemmBackend extends AbstractConvBackend {

    private final long workspaceBytes;
    private final NativeBufferPool pool = new NativeBufferPool();

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

    /** Runs {@code work} on a pooled native workspace of at least {@code floats} floats ({@link NativeBufferPool#use}). */
    protected void withWorkspace(long floats, Consumer<NativeFloats> work) {
        pool.use(floats, work);
    }
}
