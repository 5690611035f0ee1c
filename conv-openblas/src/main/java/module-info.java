/**
 * Shared support for the GEMM backends: OpenBLAS through JavaCPP, set up for the CPU, their base class and sgemm on
 * pooled native buffers. On the module path JavaCPP also needs the native modules of the platform in the module
 * graph ({@code --add-modules org.bytedeco.javacpp.linux.x86_64,org.bytedeco.openblas.linux.x86_64}, or
 * {@code ALL-MODULE-PATH}): no module requires them, as the platform is chosen by the build, not here.
 */
module org.conv4j.openblas {
    requires transitive org.conv4j.api;
    requires transitive org.bytedeco.openblas;
    requires org.conv4j.nativeutil;

    exports org.conv4j.openblas;
}
