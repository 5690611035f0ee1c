package org.conv4j.openblas;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.conv4j.nativeutil.NativeEnvironment;

/** Main class run in a fresh JVM by {@link OpenBlasSetupTest}: prints the setup's outcome and checks a GEMM. */
public final class SetupProbe {
    private SetupProbe() {
    }

    public static void main(String[] args) {
        if (Boolean.getBoolean("probe.loadFirst")) {
            Loader.load(openblas_nolapack.class); // OpenBLAS loaded directly, before any conv4j class
        }
        OpenBlasSetup.Status s = OpenBlasSetup.ensureLoaded();
        System.out.println("core=" + s.core());
        System.out.println("source=" + s.source());
        System.out.println("timeout=" + s.threadTimeout());
        System.out.println("timeoutEnv=" + NativeEnvironment.get(OpenBlasSetup.THREAD_TIMEOUT_VARIABLE));
        float[] a = {1, 2, 3, 4};
        float[] b = {5, 6, 7, 8};
        float[] c = new float[4];
        Gemm.sgemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2);
        boolean ok = c[0] == 19 && c[1] == 22 && c[2] == 43 && c[3] == 50;
        System.out.println("gemm=" + (ok ? "ok" : java.util.Arrays.toString(c)));
    }
}
