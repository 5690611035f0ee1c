/** The {@code im2col} backend: im2col (vol2col in 3D) and one OpenBLAS GEMM per group. */
module org.conv4j.im2col {
    requires transitive org.conv4j.api;
    requires transitive org.conv4j.openblas;

    exports org.conv4j.im2col;

    provides org.conv4j.api.ConvBackend with org.conv4j.im2col.Im2colBackend;
}
