package org.conv4j.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkspaceTest {

    @Test
    void parsesSizes() {
        assertEquals(65536, Workspace.parseBytes("65536"));
        assertEquals(4096, Workspace.parseBytes("4k"));
        assertEquals(256L << 20, Workspace.parseBytes("256m"));
        assertEquals(256L << 20, Workspace.parseBytes(" 256MiB "));
        assertEquals(1L << 30, Workspace.parseBytes("1G"));
        assertEquals(3L << 30, Workspace.parseBytes("3gb"));
    }

    @Test
    void rejectsNonSizes() {
        for (String bad : new String[] {"", "m", "-5", "1.5g", "12q", "99999999999999999999", "9999999999999g"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workspace.parseBytes(bad), bad);
            assertTrue(e.getMessage().contains("expected") && e.getMessage().contains("got"), e.getMessage());
        }
    }

    @Test
    void defaultIsTheNamedConstantAndThePropertyOverridesIt() {
        String old = System.getProperty(Workspace.LIMIT_PROPERTY);
        try {
            System.clearProperty(Workspace.LIMIT_PROPERTY);
            assertEquals(Workspace.DEFAULT_LIMIT_BYTES, Workspace.defaultLimitBytes());
            assertEquals(256L << 20, Workspace.DEFAULT_LIMIT_BYTES);
            System.setProperty(Workspace.LIMIT_PROPERTY, "64m");
            assertEquals(64L << 20, Workspace.defaultLimitBytes());
            System.setProperty(Workspace.LIMIT_PROPERTY, "12");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Workspace::defaultLimitBytes);
            assertTrue(e.getMessage().startsWith(Workspace.LIMIT_PROPERTY), e.getMessage());
            System.setProperty(Workspace.LIMIT_PROPERTY, "lots");
            assertThrows(IllegalArgumentException.class, Workspace::defaultLimitBytes);
        } finally {
            if (old == null) {
                System.clearProperty(Workspace.LIMIT_PROPERTY);
            } else {
                System.setProperty(Workspace.LIMIT_PROPERTY, old);
            }
        }
    }

    @Test
    void limitBelowTheMinimumIsRejected() {
        assertEquals(Workspace.MIN_LIMIT_BYTES, Workspace.checkLimit(Workspace.MIN_LIMIT_BYTES));
        assertThrows(IllegalArgumentException.class, () -> Workspace.checkLimit(Workspace.MIN_LIMIT_BYTES - 1));
    }
}
