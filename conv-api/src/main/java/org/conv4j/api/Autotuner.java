package org.conv4j.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Autotune mode's memory: for each key (pass, geometry, parameters and thread count) the backend that ran
 * fastest on the caller's own data.
 *
 * <p><b>How a key is measured.</b>
 * <ol>
 *   <li>The first call times each eligible backend ({@link BackendSelector#autotuneCandidates}) once, in
 *       estimate order, and returns the fastest one's result: it costs one call of each.</li>
 *   <li>One cold call can mislead: a backend's first call in a JVM loads native libraries and runs
 *       interpreted code, and one noisy call can lose by chance. So the backends within
 *       {@link #FINALIST_RATIO} of the fastest, and every backend timed for the first time in this JVM (its
 *       time is discarded), become finalists; the next calls with the key each run one finalist (the one with
 *       the fewest samples), until each has {@link #SAMPLES} samples. These calls cost at most the finalists'
 *       own time, and each returns that finalist's result.</li>
 *   <li>Then the finalist with the smallest sample wins, and serves the key from then on.</li>
 * </ol>
 *
 * <p><b>Concurrency.</b> The first call with a new key puts an incomplete future in the cache and measures;
 * concurrent calls with the same key wait for it, so a key is measured once. While finalists are sampled, one
 * call at a time takes a sample; concurrent calls run the current best (their times would be disturbed by
 * each other). If the measuring call fails, its entry is removed (the next call measures again) and the
 * waiting calls fall back to the heuristic choice. The cache holds at most {@link #MAX_ENTRIES} keys and
 * forgets the least recently used beyond that (a forgotten key is measured again when it recurs).
 *
 * <p><b>Persistence.</b> With a cache file ({@link AutotuneFile}), settled decisions are loaded on first use
 * and the whole file is rewritten after every new one.
 */
final class Autotuner {

    /** Keys kept; a network has tens of distinct layers, so this only bounds pathological use. */
    static final int MAX_ENTRIES = 4096;

    /**
     * A backend within this factor of the fastest first call is sampled again: first calls vary by up to
     * about 1.5x on a 2-core machine (JIT state, page faults on fresh buffers).
     */
    static final double FINALIST_RATIO = 2.0;

    /** Samples per finalist before the decision, the first call's included. */
    static final int SAMPLES = 3;

    private final Object lock = new Object();
    private final int maxEntries;
    private final LinkedHashMap<PlanKey, CompletableFuture<Tuning>> tunings;
    /** Decisions read from the cache file: key to backend name and measured times, turned into plans lazily. */
    private final Map<String, AutotuneFile.Entry> loaded = new LinkedHashMap<>();
    /** Backends timed at least once in this JVM: the first time's sample is cold and discarded. */
    private final Set<String> warm = ConcurrentHashMap.newKeySet();
    private Path file;
    private List<ConvBackend> fileBackends = List.of();

    Autotuner() {
        this(MAX_ENTRIES);
    }

    Autotuner(int maxEntries) {
        this.maxEntries = maxEntries;
        this.tunings = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<PlanKey, CompletableFuture<Tuning>> eldest) {
                return size() > Autotuner.this.maxEntries;
            }
        };
    }

    /** The autotune key in the cache file: everything a decision depends on, as one line of text. */
    static String key(ConvShape shape, ConvPass pass) {
        return pass.label() + " " + shape + " threads=" + Runtime.getRuntime().availableProcessors();
    }

    /** The same key for the in-memory map. */
    private static PlanKey planKey(ConvShape shape, ConvPass pass) {
        return new PlanKey(shape, pass, Runtime.getRuntime().availableProcessors());
    }

    /** Uses {@code path} as the cache file from now on (null: none), loading the decisions it holds. */
    void useFile(Path path, List<ConvBackend> backends) {
        Map<String, AutotuneFile.Entry> entries = path == null ? Map.of() : AutotuneFile.load(path, backends);
        synchronized (lock) {
            file = path;
            fileBackends = List.copyOf(backends);
            loaded.clear();
            loaded.putAll(entries);
        }
    }

    /** Forgets every decision (not the file). */
    void clear() {
        synchronized (lock) {
            tunings.clear();
            loaded.clear();
        }
    }

    /** The decision for this key so far (settled or still sampling), if the key was measured or loaded; else null. */
    ConvPlan lookup(List<ConvBackend> backends, ConvShape shape, ConvPass pass) {
        CompletableFuture<Tuning> f;
        synchronized (lock) {
            f = find(planKey(shape, pass), backends, shape, pass);
        }
        Tuning t = f == null || !f.isDone() || f.isCompletedExceptionally() ? null : f.join();
        return t == null ? null : t.plan(shape);
    }

    /** The tuning of {@code key}, from memory or the loaded file; null if there is none. Holds the lock. */
    private CompletableFuture<Tuning> find(PlanKey key, List<ConvBackend> backends, ConvShape shape, ConvPass pass) {
        CompletableFuture<Tuning> f = tunings.get(key);
        if (f != null || loaded.isEmpty()) {
            return f;
        }
        AutotuneFile.Entry e = loaded.get(key(shape, pass));
        if (e == null) {
            return null;
        }
        for (ConvBackend b : backends) {
            if (b.name().equals(e.backend()) && b.supports(shape, pass.basis())) {
                f = CompletableFuture.completedFuture(Tuning.settled(key(shape, pass), pass, b, e.measuredNanos()));
                tunings.put(key, f);
                return f;
            }
        }
        return null;
    }

    /**
     * Runs the autotuned backend for this key: {@code call} on it once the key is measured; on the key's first
     * call {@code measure} on each eligible backend, returning the fastest one's result. The result is always
     * the backend's own that produced it.
     */
    <R> R call(List<ConvBackend> backends, ConvShape shape, ConvPass pass, Function<ConvBackend, R> measure,
               Function<ConvBackend, R> call) {
        return call(backends, shape, pass, measure, call, r -> { });
    }

    /**
     * As {@link #call(List, ConvShape, ConvPass, Function, Function)}; every result of the first call that is not
     * the fastest one's is handed to {@code recycle} as soon as it loses (so its memory can serve the next
     * backend timed: fresh memory costs 5-10 us per 4 KiB page on some machines, as much as the call).
     */
    <R> R call(List<ConvBackend> backends, ConvShape shape, ConvPass pass, Function<ConvBackend, R> measure,
               Function<ConvBackend, R> call, java.util.function.Consumer<R> recycle) {
        PlanKey key = planKey(shape, pass);
        CompletableFuture<Tuning> existing;
        CompletableFuture<Tuning> mine = null;
        synchronized (lock) {
            existing = find(key, backends, shape, pass);
            if (existing == null) {
                mine = new CompletableFuture<>();
                tunings.put(key, mine);
            }
        }
        if (mine != null) {
            return firstCall(key, mine, backends, shape, pass, measure, recycle);
        }
        Tuning t = existing.handle((tuning, failure) -> tuning).join();
        if (t == null) {
            return call.apply(BackendSelector.choose(backends, shape, pass).backend());
        }
        ConvBackend sample = t.nextSample();
        if (sample == null) {
            return call.apply(t.best());
        }
        long t0 = System.nanoTime();
        R r;
        try {
            r = call.apply(sample);
        } catch (RuntimeException | Error e) {
            t.sampleFailed(sample);
            throw e;
        }
        if (t.addSample(sample, System.nanoTime() - t0)) {
            save();
        }
        return r;
    }

    private <R> R firstCall(PlanKey key, CompletableFuture<Tuning> mine, List<ConvBackend> backends, ConvShape shape,
                            ConvPass pass, Function<ConvBackend, R> measure, java.util.function.Consumer<R> recycle) {
        try {
            List<ConvBackend> candidates = BackendSelector.autotuneCandidates(
                    BackendSelector.estimates(backends, shape, pass));
            Tuning t = new Tuning(key(shape, pass), pass, candidates);
            R best = null;
            long bestNanos = Long.MAX_VALUE;
            RuntimeException declined = null;
            for (ConvBackend b : candidates) {
                boolean cold = warm.add(b.name());
                long t0 = System.nanoTime();
                R r;
                try {
                    r = measure.apply(b);
                } catch (UnsupportedOperationException e) {
                    // a backend that declines at run time is not eligible; any other exception is a real failure
                    declined = declined == null ? e : declined;
                    t.drop(b);
                    continue;
                }
                long ns = System.nanoTime() - t0;
                t.firstSample(b, ns, cold);
                if (ns < bestNanos) {
                    if (best != null) {
                        recycle.accept(best);
                    }
                    best = r;
                    bestNanos = ns;
                } else {
                    recycle.accept(r);
                }
            }
            if (best == null) {
                throw declined != null ? declined : new IllegalStateException("no backend to autotune for " + shape);
            }
            boolean settled = t.chooseFinalists();
            mine.complete(t);
            if (settled) {
                save();
            }
            return best;
        } catch (RuntimeException | Error e) {
            synchronized (lock) {
                tunings.remove(key, mine);
            }
            mine.completeExceptionally(e);
            throw e;
        }
    }

    /** Rewrites the cache file, if there is one, with every settled decision made or loaded. */
    private void save() {
        Path target;
        List<ConvBackend> backends;
        Map<String, AutotuneFile.Entry> entries = new LinkedHashMap<>();
        synchronized (lock) {
            target = file;
            backends = fileBackends;
            if (target == null) {
                return;
            }
            entries.putAll(loaded);
            tunings.forEach((key, f) -> {
                if (f.isDone() && !f.isCompletedExceptionally()) {
                    Tuning t = f.join();
                    AutotuneFile.Entry e = t.entry();
                    if (e != null) {
                        entries.put(t.fileKey, e);
                    }
                }
            });
        }
        AutotuneFile.save(target, backends, entries);
    }

    /** The samples of one key, guarded by its own monitor. */
    static final class Tuning {
        /** {@link Autotuner#key}, for the cache file. */
        final String fileKey;
        private final ConvPass pass;
        private final List<ConvBackend> candidates;
        private final Map<ConvBackend, List<Long>> samples = new LinkedHashMap<>();
        private final List<ConvBackend> finalists = new ArrayList<>();
        private ConvBackend best;
        private boolean sampling;
        private boolean settled;
        /** Times read from a cache file, shown in the plan; null for a key measured in this JVM. */
        private Map<String, Long> loadedTimes;

        Tuning(String fileKey, ConvPass pass, List<ConvBackend> candidates) {
            this.fileKey = fileKey;
            this.pass = pass;
            this.candidates = new ArrayList<>(candidates);
            for (ConvBackend b : candidates) {
                samples.put(b, new ArrayList<>());
            }
        }

        static Tuning settled(String fileKey, ConvPass pass, ConvBackend b, Map<String, Long> measured) {
            Tuning t = new Tuning(fileKey, pass, List.of(b));
            Long ns = measured.get(b.name());
            t.samples.get(b).add(ns == null ? 0L : ns);
            t.best = b;
            t.settled = true;
            t.loadedTimes = measured;
            return t;
        }

        synchronized void drop(ConvBackend b) {
            candidates.remove(b);
            samples.remove(b);
        }

        /** The first call's time of {@code b}; a cold one (first in this JVM) is not kept. */
        synchronized void firstSample(ConvBackend b, long ns, boolean cold) {
            if (!cold) {
                samples.get(b).add(ns);
            }
        }

        /** Picks the finalists after the first call; true if that settles the key. */
        synchronized boolean chooseFinalists() {
            long fastest = Long.MAX_VALUE;
            for (List<Long> s : samples.values()) {
                if (!s.isEmpty()) {
                    fastest = Math.min(fastest, s.get(0));
                }
            }
            for (Map.Entry<ConvBackend, List<Long>> e : samples.entrySet()) {
                List<Long> s = e.getValue();
                if (s.isEmpty() || s.get(0) <= fastest * FINALIST_RATIO) {
                    finalists.add(e.getKey());
                }
            }
            return update();
        }

        /** The finalist to time next, marked as being sampled; null if settled or another call is sampling. */
        synchronized ConvBackend nextSample() {
            if (settled || sampling) {
                return null;
            }
            ConvBackend next = null;
            for (ConvBackend b : finalists) {
                if (samples.get(b).size() < SAMPLES && (next == null || samples.get(b).size() < samples.get(next).size())) {
                    next = b;
                }
            }
            sampling = next != null;
            return next;
        }

        /** Records a sample; true if it settles the key. */
        synchronized boolean addSample(ConvBackend b, long ns) {
            sampling = false;
            samples.get(b).add(ns);
            return update();
        }

        synchronized void sampleFailed(ConvBackend b) {
            sampling = false;
            finalists.remove(b);
            update();
        }

        /** Recomputes the best (smallest sample); settles when every finalist has its samples. */
        private boolean update() {
            long bestNanos = Long.MAX_VALUE;
            boolean complete = true;
            for (ConvBackend b : finalists) {
                List<Long> s = samples.get(b);
                complete &= s.size() >= SAMPLES;
                long min = min(s);
                if (min < bestNanos) {
                    bestNanos = min;
                    best = b;
                }
            }
            if (best == null) {
                best = finalists.isEmpty() ? candidates.get(0) : finalists.get(0);
            }
            if (complete || finalists.size() <= 1) {
                settled = true;
            }
            return settled;
        }

        synchronized ConvBackend best() {
            return best;
        }

        /** The decision as a plan for {@code shape}. */
        synchronized ConvPlan plan(ConvShape shape) {
            Map<String, Long> measured = loadedTimes != null ? loadedTimes : minima();
            return new ConvPlan(pass, shape, best, ConvPlan.Reason.AUTOTUNED, Map.of(), measured, settled);
        }

        /** The cache file entry, or null while still sampling. */
        synchronized AutotuneFile.Entry entry() {
            return settled ? new AutotuneFile.Entry(best.name(), loadedTimes != null ? loadedTimes : minima()) : null;
        }

        /** Each timed backend's smallest sample, fastest first. */
        private Map<String, Long> minima() {
            List<Map.Entry<String, Long>> list = new ArrayList<>();
            samples.forEach((b, s) -> {
                if (!s.isEmpty()) {
                    list.add(Map.entry(b.name(), min(s)));
                }
            });
            list.sort(Map.Entry.comparingByValue());
            Map<String, Long> m = new LinkedHashMap<>();
            for (Map.Entry<String, Long> e : list) {
                m.put(e.getKey(), e.getValue());
            }
            return Collections.unmodifiableMap(m);
        }

        private static long min(List<Long> s) {
            long m = Long.MAX_VALUE;
            for (long v : s) {
                m = Math.min(m, v);
            }
            return m;
        }
    }
}
