/**
 * Shared ND4J/OpenBLAS support for conv4j's GEMM backends ({@code im2col}, {@code strided}):
 * <ul>
 *   <li>{@link org.conv4j.nd4j.OpenBlasSetup}: loads OpenBLAS with the fastest core type this CPU can run,
 *       without environment variables or flags (see docs/im2col.md, "OpenBLAS");</li>
 *   <li>{@link org.conv4j.nd4j.Gemm}: row-major {@code sgemm} on {@link org.conv4j.nd4j.NativeFloats}
 *       (off-heap, reusable through {@link org.conv4j.nd4j.NativeBufferPool}) or on Java arrays;</li>
 *   <li>the workspace limit policy is {@link org.conv4j.api.Workspace}, shared with the other backends;</li>
 *   <li>{@link org.conv4j.nd4j.Nd4jInterop}: {@code INDArray} to {@code Tensor4D} and back.</li>
 * </ul>
 */
package org.conv4j.nd4j;
