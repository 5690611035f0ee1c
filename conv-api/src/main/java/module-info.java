/**
 * conv4j's API: the user package {@link org.conv4j.api} (tensors, parameters, the {@code Conv1d}, {@code Conv2d}
 * and {@code Conv3d} facades, and the {@link org.conv4j.api.ConvBackend} service type) and the backend authors'
 * package {@link org.conv4j.spi}. The runtime behind the facades, {@code org.conv4j.internal}, is not exported.
 *
 * <p>Backends are found with {@link java.util.ServiceLoader}: on the module path, a backend module's
 * {@code provides org.conv4j.api.ConvBackend with ...}; on the class path, its
 * {@code META-INF/services/org.conv4j.api.ConvBackend} file. Every conv4j backend module has both.
 */
module org.conv4j.api {
    exports org.conv4j.api;
    exports org.conv4j.spi;

    // Tensor4D frees native memory at once through sun.misc.Unsafe.invokeCleaner when it can (else the JDK's
    // cleaner frees it later): this keeps jdk.unsupported in the module graph of an application on the module path.
    requires jdk.unsupported;

    uses org.conv4j.api.ConvBackend;
}
