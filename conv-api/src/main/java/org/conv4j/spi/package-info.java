/**
 * What a backend author extends and calls, beside the {@link org.conv4j.api.ConvBackend} interface itself: the base
 * class {@link org.conv4j.spi.AbstractConvBackend} (validation, conversions at the edge, padding modes, transposed
 * passes and the bias gradient done once for every backend), the time models behind the estimates
 * ({@link org.conv4j.spi.CostProfile}, {@link org.conv4j.spi.CostModel}, {@link org.conv4j.spi.CpuInfo}), the
 * process-wide workspace budget ({@link org.conv4j.spi.WorkspaceBudget}; the per-call limit a user sets is
 * {@link org.conv4j.api.Workspace}) and the idle pools it counts ({@link org.conv4j.spi.BudgetedIdlePool}: the GEMM
 * backends' buffers, oneDNN's contexts, freed native tensor memory), prepared-pass support ({@link org.conv4j.spi.PreparedCalls},
 * {@link org.conv4j.spi.PreparedBackwardCalls}) and small utilities the backends share
 * ({@link org.conv4j.spi.LruCache}, {@link org.conv4j.spi.ParallelChunks}).
 *
 * <p>Used by every conv4j backend module, by {@code conv-openblas} (the GEMM backends' base), by the conformance kit
 * and by the benchmarks (which fit and read the cost profile). An application that only runs convolutions does not
 * need it.
 */
package org.conv4j.spi;
