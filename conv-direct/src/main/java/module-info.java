/** The {@code direct} backend: direct loops in plain Java that C2 vectorises. */
module org.conv4j.direct {
    requires transitive org.conv4j.api;

    exports org.conv4j.direct;

    provides org.conv4j.api.ConvBackend with org.conv4j.direct.DirectBackend;
}
