package org.conv4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ParallelChunksTest {

    private static final int PROCESSORS = Runtime.getRuntime().availableProcessors();

    @Test
    void belowTwoChunksTheCallingThreadDoesItAll() {
        assertEquals(1, ParallelChunks.count(0));
        assertEquals(1, ParallelChunks.count(2L * ParallelChunks.MIN_FLOATS - 1));
    }

    @Test
    void oneChunkPerMinFloatsAtMostOnePerProcessor() {
        assertEquals(Math.min(PROCESSORS, 2), ParallelChunks.count(2L * ParallelChunks.MIN_FLOATS));
        assertEquals(Math.min(PROCESSORS, 3), ParallelChunks.count(3L * ParallelChunks.MIN_FLOATS + 5));
        assertEquals(PROCESSORS, ParallelChunks.count(Long.MAX_VALUE));
    }

    @Test
    void chunksCoverTheRangeInOrderWithoutGaps() {
        for (int length : new int[] {0, 1, 7, 1 << 20, Integer.MAX_VALUE}) {
            for (int chunks = 1; chunks <= 5; chunks++) {
                assertEquals(0, ParallelChunks.start(length, 0, chunks));
                assertEquals(length, ParallelChunks.start(length, chunks, chunks));
                for (int c = 0; c < chunks; c++) {
                    long size = (long) ParallelChunks.start(length, c + 1, chunks)
                            - ParallelChunks.start(length, c, chunks);
                    assertTrue(size >= length / chunks && size <= length / chunks + 1L, length + "/" + chunks);
                }
            }
        }
    }
}
