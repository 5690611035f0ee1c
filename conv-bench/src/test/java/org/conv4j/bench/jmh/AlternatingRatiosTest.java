package org.conv4j.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.conv4j.api.ConvPass;
import org.conv4j.bench.Contender;
import org.conv4j.bench.Contenders;
import org.conv4j.bench.Network;
import org.conv4j.bench.ShapeCatalog;
import org.junit.jupiter.api.Test;

/** The {@code ratios} command times the backward pass too: the prepared pass on native NHWC beside the kernel limit. */
class AlternatingRatiosTest {

    @Test
    void theBackwardPassOfPreparedAndFacadeCallsIsTimedAgainstTheKernelLimit() {
        Network tiny = new Network("tiny-b1", "tiny", "Tiny", 1,
                List.of(new Network.Layer(ShapeCatalog.byName(ShapeCatalog.SMALL_6X6X10_B1), 2)));
        List<Contender> contenders = new ArrayList<>();
        for (String name : List.of("onednn-limit", "conv2d-prepared-native-nhwc", "conv2d-native-nhwc")) {
            contenders.add(Contenders.byName(name));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AlternatingRatios.run(tiny, contenders, ConvPass.BACKWARD, 1, new PrintStream(bytes, true,
                StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("tiny-b1 backward, total ms (ratio to onednn-limit):"), out);
        assertTrue(out.contains("conv2d-prepared-native-nhwc"), out);
        assertFalse(out.contains("skipped"), out);
    }
}
