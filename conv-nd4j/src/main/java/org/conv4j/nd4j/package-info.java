/**
 * ND4J support, for applications that hold their data in ND4J and for the benchmarks' ND4J peer:
 * <ul>
 *   <li>{@link org.conv4j.nd4j.Nd4jInterop}: {@code INDArray} to {@code Tensor4D} and back;</li>
 *   <li>{@link org.conv4j.nd4j.Nd4jStartupHook}: sets OpenBLAS up ({@code org.conv4j.openblas.OpenBlasSetup})
 *       when ND4J starts, so that ND4J used before any conv4j class still gets the right OpenBLAS core type.</li>
 * </ul>
 * The GEMM backends do not need this module; it brings in {@code nd4j-native} (about 91 MB).
 */
package org.conv4j.nd4j;
