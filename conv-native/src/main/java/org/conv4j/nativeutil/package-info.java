/**
 * What conv4j's native backends (conv-openblas with the GEMM backends on it, conv-onednn) share around their native
 * libraries, in one place and without a native library of its own beyond JavaCPP's core, so that a user of one
 * native backend downloads none of the other's:
 * <ul>
 *   <li>{@link org.conv4j.nativeutil.NativeEnvironment}: the native process environment, written before a library
 *       loads and reads its settings from it ({@code OPENBLAS_CORETYPE}, {@code OMP_WAIT_POLICY}, ...);</li>
 *   <li>{@link org.conv4j.nativeutil.NativeFloatBlock}: aligned native memory for floats, which oneDNN's memory
 *       objects and OpenBLAS's {@code NativeFloats} use in place;</li>
 *   <li>{@link org.conv4j.nativeutil.NativePointers}: a pointer at a raw address or at an exported symbol.</li>
 * </ul>
 */
package org.conv4j.nativeutil;
