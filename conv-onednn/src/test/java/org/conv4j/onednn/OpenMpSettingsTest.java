package org.conv4j.onednn;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The native environment the OpenMP runtime reads: a variable added is found there afterwards. */
class OpenMpSettingsTest {

    @Test
    void aVariableIsAddedOnceAndFoundAfterwards() {
        new OnednnBackend(); // the natives (and JavaCPP's dlsym) are loaded
        String name = "CONV4J_ONEDNN_TEST_" + ProcessHandle.current().pid();
        assertTrue(OpenMpSettings.putIfAbsent(name, "1"), "the environment should be reachable on Linux");
        assertFalse(OpenMpSettings.putIfAbsent(name, "2"), "the second call must find the first value");
    }

    @Test
    void aVariableOfTheJvmsEnvironmentIsNeverReplaced() {
        assertFalse(OpenMpSettings.putIfAbsent("PATH", "/nowhere"));
    }
}
