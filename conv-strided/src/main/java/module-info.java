/** The {@code strided} backend: a stride-view of the padded input laid out for OpenBLAS GEMM. */
module org.conv4j.strided {
    requires transitive org.conv4j.api;
    requires transitive org.conv4j.openblas;

    exports org.conv4j.strided;

    provides org.conv4j.api.ConvBackend with org.conv4j.strided.StridedBackend;
}
