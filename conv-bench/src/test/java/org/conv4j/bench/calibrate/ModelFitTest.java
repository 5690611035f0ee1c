package org.conv4j.bench.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.CostModel;
import org.conv4j.spi.CostProfile;
import org.junit.jupiter.api.Test;

/** {@link ModelFit} recovers a model's parameters from times the model itself produced. */
class ModelFitTest {

    private static Properties machine() {
        Properties p = new Properties();
        p.setProperty("machine.gemmMacsPerNs", "100");
        p.setProperty("machine.javaMacsPerNs", "10");
        p.setProperty("machine.copyNsPerFloat", "0.5");
        return p;
    }

    private static List<ConvShape> shapes(int count, long seed) {
        Random r = new Random(seed);
        List<ConvShape> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = 1 + r.nextInt(8);
            int c = 1 + r.nextInt(256);
            int k = 1 + r.nextInt(256);
            int h = 4 + r.nextInt(60);
            int kernel = 1 + 2 * r.nextInt(3);
            out.add(ConvShape.forward(Tensor4D.zeros(n, c, h, h), Tensor4D.zeros(k, c, kernel, kernel), null,
                    ConvParams.builder().padding(kernel / 2).build()));
        }
        return out;
    }

    @Test
    void recoversTheParametersThatProducedTheTimes() {
        Properties truth = machine();
        truth.putAll(Map.of("m.fixedNs", "20000", "m.fixedBackwardNs", "50000", "m.copyFactor", "0.8",
                "m.efficiency", "0.6", "m.halfM", "30", "m.halfK", "8", "m.halfN", "200"));
        CostModel real = CostProfile.load(truth, null).model("m");
        List<ModelFit.Sample> samples = new ArrayList<>();
        for (ConvShape s : shapes(60, 7)) {
            samples.add(new ModelFit.Sample(s, ConvPass.FORWARD, real.nanos(s, ConvPass.FORWARD)));
            samples.add(new ModelFit.Sample(s, ConvPass.BACKWARD, real.nanos(s, ConvPass.BACKWARD)));
        }
        Properties start = machine();
        start.putAll(Map.of("m.fixedNs", "5000", "m.fixedBackwardNs", "9000", "m.copyFactor", "0.3",
                "m.efficiency", "0.3", "m.halfM", "10", "m.halfK", "20", "m.halfN", "50"));
        CostProfile from = CostProfile.load(start, null);

        ModelFit.Result r = ModelFit.fit(from, "m", samples);

        assertTrue(r.errorBefore() > 0.2, "the start is far off: " + r.errorBefore());
        assertTrue(r.errorAfter() < 0.02, "fitted median error " + r.errorAfter() + ", values " + r.values());
        CostModel fitted = from.with(r.values()).model("m");
        for (ConvShape s : shapes(20, 99)) { // shapes the fit never saw
            for (ConvPass pass : new ConvPass[] {ConvPass.FORWARD, ConvPass.BACKWARD}) {
                double ratio = fitted.nanos(s, pass) / real.nanos(s, pass);
                assertEquals(1, ratio, 0.1, pass + " " + s);
            }
        }
    }

    @Test
    void fewSamplesFitOnlyTheFixedCostsAndTheEfficiency() {
        Properties p = machine();
        p.putAll(Map.of("m.fixedNs", "1000", "m.efficiency", "0.5", "m.halfM", "10"));
        CostProfile profile = CostProfile.load(p, null);
        List<ModelFit.Sample> samples = new ArrayList<>();
        for (ConvShape s : shapes(4, 3)) {
            samples.add(new ModelFit.Sample(s, ConvPass.FORWARD, 2 * profile.model("m").nanos(s, ConvPass.FORWARD)));
        }
        ModelFit.Result r = ModelFit.fit(profile, "m", samples);
        assertEquals(List.of("m.fixedNs", "m.efficiency"), List.copyOf(r.values().keySet()));
        assertTrue(r.errorAfter() < r.errorBefore(), r.toString());
    }
}
