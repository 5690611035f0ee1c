package org.conv4j.onednn;

import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Loader;
import org.conv4j.api.ConvBackend;
import org.conv4j.nativeutil.NativeEnvironment;
import org.conv4j.testkit.ChildJvm;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs {@link ExitChild} in child JVMs: a JVM that convolved on oneDNN (whose OpenMP threads are native
 * threads the JVM does not wait for) exits on its own when main returns; and where the natives cannot load,
 * the constructor fails with a clear {@link UnsupportedOperationException}.
 */
class ChildJvmTest {

    private static final long TIMEOUT_SECONDS = 60;

    private static String run(String mode, String... jvmOptions) throws Exception {
        List<String> cp = new ArrayList<>();
        for (Class<?> c : new Class<?>[] {OnednnBackend.class, ExitChild.class, ConvBackend.class,
                NativeEnvironment.class, dnnl.class, Loader.class, org.bytedeco.opencl.global.OpenCL.class}) {
            cp.add(Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        // the natives jars sit next to the class jars, with the platform classifier
        for (String jar : new ArrayList<>(cp)) {
            if (jar.endsWith(".jar")) {
                Path natives = Paths.get(jar.replace(".jar", "-" + Loader.getPlatform() + ".jar"));
                if (natives.toFile().exists()) {
                    cp.add(natives.toString());
                }
            }
        }
        return ChildJvm.of(ExitChild.class, mode).classpath(cp).jvmOptions("-Xmx256m").jvmOptions(jvmOptions)
                .timeoutSeconds(TIMEOUT_SECONDS).run();
    }

    @Test
    void aJvmThatConvolvedExitsOnItsOwn() throws Exception {
        String out = run("conv");
        assertTrue(out.contains("done"), "child output: " + out);
    }

    @Test
    void unloadableNativesFailTheConstructorWithAClearMessage() throws Exception {
        // JavaCPP looks for the natives of the platform it is told; there are none for this one on the classpath
        String out = run("unavailable", "-Dorg.bytedeco.javacpp.platform=windows-x86_64");
        assertTrue(out.contains("java.lang.UnsupportedOperationException: onednn: oneDNN's native library could "
                + "not be loaded"), "child output: " + out);
    }
}
