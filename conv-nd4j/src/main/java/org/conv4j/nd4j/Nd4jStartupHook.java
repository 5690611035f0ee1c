package org.conv4j.nd4j;

import org.conv4j.openblas.OpenBlasSetup;
import org.nd4j.common.io.Resource;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4jBackend;

/**
 * Runs {@link OpenBlasSetup#ensureLoaded()} when ND4J starts, so that OpenBLAS gets its core type even
 * when an application uses ND4J before any conv4j class.
 *
 * <p>How: ND4J finds its backends with {@link java.util.ServiceLoader} ({@code Nd4jBackend.load()}), which
 * <em>instantiates every registered provider before asking any of them {@code isAvailable()}</em>; only
 * {@code isAvailable()} of the real CPU backend loads the native libraries. This class is registered in
 * {@code META-INF/services/org.nd4j.linalg.factory.Nd4jBackend}, so its constructor runs first. It is not
 * a backend: {@link #isAvailable()} is false and its priority is the lowest, so ND4J always picks its own
 * CPU backend. The constructor never throws (a failure here would stop ND4J's backend discovery): a bad
 * {@value OpenBlasSetup#CORETYPE_PROPERTY} value is logged and surfaces again from conv4j's own calls.
 */
public final class Nd4jStartupHook extends Nd4jBackend {

    private static final System.Logger LOG = System.getLogger(Nd4jStartupHook.class.getName());

    /** Called by ND4J's {@link java.util.ServiceLoader}: sets OpenBLAS up before ND4J loads it. */
    public Nd4jStartupHook() {
        try {
            OpenBlasSetup.ensureLoaded();
        } catch (RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.WARNING, "conv4j could not set up OpenBLAS before ND4J: " + e, e);
        }
    }

    @Override
    public boolean allowsOrder() {
        return false;
    }

    @Override
    public int getPriority() {
        return Integer.MIN_VALUE;
    }

    @Override
    public boolean isAvailable() {
        return false;
    }

    @Override
    public boolean canRun() {
        return false;
    }

    @Override
    public Resource getConfigurationResource() {
        throw new UnsupportedOperationException("not a backend: conv4j's OpenBLAS set-up hook");
    }

    @Override
    public Class getNDArrayClass() {
        throw new UnsupportedOperationException("not a backend: conv4j's OpenBLAS set-up hook");
    }

    @Override
    public Environment getEnvironment() {
        throw new UnsupportedOperationException("not a backend: conv4j's OpenBLAS set-up hook");
    }

    @Override
    public String buildInfo() {
        return "conv4j OpenBLAS set-up hook (not a backend)";
    }

    @Override
    public void logBackendInit() {
        // nothing: not a backend
    }
}
