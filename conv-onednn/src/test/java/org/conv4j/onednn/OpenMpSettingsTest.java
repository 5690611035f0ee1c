package org.conv4j.onednn;

import org.conv4j.api.Settings;
import org.conv4j.nativeutil.NativeEnvironment;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What oneDNN's OpenMP runtime finds in the native environment when it loads. */
class OpenMpSettingsTest {

    @Test
    void oneDnnLoadsWithAPassiveWaitPolicyUnlessTheUserChose() {
        assumeTrue(NativeEnvironment.isSupported(), "the native environment is reached on Linux only");
        assumeTrue(System.getenv("OMP_WAIT_POLICY") == null, "the user's OMP_WAIT_POLICY wins");
        assumeTrue(Settings.value(OpenMpSettings.WAIT_POLICY_PROPERTY) == null, "the default policy is in effect");
        Dnnl.engine(); // OpenMpSettings.apply() runs before the natives load
        assertEquals("PASSIVE", NativeEnvironment.get("OMP_WAIT_POLICY"));
    }

    @Test
    void idleThreadsPollBrieflyBeforeTheySleepUnlessTheUserChose() {
        assumeTrue(NativeEnvironment.isSupported(), "the native environment is reached on Linux only");
        assumeTrue(System.getenv("OMP_WAIT_POLICY") == null && System.getenv("GOMP_SPINCOUNT") == null,
                "the user's variables win");
        assumeTrue(Settings.value(OpenMpSettings.WAIT_POLICY_PROPERTY) == null
                && Settings.value(OpenMpSettings.SPIN_COUNT_PROPERTY) == null, "the defaults are in effect");
        Dnnl.engine();
        assertEquals(Settings.valueOrDefault(OpenMpSettings.SPIN_COUNT_PROPERTY),
                NativeEnvironment.get("GOMP_SPINCOUNT"));
        assertEquals("1000", NativeEnvironment.get("GOMP_SPINCOUNT"));
    }
}
