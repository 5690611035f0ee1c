package org.conv4j.nativeutil;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The native environment native libraries read: what is added is found there afterwards, the user's values win. */
class NativeEnvironmentTest {

    private static final String PREFIX = "CONV4J_NATIVE_TEST_" + ProcessHandle.current().pid() + "_";

    private static void linuxOnly() {
        assumeTrue(NativeEnvironment.isSupported(), "the native environment is reached on Linux only");
    }

    @Test
    void aVariableIsAddedOnceAndFoundAfterwards() {
        linuxOnly();
        String name = PREFIX + "ONCE";
        assertNull(NativeEnvironment.get(name));
        assertTrue(NativeEnvironment.putIfAbsent(name, "1"), "the environment should be reachable on Linux");
        assertFalse(NativeEnvironment.putIfAbsent(name, "2"), "the second call must find the first value");
        assertEquals("1", NativeEnvironment.get(name));
    }

    @Test
    void putGoesAheadOfAnEarlierValue() {
        linuxOnly();
        String name = PREFIX + "AHEAD";
        assertTrue(NativeEnvironment.put(name, "first"));
        assertTrue(NativeEnvironment.put(name, "second"));
        assertEquals("second", NativeEnvironment.get(name), "getenv returns the first match");
    }

    @Test
    void theJvmsEnvironmentIsReadNativelyAndNeverReplacedByPutIfAbsent() {
        linuxOnly();
        String path = System.getenv("PATH");
        assumeTrue(path != null, "PATH is set");
        assertEquals(path, NativeEnvironment.get("PATH"));
        assertFalse(NativeEnvironment.putIfAbsent("PATH", "/nowhere"));
        assertEquals(path, NativeEnvironment.get("PATH"));
    }

    @Test
    void namesAndValuesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> NativeEnvironment.put("", "x"));
        assertThrows(IllegalArgumentException.class, () -> NativeEnvironment.put("A=B", "x"));
        assertThrows(IllegalArgumentException.class, () -> NativeEnvironment.putIfAbsent(PREFIX + "NUL", "a\0b"));
    }
}
