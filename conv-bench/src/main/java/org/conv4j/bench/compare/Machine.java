package org.conv4j.bench.compare;

import java.util.Locale;
import org.conv4j.spi.CpuInfo;

/** A one-line description of the machine and JVM, for reports. */
final class Machine {

    private Machine() {
    }

    static String describe() {
        Runtime rt = Runtime.getRuntime();
        String coreType = System.getenv("OPENBLAS_CORETYPE");
        return String.format(Locale.ROOT, "%s, %d cores visible to the JVM; %s %s (%s); %s %s; max heap %d MiB; "
                        + "OPENBLAS_CORETYPE=%s",
                cpuModel(), rt.availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), System.getProperty("java.vendor"),
                System.getProperty("os.name"), System.getProperty("os.version"), rt.maxMemory() >> 20,
                coreType == null ? "(unset)" : coreType);
    }

    /** What conv-openblas's OpenBLAS set-up reports (loads OpenBLAS if it is not loaded yet). */
    static String openBlas() {
        try {
            return org.conv4j.openblas.OpenBlasSetup.status().toString();
        } catch (RuntimeException | LinkageError e) {
            return "OpenBLAS status unavailable: " + e;
        }
    }

    static String cpuModel() {
        String model = CpuInfo.current().model();
        return model.isEmpty() ? System.getProperty("os.arch") : model;
    }
}
