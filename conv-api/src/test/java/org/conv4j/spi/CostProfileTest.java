package org.conv4j.spi;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link CostProfile}: shipped values, a file's overrides, and the fallback when the file is bad. */
class CostProfileTest {

    private static final ConvShape SHAPE = ConvShape.forward(Tensor4D.zeros(2, 16, 20, 20),
            Tensor4D.zeros(8, 16, 3, 3), null, ConvParams.builder().padding(1).build());

    private static Properties shipped() {
        Properties p = new Properties();
        p.putAll(Map.of("machine.gemmMacsPerNs", "100", "machine.javaMacsPerNs", "10",
                "machine.copyNsPerFloat", "0.5", "m.fixedNs", "1000", "m.basis", "gemm", "m.efficiency", "0.5",
                "m.copyFactor", "2", "m.halfK", "4"));
        return p;
    }

    @Test
    void aModelIsItsEfficiencyTimesTheMachineFigure() {
        CostProfile p = CostProfile.load(shipped(), null);
        assertEquals(50, p.rate("m"), 1e-12);
        CostModel expected = new CostModel(1000, 1000, 1.0, 50, 0, 4, 0, false);
        assertEquals(expected.nanos(SHAPE, ConvPass.FORWARD), p.model("m").nanos(SHAPE, ConvPass.FORWARD), 1e-9);
        assertEquals(expected.nanos(SHAPE, ConvPass.BACKWARD), p.model("m").nanos(SHAPE, ConvPass.BACKWARD), 1e-9);
    }

    @Test
    void aFasterMachineScalesEveryModelOfItsBasis() {
        CostProfile p = CostProfile.load(shipped(), null);
        CostProfile twice = p.with(Map.of("machine.gemmMacsPerNs", "200"));
        assertEquals(2 * p.rate("m"), twice.rate("m"), 1e-12);
        assertTrue(twice.model("m").nanos(SHAPE, ConvPass.FORWARD) < p.model("m").nanos(SHAPE, ConvPass.FORWARD));
    }

    @Test
    void aFileOverridesTheShippedValuesAndRoundTrips(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("profile.properties");
        Files.write(file, List.of("machine.gemmMacsPerNs=300", "m.efficiency=0.25"));
        CostProfile p = CostProfile.load(shipped(), file.toString());
        assertEquals(file.toString(), p.source());
        assertEquals(75, p.rate("m"), 1e-12);

        Path again = dir.resolve("again.properties");
        Files.write(again, p.lines());
        CostProfile q = CostProfile.load(new Properties(), again.toString());
        assertEquals(p.model("m").nanos(SHAPE, ConvPass.BACKWARD), q.model("m").nanos(SHAPE, ConvPass.BACKWARD));
    }

    @Test
    void aCorruptOrMissingFileLeavesTheShippedProfile(@TempDir Path dir) throws IOException {
        Path corrupt = dir.resolve("corrupt.properties");
        Files.write(corrupt, List.of("machine.gemmMacsPerNs=fast", "m.efficiency=0.9"));
        for (String file : new String[] {corrupt.toString(), dir.resolve("missing").toString()}) {
            CostProfile p = CostProfile.load(shipped(), file);
            assertEquals("shipped", p.source());
            assertEquals(50, p.rate("m"), 1e-12);
        }
        Files.write(corrupt, List.of("m.efficiency=-1"));
        assertEquals("shipped", CostProfile.load(shipped(), corrupt.toString()).source());
    }

    @Test
    void anUnknownModelIsAClearError() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CostProfile.load(shipped(), null).model("nosuch"));
        assertTrue(e.getMessage().contains("nosuch.fixedNs"), e.getMessage());
    }

    /** Every model shipped on the class path, for either kind of processor, has what a model needs. */
    @Test
    void everyShippedModelOfTheClassPathIsComplete() {
        for (CpuInfo cpu : new CpuInfo[] {new CpuInfo("x", "y", java.util.Set.of("avx2")),
            new CpuInfo("x", "y", java.util.Set.of("avx2", "avx512f"))}) {
            CostProfile p = CostProfile.load(CostProfile.shipped(cpu), null);
            assertTrue(p.machine("gemmMacsPerNs") > 0 && p.machine("javaMacsPerNs") > 0
                    && p.machine("copyNsPerFloat") > 0, p.lines().toString());
            for (String line : p.lines()) {
                String key = line.substring(0, line.indexOf('='));
                if (key.endsWith(".efficiency")) {
                    String model = key.substring(0, key.length() - ".efficiency".length());
                    assertTrue(p.model(model).nanos(SHAPE, ConvPass.FORWARD) > 0, model);
                }
            }
        }
    }
}
