package org.conv4j.fft;

import org.conv4j.api.ConvBackend;
import org.conv4j.testkit.ChildJvm;
import org.jtransforms.fft.FloatFFT_1D;
import org.junit.jupiter.api.Test;
import pl.edu.icm.jlargearrays.LargeArray;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JTransforms' pool ({@code pl.edu.icm.jlargearrays.ConcurrencyUtils}) is a cached pool of non-daemon
 * threads that idle for 60 s before dying, so any use of it keeps a JVM alive for a minute after main
 * returns. The backend must never use it: a child JVM that convolves from main must exit on its own.
 */
class JvmExitTest {

    /** Far below the pool's 60 s idle time, far above a normal run of the child. */
    private static final long EXIT_TIMEOUT_SECONDS = 40;

    private static Process start(String mode) throws Exception {
        List<String> cp = new ArrayList<>();
        for (Class<?> c : new Class<?>[] {FftBackend.class, ExitChild.class, ConvBackend.class, FloatFFT_1D.class,
                LargeArray.class, org.apache.commons.math3.util.FastMath.class}) {
            cp.add(Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return ChildJvm.of(ExitChild.class, mode).classpath(cp).jvmOptions("-Xmx512m").start();
    }

    /** Reads the child's output until "done" (or end of stream); returns everything read. */
    private static String readUntilDone(Process p) throws Exception {
        StringBuilder sb = new StringBuilder();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            sb.append(line).append('\n');
            if (line.equals("done")) {
                break;
            }
        }
        return sb.toString();
    }

    @Test
    void aJvmThatConvolvesFromMainExitsOnItsOwn() throws Exception {
        Process p = start("conv");
        try {
            String out = readUntilDone(p);
            assertTrue(out.contains("done"), "child output: " + out);
            assertTrue(p.waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS),
                    "the child JVM did not exit within " + EXIT_TIMEOUT_SECONDS + " s of finishing its work");
            assertEquals(0, p.exitValue(), "child output: " + out);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void controlJTransformsOwnPoolDoesKeepAJvmAlive() throws Exception {
        Process p = start("control");
        try {
            String out = readUntilDone(p);
            assertTrue(out.contains("done"), "child output: " + out);
            // main has returned; only JTransforms' idle non-daemon pool threads can keep the JVM alive now
            assertTrue(!p.waitFor(3, TimeUnit.SECONDS) && p.isAlive(),
                    "control child exited: this test could not detect a JVM held by JTransforms' pool");
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
