/**
 * What the native backends share around their native libraries: the native process environment, idle pools
 * counted against the workspace budget, aligned native float blocks and raw pointers. Named after its package: {@code native} is a Java keyword, so no module
 * name can end with it.
 */
module org.conv4j.nativeutil {
    requires transitive org.conv4j.api;
    requires org.bytedeco.javacpp;

    exports org.conv4j.nativeutil;
}
