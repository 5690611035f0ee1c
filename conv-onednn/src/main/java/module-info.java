/**
 * The {@code onednn} backend: oneDNN's convolution primitives through JavaCPP. On the module path JavaCPP also needs
 * the native modules of the platform in the module graph ({@code --add-modules org.bytedeco.javacpp.linux.x86_64,
 * org.bytedeco.dnnl.linux.x86_64,org.bytedeco.opencl.linux.x86_64}, or {@code ALL-MODULE-PATH}).
 */
module org.conv4j.onednn {
    requires transitive org.conv4j.api;
    requires org.bytedeco.dnnl;
    requires org.conv4j.nativeutil;
    // the dnnl preset loads OpenCL's preset even on CPU (without it: ClassNotFoundException
    // org.bytedeco.opencl.presets.OpenCL), and org.bytedeco.dnnl does not require it
    requires org.bytedeco.opencl;

    exports org.conv4j.onednn;

    provides org.conv4j.api.ConvBackend with org.conv4j.onednn.OnednnBackend;
}
