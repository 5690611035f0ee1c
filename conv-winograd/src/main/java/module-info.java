/**
 * The {@code winograd} backend: Winograd's F(m, 3x3) with oneDNN's batched matmul (or OpenBLAS) for the products;
 * the weight gradient on oneDNN; other shapes through im2col.
 */
module org.conv4j.winograd {
    requires transitive org.conv4j.api;
    requires transitive org.conv4j.openblas;
    requires org.conv4j.im2col;
    requires org.conv4j.onednn;
    // the stage profile (WinogradEngine.Profile) splits a fused block's time by each worker's CPU time
    requires java.management;

    exports org.conv4j.winograd;

    provides org.conv4j.api.ConvBackend with org.conv4j.winograd.WinogradBackend;
}
