package org.conv4j.internal;

import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvPlan;
import org.conv4j.api.ConvShape;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Autotune mode's memory: for each key (pass, geometry, parameters and thread count) the backend that ran
 * fastest on the caller's own data, found as the GPU frameworks' "find" mode does. It serves every rank: a
 * geometry is a {@link Selectable} ({@link ConvShape} for 1D and 2D, {@link Conv3dShape} for 3D).
 *
 * <p><b>What each call does.</b>
 * <ol>
 *   <li><b>First call with a key</b> (find): each eligible backend ({@link BackendSelector#autotuneCandidates}:
 *       the estimate filter skips any whose estimate is more than
 *       {@link BackendSelector#AUTOTUNE_MAX_ESTIMATE_RATIO} times the best one's) is timed once, in estimate order,
 *       and the call returns the fastest one's result. A backend this tuner has never called (class loading,
 *       native libraries, interpreted code) first gets one untimed call. So, with the backends warm, the first
 *       call costs one call of each eligible backend.</li>
 *   <li><b>Decision.</b> Every backend whose fastest time is more than {@link #RECHECK_RATIO} times the best
 *       backend's is out for good: it is never called again for this key. If one backend is left, it is
 *       settled.</li>
 *   <li><b>Re-checks</b> (the next calls, while more than one backend is left): one timed call is too few to
 *       separate backends within a machine's noise, so each call runs the backend left with the fewest samples
 *       and returns its result, until every one left has {@link #SAMPLES} samples; after each sample the rule of
 *       step 2 is applied again. Each such call costs at most {@link #RECHECK_RATIO} times the best time.</li>
 *   <li><b>Settled</b>: the backend left with the smallest sample serves the key from then on, found in a
 *       concurrent map ({@link #decided(List, ConvShape, ConvPass)}) with no lock and no timing, so that a call
 *       costs what it costs in default mode.</li>
 * </ol>
 * So the timing work is bounded, whatever the layer's size: the first call costs one call of each eligible
 * backend (plus one untimed call per backend per tuner), each re-check at most {@link #RECHECK_RATIO} times the
 * best time, and there are at most {@code SAMPLES - 1} re-checks per backend left.
 * Time comes from an injectable nanosecond clock, so that the rules can be tested deterministically.
 *
 * <p><b>Concurrency.</b> The first call with a new key puts an incomplete future in the cache and measures;
 * concurrent calls with the same key wait for it, so a key is measured once. During re-checks one call at a
 * time takes a sample; concurrent calls run the current best (their times would be disturbed by each other).
 * If the measuring call fails, its entry is removed (the next call measures again) and the waiting calls fall
 * back to the heuristic choice. A backend that throws {@link UnsupportedOperationException} while timed is out
 * for the key. The cache holds at most {@link #MAX_ENTRIES} keys and forgets the least recently used beyond
 * that (a forgotten key is measured again when it recurs).
 *
 * <p><b>Persistence.</b> With a cache file ({@link AutotuneFile}), settled decisions are loaded on first use
 * and the whole file is rewritten after every new one.
 */
public final class Autotuner {

    /** Keys kept; a network has tens of distinct layers, so this only bounds pathological use. */
    static final int MAX_ENTRIES = 4096;

    /**
     * The noise band: a backend within this factor of the best time is re-checked, one beyond it is never called
     * again for the key. Single calls of one backend on one layer vary by up to about 1.5x on a shared machine
     * (JIT state, page faults on fresh buffers, other work), so a wider gap is a real difference and a narrower one
     * needs more samples.
     */
    static final double RECHECK_RATIO = 1.5;

    /** Timed calls per backend left before the decision, the first call's included. */
    static final int SAMPLES = 3;

    private final Object lock = new Object();
    private final int maxEntries;
    private final LongSupplier clock;
    private final int threads = Runtime.getRuntime().availableProcessors();
    private final LinkedHashMap<TuneKey, CompletableFuture<Tuning>> tunings;
    /** Settled keys and their backend, read without a lock on every call; a subset of {@link #tunings}' keys. */
    private final ConcurrentHashMap<TuneKey, ConvBackend> settledBackends = new ConcurrentHashMap<>();
    /** Decisions read from the cache file: key to backend name and measured times, turned into plans lazily. */
    private final Map<String, AutotuneFile.Entry> loaded = new LinkedHashMap<>();
    /** Whether {@link #loaded} holds decisions, read without the lock by {@link #decided(List, ConvShape, ConvPass)}. */
    private volatile boolean fileDecisions;
    /** Backends called at least once by this tuner: a backend's very first call is not timed. */
    private final Set<String> warm = ConcurrentHashMap.newKeySet();
    private Path file;
    private List<ConvBackend> fileBackends = List.of();

    public Autotuner() {
        this(MAX_ENTRIES);
    }

    public Autotuner(int maxEntries) {
        this(maxEntries, System::nanoTime);
    }

    /**
     * A tuner that keeps at most {@code maxEntries} keys and reads time from {@code clock} (nanoseconds, as
     * {@link System#nanoTime()}; tests pass a fake one).
     */
    public Autotuner(int maxEntries, LongSupplier clock) {
        this.maxEntries = maxEntries;
        this.clock = clock;
        this.tunings = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<TuneKey, CompletableFuture<Tuning>> eldest) {
                if (size() <= Autotuner.this.maxEntries) {
                    return false;
                }
                settledBackends.remove(eldest.getKey());
                return true;
            }
        };
    }

    /** The autotune key in the cache file: everything a decision depends on, as one line of text. */
    static String key(ConvShape shape, ConvPass pass) {
        return key(new Selectable.Planar(shape), pass);
    }

    private static String key(Selectable shape, ConvPass pass) {
        return pass.label() + " " + shape + " threads=" + Runtime.getRuntime().availableProcessors();
    }

    /** The same key for the in-memory maps. */
    private TuneKey planKey(Selectable shape, ConvPass pass) {
        return new TuneKey(shape, pass, threads);
    }

    /** A key of the in-memory maps: the geometry of any rank, the pass and the thread count. */
    private record TuneKey(Selectable shape, ConvPass pass, int threads) {
    }

    /** Uses {@code path} as the cache file from now on (null: none), loading the decisions it holds. */
    public void useFile(Path path, List<ConvBackend> backends) {
        Map<String, AutotuneFile.Entry> entries = path == null ? Map.of() : AutotuneFile.load(path, backends);
        synchronized (lock) {
            file = path;
            fileBackends = List.copyOf(backends);
            loaded.clear();
            loaded.putAll(entries);
            fileDecisions = !loaded.isEmpty();
            settledBackends.clear();
        }
    }

    /** Forgets every decision (not the file). */
    public void clear() {
        synchronized (lock) {
            tunings.clear();
            loaded.clear();
            fileDecisions = false;
            settledBackends.clear();
        }
    }

    /**
     * The settled backend of this key, measured or loaded from the cache file; null while the key is not
     * measured yet or still re-checked. The call of a settled key looks here only: one lookup in a concurrent
     * map, as default mode's cached estimate.
     */
    public ConvBackend decided(List<ConvBackend> backends, ConvShape shape, ConvPass pass) {
        return decided(backends, new Selectable.Planar(shape), pass);
    }

    /** As {@link #decided(List, ConvShape, ConvPass)}, for a geometry of any rank. */
    public ConvBackend decided(List<ConvBackend> backends, Selectable shape, ConvPass pass) {
        TuneKey key = planKey(shape, pass);
        ConvBackend b = settledBackends.get(key);
        if (b != null || !fileDecisions) {
            return b;
        }
        synchronized (lock) {
            CompletableFuture<Tuning> f = find(key, backends, shape, pass);
            Tuning t = f == null || !f.isDone() || f.isCompletedExceptionally() ? null : f.join();
            return t == null ? null : t.settledBackend();
        }
    }

    /** The decision for this key so far (settled or still re-checking), if the key was measured or loaded; else null. */
    public ConvPlan lookup(List<ConvBackend> backends, ConvShape shape, ConvPass pass) {
        CompletableFuture<Tuning> f;
        Selectable planar = new Selectable.Planar(shape);
        synchronized (lock) {
            f = find(planKey(planar, pass), backends, planar, pass);
        }
        Tuning t = f == null || !f.isDone() || f.isCompletedExceptionally() ? null : f.join();
        return t == null ? null : t.plan(shape);
    }

    /** The tuning of {@code key}, from memory or the loaded file; null if there is none. Holds the lock. */
    private CompletableFuture<Tuning> find(TuneKey key, List<ConvBackend> backends, Selectable shape, ConvPass pass) {
        CompletableFuture<Tuning> f = tunings.get(key);
        if (f != null || loaded.isEmpty()) {
            return f;
        }
        AutotuneFile.Entry e = loaded.get(key(shape, pass));
        if (e == null) {
            return null;
        }
        for (ConvBackend b : backends) {
            if (b.name().equals(e.backend()) && shape.supportedBy(b, pass)) {
                f = CompletableFuture.completedFuture(Tuning.settled(key(shape, pass), pass, b, e.measuredNanos()));
                tunings.put(key, f);
                remember(key, b);
                return f;
            }
        }
        return null;
    }

    /**
     * Records a settled key for {@link #decided}, if its tuning is still kept (it is forgotten with it, see the
     * constructor). Holds the lock.
     */
    private void remember(TuneKey key, ConvBackend b) {
        if (tunings.containsKey(key)) {
            settledBackends.put(key, b);
        }
    }

    /**
     * Runs the autotuned backend for this key: {@code call} on it once the key is settled; on the key's first
     * call {@code measure} on each eligible backend, returning the fastest one's result. The result is always
     * the backend's own that produced it.
     */
    public <R> R call(List<ConvBackend> backends, ConvShape shape, ConvPass pass, Function<ConvBackend, R> measure,
                      Function<ConvBackend, R> call) {
        return call(backends, shape, pass, measure, call, r -> { });
    }

    /**
     * As {@link #call(List, ConvShape, ConvPass, Function, Function)}; every result of the first call that is not
     * returned is handed to {@code recycle} as soon as it is not needed (so its memory can serve the next backend
     * timed: fresh memory costs 5-10 us per 4 KiB page on some machines, as much as the call).
     */
    public <R> R call(List<ConvBackend> backends, ConvShape shape, ConvPass pass, Function<ConvBackend, R> measure,
                      Function<ConvBackend, R> call, Consumer<R> recycle) {
        return call(backends, new Selectable.Planar(shape), pass, measure, call, recycle);
    }

    /** As {@link #call(List, ConvShape, ConvPass, Function, Function, Consumer)}, for a geometry of any rank. */
    public <R> R call(List<ConvBackend> backends, Selectable shape, ConvPass pass, Function<ConvBackend, R> measure,
                      Function<ConvBackend, R> call, Consumer<R> recycle) {
        TuneKey key = planKey(shape, pass);
        ConvBackend settled = settledBackends.get(key);
        if (settled != null) {
            return call.apply(settled);
        }
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
            return call.apply(BackendSelector.best(backends, shape, pass));
        }
        ConvBackend sample = t.nextSample();
        if (sample == null) {
            return call.apply(t.best());
        }
        long t0 = clock.getAsLong();
        R r;
        try {
            r = call.apply(sample);
        } catch (UnsupportedOperationException e) {
            // declined at run time: out for this key, and this call runs the best instead
            settledBy(key, t, t.drop(sample));
            return call.apply(t.best());
        } catch (RuntimeException | Error e) {
            t.sampleFailed(sample);
            throw e;
        }
        settledBy(key, t, t.addSample(sample, clock.getAsLong() - t0));
        return r;
    }

    /** If {@code settled}, records the decision and rewrites the cache file. */
    private void settledBy(TuneKey key, Tuning t, boolean settled) {
        if (settled) {
            synchronized (lock) {
                remember(key, t.best());
            }
            save();
        }
    }

    private <R> R firstCall(TuneKey key, CompletableFuture<Tuning> mine, List<ConvBackend> backends, Selectable shape,
                            ConvPass pass, Function<ConvBackend, R> measure, Consumer<R> recycle) {
        try {
            List<ConvBackend> candidates = BackendSelector.autotuneCandidates(
                    BackendSelector.estimates(backends, shape, pass, b -> 0));
            Tuning t = new Tuning(key(shape, pass), pass, candidates);
            R best = null;
            long bestNanos = Long.MAX_VALUE;
            RuntimeException declined = null;
            for (ConvBackend b : candidates) {
                R r;
                long ns;
                try {
                    if (warm.add(b.name())) {
                        recycle.accept(measure.apply(b)); // the backend's first call here: loading, not its speed
                    }
                    long t0 = clock.getAsLong();
                    r = measure.apply(b);
                    ns = clock.getAsLong() - t0;
                } catch (UnsupportedOperationException e) {
                    // a backend that declines at run time is not eligible; any other exception is a real failure
                    declined = declined == null ? e : declined;
                    t.decline(b);
                    continue;
                }
                t.firstSample(b, ns);
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
            boolean settled = t.decide();
            mine.complete(t);
            settledBy(key, t, settled);
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

    /**
     * The samples of one key, guarded by its own monitor: the backends still in the running ({@code left}, in
     * estimate order) and every timed call of every backend timed.
     */
    static final class Tuning {
        /** {@link Autotuner#key}, for the cache file. */
        final String fileKey;
        private final ConvPass pass;
        private final List<ConvBackend> left;
        private final Map<ConvBackend, List<Long>> samples = new LinkedHashMap<>();
        private ConvBackend best;
        private boolean sampling;
        private boolean settled;
        /** Times read from a cache file, shown in the plan; null for a key measured in this JVM. */
        private Map<String, Long> loadedTimes;

        Tuning(String fileKey, ConvPass pass, List<ConvBackend> candidates) {
            this.fileKey = fileKey;
            this.pass = pass;
            this.left = new ArrayList<>(candidates);
        }

        static Tuning settled(String fileKey, ConvPass pass, ConvBackend b, Map<String, Long> measured) {
            Tuning t = new Tuning(fileKey, pass, List.of(b));
            Long ns = measured.get(b.name());
            t.samples.put(b, new ArrayList<>(List.of(ns == null ? 0L : ns)));
            t.best = b;
            t.settled = true;
            t.loadedTimes = measured;
            return t;
        }

        /** Takes {@code b} out of the running during the first call (it declined the shape at run time). */
        synchronized void decline(ConvBackend b) {
            left.remove(b);
        }

        /** Takes {@code b} out of the running during the re-checks (it declined the shape); true if that settles the key. */
        synchronized boolean drop(ConvBackend b) {
            sampling = false;
            left.remove(b);
            return !left.isEmpty() && update();
        }

        /** The first call's time of {@code b}. */
        synchronized void firstSample(ConvBackend b, long ns) {
            samples.computeIfAbsent(b, k -> new ArrayList<>()).add(ns);
        }

        /** Applies the rules after the first call; true if that settles the key. */
        synchronized boolean decide() {
            left.removeIf(b -> !samples.containsKey(b));
            return update();
        }

        /** The backend left to time next, marked as being sampled; null if settled or another call is sampling. */
        synchronized ConvBackend nextSample() {
            if (settled || sampling) {
                return null;
            }
            ConvBackend next = null;
            for (ConvBackend b : left) {
                int n = samples.get(b).size();
                if (n < SAMPLES && (next == null || n < samples.get(next).size())) {
                    next = b;
                }
            }
            sampling = next != null;
            return next;
        }

        /** Records a re-check's time; true if it settles the key. */
        synchronized boolean addSample(ConvBackend b, long ns) {
            sampling = false;
            samples.get(b).add(ns);
            return update();
        }

        synchronized void sampleFailed(ConvBackend b) {
            sampling = false;
            left.remove(b);
            if (!left.isEmpty()) {
                update();
            }
        }

        /**
         * The best is the backend left with the smallest sample; a backend beyond {@link #RECHECK_RATIO} of it is
         * out; the key settles when one backend is left or each has {@link #SAMPLES} samples.
         */
        private boolean update() {
            long bestNanos = Long.MAX_VALUE;
            for (ConvBackend b : left) {
                long min = min(samples.get(b));
                if (min < bestNanos) {
                    bestNanos = min;
                    best = b;
                }
            }
            double limit = bestNanos * RECHECK_RATIO;
            left.removeIf(b -> min(samples.get(b)) > limit);
            boolean complete = true;
            for (ConvBackend b : left) {
                complete &= samples.get(b).size() >= SAMPLES;
            }
            settled |= complete || left.size() <= 1;
            return settled;
        }

        synchronized ConvBackend best() {
            return best;
        }

        /** The best backend if the key is settled, else null. */
        synchronized ConvBackend settledBackend() {
            return settled ? best : null;
        }

        /** The backends still in the running, in estimate order. */
        synchronized List<ConvBackend> left() {
            return List.copyOf(left);
        }

        /** The decision as a plan for {@code shape}. */
        synchronized ConvPlan plan(ConvShape shape) {
            Map<String, Long> measured = loadedTimes != null ? loadedTimes : minima();
            return new ConvPlan(pass, shape, best, ConvPlan.Reason.AUTOTUNED, Map.of(), measured, settled);
        }

        /** The cache file entry, or null while still re-checking. */
        synchronized AutotuneFile.Entry entry() {
            return settled ? new AutotuneFile.Entry(best.name(), loadedTimes != null ? loadedTimes : minima()) : null;
        }

        /** Each timed backend's smallest sample, fastest first. */
        private Map<String, Long> minima() {
            List<Map.Entry<String, Long>> list = new ArrayList<>();
            samples.forEach((b, s) -> list.add(Map.entry(b.name(), min(s))));
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
