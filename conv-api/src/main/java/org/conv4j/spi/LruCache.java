package org.conv4j.spi;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A bounded least-recently-used map of values that are costly to build and immutable once built: the backends'
 * plans (oneDNN's primitives, the FFT planner's choices, FFT transform tables). Thread-safe: lookups and
 * insertions are synchronized; a missing value is built outside the lock (building may take milliseconds), and if
 * two threads build the same one, the first stored wins and the other is dropped.
 *
 * <p>An evicted value is not freed explicitly: a call that took it from the cache may still be using it. Values
 * that hold native resources free them when they become unreachable (JavaCPP's deallocators), that is after the last
 * such call has returned.
 *
 * @param <K> the key type (with value equality)
 * @param <V> the value type
 */
public final class LruCache<K, V> {

    private final Map<K, V> map;

    /**
     * An empty cache of at most {@code capacity} entries.
     *
     * @param capacity the most entries kept
     * @throws IllegalArgumentException if {@code capacity < 1}
     */
    public LruCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: expected >= 1, got " + capacity);
        }
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        };
    }

    /**
     * The value of {@code key}, built with {@code build} and kept if missing (the least recently used entry leaves
     * when the cache is full).
     *
     * @param key the key
     * @param build makes the value of a key
     * @return the cached or new value
     */
    public V get(K key, Function<K, V> build) {
        synchronized (map) {
            V v = map.get(key);
            if (v != null) {
                return v;
            }
        }
        V built = build.apply(key);
        synchronized (map) {
            V raced = map.putIfAbsent(key, built);
            return raced != null ? raced : built;
        }
    }

    /**
     * The value of {@code key} if the cache holds it (counted as a use), else null.
     *
     * @param key the key
     * @return the cached value, or null
     */
    public V getIfPresent(K key) {
        synchronized (map) {
            return map.get(key);
        }
    }

    /**
     * The number of entries.
     *
     * @return the entry count
     */
    public int size() {
        synchronized (map) {
            return map.size();
        }
    }
}
