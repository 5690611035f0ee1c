package org.conv4j.testkit;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The child JVM gets its options, arguments and environment, and a failing or hanging child fails the test. */
class ChildJvmTest {

    /** Prints its arguments, a system property and an environment variable; then exits, fails or hangs. */
    public static void main(String[] args) throws InterruptedException {
        System.out.println("args " + String.join(" ", args));
        System.out.println("property " + System.getProperty("conv4j.child.test"));
        System.out.println("variable " + System.getenv("CONV4J_CHILD_TEST"));
        System.err.println("on stderr");
        switch (args[0]) {
            case "fail" -> System.exit(3);
            case "hang" -> Thread.sleep(60_000);
            default -> { }
        }
    }

    @Test
    void theChildGetsItsArgumentsOptionsAndEnvironment() throws Exception {
        String out = ChildJvm.of(ChildJvmTest.class, "ok", "two").jvmOptions("-Dconv4j.child.test=yes")
                .environment("CONV4J_CHILD_TEST", "set").run();
        assertEquals(java.util.Set.of("args ok two", "property yes", "variable set", "on stderr"),
                java.util.Set.copyOf(out.lines().toList()), out);
        String removed = ChildJvm.of(ChildJvmTest.class, "ok").environment("CONV4J_CHILD_TEST", null).run();
        assertTrue(removed.contains("variable null"), removed);
    }

    @Test
    void aFailingChildFailsTheTestWithItsOutput() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> ChildJvm.of(ChildJvmTest.class, "fail").run());
        assertTrue(e.getMessage().contains("failed") && e.getMessage().contains("args fail"), e.getMessage());
    }

    @Test
    void aHangingChildFailsTheTestAfterTheTimeout() {
        long start = System.nanoTime();
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> ChildJvm.of(ChildJvmTest.class, "hang").timeoutSeconds(3).run());
        assertTrue(e.getMessage().contains("did not exit within 3 s"), e.getMessage());
        assertTrue(System.nanoTime() - start < 30_000_000_000L, "run() waited far beyond its timeout");
    }
}
