package org.conv4j.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * conv4j on the module path: runs {@link ModulePathCheck} in a child JVM whose module path is this module's built jar
 * and its runtime dependencies ({@code target/conv-examples.jar} and {@code target/lib}, as {@code mvn package} leaves
 * them), with only the platform's native modules added by hand. It fails if a module descriptor is wrong: a missing
 * {@code provides} or {@code uses} leaves a backend out, a missing {@code requires} or {@code exports} stops the JVM
 * at start or a class at its first use. Run by maven-failsafe-plugin in {@code mvn verify}, after the jar is built.
 */
class ModulePathIT {

    /** conv-examples' {@code target} directory (failsafe passes it; the module's directory is the working one). */
    private static final Path TARGET = Path.of(System.getProperty("conv4j.examples.target", "target"));

    /** JavaCPP's platform name, e.g. {@code linux-x86_64}: the native jars end with it. */
    private static final String PLATFORM = System.getProperty("javacpp.platform", "linux-x86_64");

    @Test
    void theBackendsRunAsModules() throws IOException, InterruptedException {
        Path jar = TARGET.resolve("conv-examples.jar");
        Path lib = TARGET.resolve("lib");
        assertTrue(Files.isRegularFile(jar) && Files.isDirectory(lib),
                "expected " + jar + " and " + lib + " (mvn package builds them), got neither or one");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--module-path");
        command.add(jar + java.io.File.pathSeparator + lib);
        command.add("--add-modules");
        command.add(String.join(",", nativeModules(lib)));
        command.add("-m");
        command.add("org.conv4j.examples/" + ModulePathCheck.class.getName());

        Path log = Files.createTempFile("conv4j-module-path", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean ended = p.waitFor(180, TimeUnit.SECONDS);
            if (!ended) {
                p.destroyForcibly().waitFor();
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            String shown = String.join(" ", command) + "\n" + output;
            assertTrue(ended, "expected the check to end within 180 s, got:\n" + shown);
            assertEquals(0, p.exitValue(), "expected exit status 0, got:\n" + shown);
            assertTrue(output.contains("module path: OK"), "expected \"module path: OK\", got:\n" + shown);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /**
     * What a user's module sees: one that {@code requires org.conv4j.api} compiles against the user package and the
     * SPI, and does not compile when it imports the runtime behind the facades ({@code org.conv4j.internal}), which
     * conv-api does not export. Compiled with the JDK's compiler on the module path of the built jars.
     */
    @Test
    void aUserModuleSeesTheApiAndSpiOnly() throws IOException {
        Path lib = TARGET.resolve("lib");
        assertTrue(Files.isDirectory(lib), "expected " + lib + " (mvn package builds it)");
        String uses = "import org.conv4j.api.Conv2d;\nimport org.conv4j.spi.AbstractConvBackend;\n";
        String body = "public class Use { static Object a() { return Conv2d.class; }"
                + " static Object b() { return AbstractConvBackend.class; } }\n";
        StringBuilder apiErrors = new StringBuilder();
        assertEquals(0, compileConsumer(lib, uses + body, apiErrors),
                "expected a module requiring org.conv4j.api to compile against api and spi, got:\n" + apiErrors);
        String internal = "import org.conv4j.internal.Autotuner;\n"
                + "public class Use { static Object c() { return Autotuner.class; } }\n";
        StringBuilder errors = new StringBuilder();
        assertNotEquals(0, compileConsumer(lib, internal, errors),
                "expected org.conv4j.internal to be hidden from a user's module, but a module importing it compiled");
        assertTrue(errors.toString().contains("org.conv4j.internal"),
                "expected the compiler to name org.conv4j.internal, got:\n" + errors);
    }

    /** Compiles module {@code consumer} ({@code requires org.conv4j.api}) with {@code source} as its one class. */
    private static int compileConsumer(Path lib, String source, StringBuilder errors) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertTrue(javac != null, "expected a JDK with a Java compiler, got a JRE");
        Path dir = Files.createTempDirectory("conv4j-consumer");
        try {
            Path src = dir.resolve("src");
            Files.createDirectories(src.resolve("consumer"));
            Files.writeString(src.resolve("module-info.java"), "module consumer { requires org.conv4j.api; }\n");
            Files.writeString(src.resolve("consumer").resolve("Use.java"), "package consumer;\n" + source);
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            int status = javac.run(null, null, err, "--module-path", lib.toString(), "-d",
                    dir.resolve("out").toString(), src.resolve("module-info.java").toString(),
                    src.resolve("consumer").resolve("Use.java").toString());
            errors.append(err.toString(StandardCharsets.UTF_8));
            return status;
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /**
     * The modules of this platform's native jars in {@code lib} (JavaCPP's, OpenBLAS's, oneDNN's, OpenCL's): no module
     * requires them, since the build, not a descriptor, chooses the platform.
     */
    private static List<String> nativeModules(Path lib) throws IOException {
        try (Stream<Path> jars = Files.list(lib)) {
            List<String> names = jars.filter(j -> j.getFileName().toString().endsWith("-" + PLATFORM + ".jar"))
                    .flatMap(j -> ModuleFinder.of(j).findAll().stream())
                    .map(ModuleReference::descriptor)
                    .map(d -> d.name())
                    .sorted()
                    .collect(Collectors.toList());
            assertTrue(!names.isEmpty(), "expected native jars ending with -" + PLATFORM + ".jar in " + lib);
            return names;
        }
    }
}
