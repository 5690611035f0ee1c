package org.conv4j.bench.compare;

import org.conv4j.api.ConvPass;
import org.conv4j.bench.MeasuredPasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class OptionsTest {

    private static final Path DEFAULT_OUT = Path.of("default-out");

    private static Options parse(String... args) {
        return Options.parse(args, DEFAULT_OUT);
    }

    @Test
    void defaults() {
        Options o = parse();
        assertEquals("default", o.shapes());
        assertEquals("all", o.backends());
        assertEquals(EnumSet.copyOf(MeasuredPasses.ALL), o.passes());
        assertEquals(DEFAULT_OUT, o.out());
        assertEquals(Options.DEFAULT_REPS, o.reps());
        assertEquals(Options.DEFAULT_WARMUP_MS, o.warmupMs());
        assertEquals(Options.DEFAULT_BUDGET_MS, o.budgetMs());
        assertTrue(o.charts());
        assertTrue(o.sgemm());
        assertFalse(o.help());
        assertFalse(o.list());
    }

    @Test
    void everyOptionInBothSpellings() {
        Options o = parse("--shapes", "resnet50", "--backends=im2col,nd4j", "--pass", "backward", "--out=/tmp/r",
                "--reps", "3", "--warmup-ms=0", "--budget-ms", "500", "--seed", "-9", "--no-charts", "--no-sgemm");
        assertEquals("resnet50", o.shapes());
        assertEquals("im2col,nd4j", o.backends());
        assertEquals(EnumSet.of(ConvPass.BACKWARD), o.passes());
        assertEquals(Path.of("/tmp/r"), o.out());
        assertEquals(3, o.reps());
        assertEquals(0, o.warmupMs());
        assertEquals(500, o.budgetMs());
        assertEquals(-9, o.seed());
        assertFalse(o.charts());
        assertFalse(o.sgemm());
        assertEquals(EnumSet.of(ConvPass.FORWARD), parse("--pass=FORWARD").passes());
        assertTrue(parse("-h").help());
        assertTrue(parse("--help").help());
        assertTrue(parse("--list").list());
    }

    @Test
    void badInputNamesTheOptionAndTheValue() {
        assertMessage("--reps: expected an integer >= 1, got \"0\"", "--reps", "0");
        assertMessage("--reps: expected an integer >= 1, got \"x\"", "--reps=x");
        assertMessage("--pass: expected forward, backward or both, got \"sideways\"", "--pass", "sideways");
        assertMessage("--shapes: expected a value after it, got the end of the command line", "--shapes");
        assertMessage("--out: expected a non-empty value, got \"\"", "--out=");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("--frobnicate"));
        assertTrue(e.getMessage().contains("\"--frobnicate\""), e.getMessage());
    }

    private static void assertMessage(String expected, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(args));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void helpListsEveryOption() {
        String help = Options.helpText();
        for (String option : new String[] {"--shapes", "--backends", "--pass", "--out", "--reps", "--warmup-ms",
            "--budget-ms", "--seed", "--no-charts", "--no-sgemm", "--list", "--help"}) {
            assertTrue(help.contains(option), option);
        }
        assertTrue(help.contains("three minutes"));
    }
}
