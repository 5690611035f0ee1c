package org.conv4j.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code main} class run in a fresh JVM, for the tests that need one: settings read once when a native
 * library loads, a heap smaller than the test JVM's, or the JVM's exit itself.
 *
 * <p>The child runs this JVM's {@code java} with the test's class path (or {@link #classpath one given}); its
 * standard output and error go to a temporary file rather than a pipe, so a child that writes much cannot block
 * on a full pipe, and {@link #run} can give up after the timeout even if the child hangs (the child is then
 * killed).
 */
public final class ChildJvm {

    private final Class<?> main;
    private final List<String> args;
    private final List<String> jvmOptions = new ArrayList<>();
    private final Map<String, String> environment = new HashMap<>();
    private String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    private long timeoutSeconds = 120;

    private ChildJvm(Class<?> main, List<String> args) {
        this.main = main;
        this.args = args;
    }

    /**
     * A child JVM that runs {@code main} with {@code args}.
     *
     * @param main the class whose {@code main} the child runs
     * @param args its arguments
     * @return the child, not started yet
     */
    public static ChildJvm of(Class<?> main, String... args) {
        return new ChildJvm(main, List.of(args));
    }

    /**
     * Adds JVM options (before the main class), e.g. {@code -Xmx1g} or {@code -Dname=value}.
     *
     * @param options the options
     * @return this
     */
    public ChildJvm jvmOptions(String... options) {
        return jvmOptions(List.of(options));
    }

    /**
     * Adds JVM options (before the main class).
     *
     * @param options the options
     * @return this
     */
    public ChildJvm jvmOptions(List<String> options) {
        jvmOptions.addAll(options);
        return this;
    }

    /**
     * Sets an environment variable of the child, or removes it if {@code value} is null.
     *
     * @param name the variable
     * @param value its value, or null to remove it
     * @return this
     */
    public ChildJvm environment(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /**
     * The child's class path, in place of the test's.
     *
     * @param entries the class path entries
     * @return this
     */
    public ChildJvm classpath(List<String> entries) {
        classpath = String.join(File.pathSeparator, entries);
        return this;
    }

    /**
     * How long {@link #run} waits for the child (default 120 s).
     *
     * @param seconds the timeout
     * @return this
     */
    public ChildJvm timeoutSeconds(long seconds) {
        timeoutSeconds = seconds;
        return this;
    }

    /**
     * Runs the child to its end and returns what it printed (standard output and error together). Fails the test
     * if the child does not exit within the timeout or exits with a status other than 0, showing its output.
     *
     * @return the child's output
     * @throws IOException if the child cannot be started or its output not read
     * @throws InterruptedException if the test thread is interrupted while waiting
     */
    public String run() throws IOException, InterruptedException {
        Result r = execute();
        assertTrue(r.exited(), "the child JVM (" + main.getSimpleName() + ") did not exit within " + timeoutSeconds
                + " s; output so far:\n" + r.output());
        assertEquals(0, r.exitCode(), "the child JVM (" + main.getSimpleName() + ") failed; output:\n" + r.output());
        return r.output();
    }

    /**
     * How a child ended: whether it exited within the timeout, its exit status (-1 if it did not exit) and what it
     * printed (standard output and error together).
     */
    public record Result(boolean exited, int exitCode, String output) {
    }

    /**
     * Runs the child to its end, or until the timeout (then kills it), and returns how it ended, whatever that was:
     * for callers that expect a child to crash or fail, e.g. one that runs native code on untrusted arguments.
     *
     * @return how the child ended
     * @throws IOException if the child cannot be started or its output read
     * @throws InterruptedException if this thread is interrupted while it waits
     */
    public Result execute() throws IOException, InterruptedException {
        Path log = Files.createTempFile("conv4j-child", ".log");
        Process p = builder().redirectOutput(log.toFile()).start();
        try {
            boolean exited = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!exited) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            return new Result(exited, exited ? p.exitValue() : -1, Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    /**
     * Starts the child with its output on a pipe ({@link Process#getInputStream()}), for tests that read it live.
     *
     * @return the running child
     * @throws IOException if the child cannot be started
     */
    public Process start() throws IOException {
        return builder().start();
    }

    private ProcessBuilder builder() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classpath, main.getName()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        environment.forEach((name, value) -> {
            if (value == null) {
                pb.environment().remove(name);
            } else {
                pb.environment().put(name, value);
            }
        });
        return pb;
    }
}
