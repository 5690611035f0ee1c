/**
 * The reference backend {@code naive}: plain loops, double accumulation. Found by {@link java.util.ServiceLoader}
 * through {@code provides} on the module path (and {@code META-INF/services} on the class path).
 */
module org.conv4j.naive {
    requires transitive org.conv4j.api;

    exports org.conv4j.naive;

    provides org.conv4j.api.ConvBackend with org.conv4j.naive.NaiveBackend;
}
