/**
 * OpenBLAS through JavaCPP for conv4j's GEMM backends ({@code im2col}, {@code strided}); needs neither ND4J
 * nor any other library than {@code org.bytedeco:openblas}, {@code org.bytedeco:javacpp} and conv-native:
 * <ul>
 *   <li>{@link org.conv4j.openblas.OpenBlasSetup}: loads OpenBLAS with the fastest core type this CPU can run,
 *       without environment variables or flags (see docs/im2col.md, "OpenBLAS"), helped by
 *       {@link org.conv4j.openblas.CpuFeatures} and conv-native's
 *       {@link org.conv4j.nativeutil.NativeEnvironment};</li>
 *   <li>{@link org.conv4j.openblas.Gemm}: row-major {@code sgemm} on {@link org.conv4j.openblas.NativeFloats}
 *       (off-heap, reusable through {@link org.conv4j.openblas.NativeBufferPool}) or on Java arrays.</li>
 * </ul>
 * Every class that calls into OpenBLAS calls {@link org.conv4j.openblas.OpenBlasSetup#ensureLoaded()} first.
 */
package org.conv4j.openblas;
