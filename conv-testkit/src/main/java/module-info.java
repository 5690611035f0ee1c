/**
 * The conformance kit every backend runs (JUnit 5 test classes to subclass) and the fuzz suite's parts.
 */
module org.conv4j.testkit {
    requires transitive org.conv4j.api;
    requires transitive org.junit.jupiter.api;

    exports org.conv4j.testkit;
}
