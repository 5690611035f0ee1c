/**
 * Small programs that use conv4j: image filtering, learning a kernel, LeNet-5, and the check that the modules work
 * on the module path. They require only the API: the backends join the module graph as providers of
 * {@code org.conv4j.api.ConvBackend}, which {@code org.conv4j.api} uses.
 */
module org.conv4j.examples {
    requires org.conv4j.api;
    requires java.desktop;
}
