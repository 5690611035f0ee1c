package org.conv4j.spi;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LruCacheTest {

    @Test
    void keepsBuiltValuesAndDropsTheLeastRecentlyUsed() {
        LruCache<Integer, String> cache = new LruCache<>(2);
        AtomicInteger builds = new AtomicInteger();
        String one = cache.get(1, k -> { builds.incrementAndGet(); return "v" + k; });
        assertSame(one, cache.get(1, k -> { builds.incrementAndGet(); return "again"; }));
        cache.get(2, k -> { builds.incrementAndGet(); return "v" + k; });
        cache.get(1, k -> "unused");                  // 1 is now the most recently used
        cache.get(3, k -> { builds.incrementAndGet(); return "v" + k; }); // evicts 2
        assertEquals(2, cache.size());
        assertEquals(3, builds.get());
        assertEquals("v1", cache.get(1, k -> "rebuilt"));
        assertEquals("rebuilt", cache.get(2, k -> "rebuilt"));
        assertThrows(IllegalArgumentException.class, () -> new LruCache<Integer, String>(0));
    }
}
