package org.conv4j.onednn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A bounded least-recently-used map of plans. Thread-safe: lookups and insertions are synchronized; a
 * missing plan is built outside the lock (creating oneDNN primitive descriptors takes milliseconds), and
 * if two threads build the same one, the first stored wins and the other is dropped.
 *
 * <p>An evicted plan is not freed explicitly: a call that took it from the cache may still be running it.
 * Its native objects are freed by JavaCPP when the plan becomes unreachable, that is after the last such
 * call has returned.
 */
final class PlanCache<K, V> {

    private final Map<K, V> map;

    PlanCache(int capacity) {
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        };
    }

    V get(K key, Function<K, V> build) {
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

    int size() {
        synchronized (map) {
            return map.size();
        }
    }
}
