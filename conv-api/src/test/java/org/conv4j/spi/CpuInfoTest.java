package org.conv4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuInfoTest {

    private static final String TWO_PROCESSORS = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
            + "model name\t: First Model 8-Core\nflags\t\t: FPU sse2  avx512f\n\n"
            + "processor\t: 1\nvendor_id\t: SomethingElse\nmodel name\t: Second\nflags\t\t: fpu\n";

    @Test
    void parsesTheFirstProcessorOnly() {
        CpuInfo cpu = CpuInfo.parse(TWO_PROCESSORS);
        assertEquals("AuthenticAMD", cpu.vendor());
        assertEquals("First Model 8-Core", cpu.model());
        assertEquals(Set.of("fpu", "sse2", "avx512f"), cpu.flags());
    }

    @Test
    void absentFieldsAreEmpty() {
        assertEquals(CpuInfo.UNKNOWN, CpuInfo.parse("garbage without colons"));
        assertEquals(new CpuInfo("", "Only A Model", Set.of()), CpuInfo.parse("model name : Only A Model\n"));
    }

    @Test
    void anUnreadableFileIsUnknown(@TempDir Path dir) throws Exception {
        assertSame(CpuInfo.UNKNOWN, CpuInfo.read(dir.resolve("absent")));
        Path file = Files.writeString(dir.resolve("cpuinfo"), TWO_PROCESSORS);
        assertEquals("First Model 8-Core", CpuInfo.read(file).model());
    }

    @Test
    void currentMachineIsReadOnLinux() {
        if (System.getProperty("os.name").toLowerCase().contains("linux")) {
            assertFalse(CpuInfo.current().flags().isEmpty(), "expected /proc/cpuinfo flags on Linux");
        }
    }
}
