package org.conv4j.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchMainTest {

    private static final List<String> FOUND = List.of("naive", "im2col", "nd4j");

    @Test
    void addsEveryContenderWhenNoBackendIsGiven() {
        assertArrayEquals(new String[] {"-f", "1", "ConvBench", "-p", "backend=naive,im2col,nd4j"},
                BenchMain.rewrite(new String[] {"-f", "1", "ConvBench"}, FOUND));
    }

    @Test
    void keepsAGivenBackendAndExpandsShapeGroups() {
        assertArrayEquals(new String[] {"-p", "backend=fft", "-p", "shape=large-15x15-b1,large-31x31-b1,"
                + "large-15x15-b8,large-31x31-b8,small-6x6x10-b1"},
                BenchMain.rewrite(new String[] {"-p", "backend=fft", "-p", "shape=large-kernel,small-6x6x10-b1"}, FOUND));
    }

    @Test
    void leavesTheBackendsOfBenchmarksThatListTheirOwn() {
        String[] rank = {"-f", "1", "-jvmArgsAppend", "-Xmx2g", "RankBench.call", "org.conv4j.bench.jmh.Rank3dBench",
            "RankBench|Rank3dBench", "-p", "layer=wavenet-d1"};
        assertArrayEquals(rank, BenchMain.rewrite(rank, FOUND));
    }

    @Test
    void fillsTheBackendsWhenAnotherBenchmarkIsSelectedToo() {
        assertArrayEquals(new String[] {"RankBench", "ConvBench", "-p", "backend=naive,im2col,nd4j"},
                BenchMain.rewrite(new String[] {"RankBench", "ConvBench"}, FOUND));
        assertArrayEquals(new String[] {"RankBench|ConvBench", "-p", "backend=naive,im2col,nd4j"},
                BenchMain.rewrite(new String[] {"RankBench|ConvBench"}, FOUND));
        assertArrayEquals(new String[] {"-i", "3", "-p", "backend=naive,im2col,nd4j"},
                BenchMain.rewrite(new String[] {"-i", "3"}, FOUND));
    }

    @Test
    void leavesListingCommandsAlone() {
        assertArrayEquals(new String[] {"-l"}, BenchMain.rewrite(new String[] {"-l"}, FOUND));
        assertArrayEquals(new String[] {"-h"}, BenchMain.rewrite(new String[] {"-h"}, FOUND));
    }

    @Test
    void unknownShapeFailsBeforeJmhStarts() {
        assertThrows(IllegalArgumentException.class,
                () -> BenchMain.rewrite(new String[] {"-p", "shape=nope"}, FOUND));
    }
}
