package org.conv4j.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.conv4j.api.Conv1d;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor3D;
import org.conv4j.api.Tensor5D;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.SkipRule;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Param;

class RankLayersTest {

    @Test
    void everyOneDLayerIsTheSameProblemAtBothRanks() {
        for (RankLayers.Layer1d l : RankLayers.layers1dByName().values()) {
            BenchShape s = l.shape();
            assertEquals(l.params().toConvParams(), s.params(), s.name());
            ConvShape twoD = s.geometry();
            ConvShape oneD = Conv1d.shape(Tensor3D.view(s.input(1)), Tensor3D.view(s.weight(1)), s.bias(1), l.params());
            assertEquals(1, twoD.outH(), s.name());
            assertEquals(twoD.outW(), oneD.outW(), s.name());
            assertEquals(twoD.flops(), oneD.flops(), s.name());
        }
    }

    @Test
    void causalLayersKeepTheirLength() {
        for (String name : new String[] {"wavenet-d1", "wavenet-d64", "wavenet-d512", "tcn-k3-d4"}) {
            BenchShape s = RankLayers.layer1d(name).shape();
            assertEquals(s.inW(), s.geometry().outW(), name);
        }
    }

    @Test
    void everyThreeDLayerIsValidAndWithinNaivesLimit() {
        for (RankLayers.Layer3d l : RankLayers.layers3dByName().values()) {
            Tensor5D x = l.input(1);
            Conv3dShape s = l.geometry(x, l.weight(1));
            assertTrue(2 * 2 * s.macs() <= SkipRule.NAIVE_MAX_FLOPS, l.name() + ": backward " + 4 * s.macs());
        }
    }

    @Test
    void theDefaultLayersAreNamed() throws NoSuchFieldException {
        for (String name : RankBench.class.getField("layer").getAnnotation(Param.class).value()) {
            RankLayers.layer1d(name);
        }
        for (String name : Rank3dBench.class.getField("layer").getAnnotation(Param.class).value()) {
            RankLayers.layer3d(name);
        }
    }

    @Test
    void anUnknownNameListsTheNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RankLayers.layer1d("nope"));
        assertTrue(e.getMessage().contains("wavenet-d512"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RankLayers.layer3d("nope"));
    }
}
