package org.conv4j.bench.calibrate;

import org.conv4j.api.ConvPass;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvShape;
import org.conv4j.spi.CostProfile;
import org.conv4j.bench.BackendContender;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.Contender;
import org.conv4j.bench.MeasuredPasses;
import org.conv4j.bench.Network;
import org.conv4j.bench.Problem;
import org.conv4j.bench.ShapeCatalog;

/**
 * {@code java -jar conv-bench.jar fit [--shapes SEL] [--backends LIST] [--out FILE] [--timings CSV]}: times every
 * backend on every selected layer (forward and backward, heap NCHW, the fastest of a few warm calls; the timings
 * are saved to {@code CSV}, default {@code conv4j-timings.csv}), refits each {@link CostProfile} model the
 * backends name ({@link ConvBackend#costModel}) with {@link ModelFit}, fits a correction of the other backends'
 * own estimates ({@link CostProfile#estimate}), keeps the refitted values that make the estimates choose better on
 * the timed layers ({@link #keptForChoosing}), and writes them into {@code FILE} (default {@value
 * ProfileFile#DEFAULT_NAME}), keeping the machine figures a {@code calibrate} wrote there. It then prints, per
 * network and pass, what choosing by the estimates costs: the sum of the per-layer fastest backends' times
 * against the sum of the times of the backends the estimates pick, with the profile before and after the fit
 * (each layer weighted by its occurrences), and the layers picked worst. {@code --from CSV} refits saved timings
 * without measuring; with {@code --no-fit} it only judges the profile in use (or, with {@code --shipped-avx512},
 * the one shipped for AVX-512 hosts) on them. Run it alone on the machine; the default selection, the five
 * networks at batch 1 plus the catalogue's small and large-kernel layers, takes about ten minutes on 2 cores.
 */
public final class Fit {

    /**
     * Warm-up per case, the longer warm-up of each backend's first case (the JIT compiles its kernels then: a
     * backend timed after a short first warm-up measured up to 10x slower than later), and the cap on a case's
     * timed calls.
     */
    private static final long WARM_UP_NANOS = 300_000_000L;
    private static final long FIRST_WARM_UP_NANOS = 3_000_000_000L;
    private static final long CASE_NANOS = 1_500_000_000L;
    private static final int REPS = 5;

    /** The default selection: whole networks at batch 1, the small layers and the large-kernel layers. */
    static final String DEFAULT_SHAPES = "networks-b1,small-6x6x10,single-channel-2x2,large-kernel";

    private Fit() {
    }

    /** One backend's fastest time on one layer and pass, with the model its estimate uses. */
    record Timing(String backend, String model, BenchShape shape, ConvPass pass, double nanos) {
    }

    public static void main(String[] args) throws IOException {
        String shapes = DEFAULT_SHAPES;
        String backends = null;
        Path out = Path.of(ProfileFile.DEFAULT_NAME);
        Path timingsFile = Path.of("conv4j-timings.csv");
        boolean remeasure = true;
        boolean refit = true;
        boolean asAvx512 = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--shapes" -> shapes = value(args, ++i);
                case "--backends" -> backends = value(args, ++i);
                case "--out" -> out = Path.of(value(args, ++i));
                case "--timings" -> timingsFile = Path.of(value(args, ++i));
                case "--no-fit" -> refit = false;
                case "--shipped-avx512" -> asAvx512 = true;
                case "--from" -> {
                    timingsFile = Path.of(value(args, ++i));
                    remeasure = false;
                }
                default -> {
                    System.err.println("fit: unknown argument " + args[i] + "; usage: fit [--shapes SEL]"
                            + " [--backends a,b] [--out FILE] [--timings CSV | --from CSV] [--no-fit]"
                            + " [--shipped-avx512]");
                    System.exit(2);
                }
            }
        }
        List<ConvBackend> chosen = new ArrayList<>();
        for (ConvBackend b : Conv2d.backends()) {
            if (!b.isReference() && (backends == null || List.of(backends.split(",")).contains(b.name()))) {
                chosen.add(b);
            }
        }
        System.out.println("fit: host " + Calibrate.host() + "; profile " + CostProfile.current().source());
        List<Timing> timings;
        if (remeasure) {
            timings = measure(ShapeCatalog.select(shapes), chosen);
            writeTimings(timingsFile, timings);
            System.out.println("timings written to " + timingsFile.toAbsolutePath());
        } else {
            timings = readTimings(timingsFile, chosen);
            System.out.println(timings.size() + " timings read from " + timingsFile.toAbsolutePath());
        }

        if (!refit) {
            // Judge the profile in use (e.g. one fitted on other layers), or the one shipped for AVX-512 hosts, on
            // these timings, without changing it.
            CostProfile judged = asAvx512 ? CostProfile.load(CostProfile.shipped(new org.conv4j.spi.CpuInfo("", "",
                    java.util.Set.of("avx512f"))), null) : CostProfile.current();
            printRegret(Cases.of(timings, chosen), judged, judged);
            return;
        }
        Map<String, String> fileValues = ProfileFile.read(out);
        CostProfile before = CostProfile.current();
        // Each refitted model, or correction of a backend's own estimate, is one group of values.
        Map<String, Map<String, String>> groups = new TreeMap<>();
        Map<String, List<ModelFit.Sample>> byModel = new TreeMap<>();
        for (Timing t : timings) {
            if (t.model() != null) {
                byModel.computeIfAbsent(t.model(), m -> new ArrayList<>())
                        .add(new ModelFit.Sample(t.shape().geometry(), t.pass(), t.nanos()));
            }
        }
        // Fit against this file's machine figures where it has them: the models' efficiencies are relative to them.
        CostProfile base = before.with(machineValues(fileValues));
        for (Map.Entry<String, List<ModelFit.Sample>> e : byModel.entrySet()) {
            ModelFit.Result r = ModelFit.fit(base, e.getKey(), e.getValue());
            groups.put(r.model(), r.values());
            System.out.printf(Locale.ROOT, "model %-30s %3d samples, median error %5.1f%% -> %5.1f%%%n", r.model(),
                    r.samples(), 100 * r.errorBefore(), 100 * r.errorAfter());
        }
        // Backends whose estimate is their own kind of model: a correction of it per pass.
        Map<String, List<Timing>> unmodelled = new TreeMap<>();
        for (Timing t : timings) {
            if (t.model() == null) {
                unmodelled.computeIfAbsent(t.backend() + "." + t.pass().label(), k -> new ArrayList<>()).add(t);
            }
        }
        Cases cases = Cases.of(timings, chosen);
        for (Map.Entry<String, List<Timing>> e : unmodelled.entrySet()) {
            List<Timing> ts = e.getValue();
            double[] own = new double[ts.size()];
            double[] measured = new double[ts.size()];
            for (int i = 0; i < own.length; i++) {
                Timing t = ts.get(i);
                own[i] = cases.backends().get(t.backend()).estimateNanos(t.shape().geometry(), t.pass());
                measured[i] = t.nanos();
            }
            ModelFit.Result r = ModelFit.fitCorrection(e.getKey(), own, measured);
            groups.put(r.model(), r.values());
            System.out.printf(Locale.ROOT, "estimate %-27s %3d samples, median error %5.1f%% -> %5.1f%% %s%n",
                    r.model(), r.samples(), 100 * r.errorBefore(), 100 * r.errorAfter(), r.values());
        }
        Map<String, String> fitted = keptForChoosing(groups, cases, base);
        fileValues.putAll(fitted);
        ProfileFile.write(out, fileValues, "backend models by conv-bench fit --shapes " + shapes);
        System.out.println("written to " + out.toAbsolutePath());
        CostProfile after = base.with(fitted);
        printRegret(cases, before, after);
    }

    /**
     * The refitted groups that make choosing better. A model fitted for the smallest relative error can still
     * choose worse: two backends within a few percent of each other on a layer swap places when one's error
     * shrinks on other layers. So candidates are tried one at a time, twice over (all groups together, each
     * backend's groups, each group), and a candidate is kept only if it lowers {@link #choosingCost} on the timed
     * layers; what no kept candidate covers keeps its previous values.
     */
    static Map<String, String> keptForChoosing(Map<String, Map<String, String>> groups, Cases cases,
                                               CostProfile base) {
        Map<String, String> kept = new TreeMap<>();
        // Candidates: every group, each backend's groups together (its models trade places with each other), and
        // all of them; the larger ones first.
        Map<String, Map<String, String>> left = new LinkedHashMap<>();
        Map<String, String> all = new TreeMap<>();
        Map<String, Map<String, String>> perBackend = new TreeMap<>();
        groups.forEach((name, values) -> {
            all.putAll(values);
            perBackend.computeIfAbsent(name.substring(0, name.indexOf('.') < 0 ? name.length() : name.indexOf('.')),
                    b -> new TreeMap<>()).putAll(values);
        });
        left.put("(every model)", all);
        perBackend.forEach((b, values) -> left.put(b + ".*", values));
        left.putAll(groups);
        double cost = choosingCost(cases, base);
        System.out.printf(Locale.ROOT, "choosing cost with the previous values: %.4f%n", cost);
        for (int round = 0; round < 2; round++) {
            for (java.util.Iterator<Map.Entry<String, Map<String, String>>> it = left.entrySet().iterator();
                 it.hasNext(); ) {
                Map.Entry<String, Map<String, String>> g = it.next();
                Map<String, String> trial = new TreeMap<>(kept);
                trial.putAll(g.getValue());
                double c = choosingCost(cases, base.with(trial));
                if (c < cost - 1e-9) {
                    System.out.printf(Locale.ROOT, "kept     %-44s choosing cost %.4f -> %.4f%n", g.getKey(), cost, c);
                    kept = trial;
                    cost = c;
                    it.remove();
                }
            }
        }
        left.forEach((name, values) -> System.out.printf(Locale.ROOT,
                "not kept %-44s (would not lower the choosing cost)%n", name));
        return kept;
    }

    /**
     * What choosing by {@code profile}'s estimates costs on the timings, in the terms of the selection targets:
     * per network and pass, the log of the picked backends' total time over the fastest backends' total (layers
     * weighted by occurrence), plus, for every timed case, the log of how far its pick exceeds 1.5x the fastest.
     * Zero when every pick is the fastest.
     */
    static double choosingCost(Cases cases, CostProfile profile) {
        Map<List<Timing>, Double> ratioOf = new java.util.HashMap<>();
        double cost = 0;
        for (List<Timing> c : cases.byCase().values()) {
            double ratio = cases.picked(c, profile).nanos() / fastest(c);
            ratioOf.put(c, ratio);
            cost += Math.max(0, Math.log(ratio / WORST_LAYER_TARGET));
        }
        for (Network net : ShapeCatalog.networks()) {
            for (ConvPass pass : MeasuredPasses.ALL) {
                double best = 0;
                double picked = 0;
                for (Network.Layer layer : net.layers()) {
                    List<Timing> c = cases.of(layer.shape(), pass);
                    if (!c.isEmpty()) {
                        best += layer.count() * fastest(c);
                        picked += layer.count() * fastest(c) * ratioOf.get(c);
                    }
                }
                if (best > 0) {
                    cost += Math.log(picked / best);
                }
            }
        }
        return cost;
    }

    /** The selection target for a single layer: its pick at most this much slower than the fastest backend. */
    static final double WORST_LAYER_TARGET = 1.5;

    /** The timings as CSV: shape, pass, backend, nanoseconds. */
    static void writeTimings(Path file, List<Timing> timings) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("shape,pass,backend,nanos");
        for (Timing t : timings) {
            lines.add(t.shape().name() + "," + t.pass().label() + "," + t.backend() + ","
                    + String.format(Locale.ROOT, "%.0f", t.nanos()));
        }
        java.nio.file.Files.write(file, lines, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Timings written by {@link #writeTimings}, of the backends given; the models are asked again. */
    static List<Timing> readTimings(Path file, List<ConvBackend> backends) throws IOException {
        Map<String, ConvBackend> byName = new LinkedHashMap<>();
        backends.forEach(b -> byName.put(b.name(), b));
        List<Timing> out = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8)) {
            String[] f = line.split(",");
            if (f.length != 4 || f[0].equals("shape") || !byName.containsKey(f[2])) {
                continue;
            }
            BenchShape shape = ShapeCatalog.byName(f[0]);
            ConvPass pass = MeasuredPasses.parse(f[1]);
            ConvBackend b = byName.get(f[2]);
            out.add(new Timing(b.name(), b.costModel(shape.geometry(), pass), shape, pass,
                    Double.parseDouble(f[3])));
        }
        return out;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + ": expected a value");
        }
        return args[i];
    }

    private static Map<String, String> machineValues(Map<String, String> file) {
        Map<String, String> m = new LinkedHashMap<>();
        file.forEach((k, v) -> {
            if (k.startsWith("machine.")) {
                m.put(k, v);
            }
        });
        return m;
    }

    /** Times every backend that supports each case; backends that fail on a case are left out of it. */
    static List<Timing> measure(List<BenchShape> shapes, List<ConvBackend> backends) {
        List<Timing> out = new ArrayList<>();
        java.util.Set<String> warm = new java.util.HashSet<>();
        for (BenchShape shape : shapes) {
            ConvShape g = shape.geometry();
            for (ConvPass pass : MeasuredPasses.ALL) {
                Problem problem = Problem.of(shape, pass, Problem.DEFAULT_SEED);
                Problem other = Problem.of(shape, pass, Problem.DEFAULT_SEED + 1);
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-44s %-8s", shape.name(),
                        pass.label()));
                for (ConvBackend b : backends) {
                    if (!b.supports(g, pass)) {
                        continue;
                    }
                    Contender c = new BackendContender(b);
                    try (Contender.Run one = c.prepare(problem, pass); Contender.Run two = c.prepare(other, pass)) {
                        double ns = fastest(one, two, warm.add(b.name() + pass) ? FIRST_WARM_UP_NANOS : WARM_UP_NANOS);
                        out.add(new Timing(b.name(), b.costModel(g, pass), shape, pass, ns));
                        line.append(String.format(Locale.ROOT, " %s %.3g ms", b.name(), ns / 1e6));
                    } catch (RuntimeException e) {
                        line.append(' ').append(b.name()).append(" failed (").append(e.getMessage()).append(')');
                    }
                }
                System.out.println(line);
            }
        }
        return out;
    }

    /**
     * The fastest of up to {@link #REPS} calls after the warm-up, fewer where a call is slow. The calls alternate
     * between two problems of the layer with different data, as a network calls a layer once per pass with other
     * layers between: a backend that keeps what it made of the last call's weights (onednn's reordered weights) must
     * not be timed as if they never changed.
     */
    static double fastest(Contender.Run one, Contender.Run two, long warmUpNanos) {
        long start = System.nanoTime();
        int call = 0;
        do {
            (call++ % 2 == 0 ? one : two).run();
        } while (System.nanoTime() - start < warmUpNanos);
        long best = Long.MAX_VALUE;
        long timedStart = System.nanoTime();
        for (int i = 0; i < REPS && (i == 0 || System.nanoTime() - timedStart < CASE_NANOS); i++) {
            Contender.Run run = call++ % 2 == 0 ? one : two;
            long t0 = System.nanoTime();
            run.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    /** Per network and pass: the sum of the fastest backends against the sums of the estimates' picks. */
    static void printRegret(Cases timed, CostProfile before, CostProfile after) {
        System.out.println();
        System.out.println("Choosing by the estimates, per network (layers weighted by occurrence):");
        System.out.printf(Locale.ROOT, "%-22s %-8s %12s %12s %7s %12s %7s %s%n", "network", "pass", "fastest ms",
                "before ms", "ratio", "after ms", "ratio", "worst layer after");
        List<String> mispicks = new ArrayList<>();
        for (Network net : ShapeCatalog.networks()) {
            for (ConvPass pass : MeasuredPasses.ALL) {
                double best = 0;
                double pickedBefore = 0;
                double pickedAfter = 0;
                double worst = 1;
                String worstName = "";
                boolean any = false;
                for (Network.Layer layer : net.layers()) {
                    List<Timing> cases = timed.of(layer.shape(), pass);
                    if (cases.isEmpty()) {
                        continue;
                    }
                    any = true;
                    double fastest = fastest(cases);
                    double b = timed.picked(cases, before).nanos();
                    double a = timed.picked(cases, after).nanos();
                    best += layer.count() * fastest;
                    pickedBefore += layer.count() * b;
                    pickedAfter += layer.count() * a;
                    if (a / fastest > MISPICK_REPORTED) {
                        mispicks.add(String.format(Locale.ROOT, "  %-50s %-8s fastest %s; picked %s (%.2fx); estimates"
                                + " after: %s", layer.shape().name(), pass.label(), fastestName(cases),
                                timed.picked(cases, after).backend(), a / fastest,
                                estimates(cases, timed.backends(), after)));
                    }
                    if (a / fastest > worst) {
                        worst = a / fastest;
                        worstName = layer.shape().name() + " " + String.format(Locale.ROOT, "%.2fx", worst);
                    }
                }
                if (any) {
                    System.out.printf(Locale.ROOT, "%-22s %-8s %12.2f %12.2f %6.2fx %12.2f %6.2fx %s%n", net.name(),
                            pass.label(), best / 1e6, pickedBefore / 1e6, pickedBefore / best, pickedAfter / 1e6,
                            pickedAfter / best, worstName);
                }
            }
        }
        if (!mispicks.isEmpty()) {
            System.out.println();
            System.out.println("Layers where the pick after the fit is more than " + MISPICK_REPORTED
                    + "x the fastest:");
            mispicks.forEach(System.out::println);
        }
    }

    /** Layers whose pick after the fit is this much slower than the fastest are listed. */
    static final double MISPICK_REPORTED = 1.25;

    private static String fastestName(List<Timing> cases) {
        Timing f = cases.stream().min(java.util.Comparator.comparingDouble(Timing::nanos)).orElseThrow();
        return f.backend() + String.format(Locale.ROOT, " %.3g ms", f.nanos() / 1e6);
    }

    private static String estimates(List<Timing> cases, Map<String, ConvBackend> backends, CostProfile profile) {
        StringBuilder sb = new StringBuilder();
        for (Timing t : cases) {
            double e = estimate(t, backends, profile);
            sb.append(String.format(Locale.ROOT, "%s %.3g/%.3g ", t.backend(), e / 1e6, t.nanos() / 1e6));
        }
        return sb.append("(ms estimated/measured)").toString();
    }

    /**
     * The estimate of {@code t}'s call under {@code profile}: its named model's, or the backend's own as the
     * profile corrects it. A backend's own estimate reads the process's profile, so a model under trial is asked
     * of {@code profile} directly.
     */
    private static double estimate(Timing t, Map<String, ConvBackend> backends, CostProfile profile) {
        ConvShape g = t.shape().geometry();
        return t.model() != null ? profile.model(t.model()).nanos(g, t.pass())
                : profile.estimate(backends.get(t.backend()), g, t.pass());
    }

    /**
     * The timings grouped by layer and pass (each group every backend timed on one case), with the timed backends
     * by name: what judging a profile's choices reads, grouped once.
     */
    record Cases(Map<String, List<Timing>> byCase, Map<String, ConvBackend> backends) {

        static Cases of(List<Timing> timings, List<ConvBackend> backends) {
            Map<String, List<Timing>> byCase = new LinkedHashMap<>();
            for (Timing t : timings) {
                byCase.computeIfAbsent(key(t.shape(), t.pass()), k -> new ArrayList<>()).add(t);
            }
            Map<String, ConvBackend> byName = new LinkedHashMap<>();
            backends.forEach(b -> byName.put(b.name(), b));
            return new Cases(byCase, byName);
        }

        /** The timings of one layer and pass; empty if it was not timed. */
        List<Timing> of(BenchShape shape, ConvPass pass) {
            return byCase.getOrDefault(key(shape, pass), List.of());
        }

        /** The timing of the backend {@code profile}'s estimates pick among those timed on a case. */
        Timing picked(List<Timing> timings, CostProfile profile) {
            return Fit.picked(timings, backends, profile);
        }

        private static String key(BenchShape shape, ConvPass pass) {
            return shape.name() + " " + pass.label();
        }
    }

    /** The fastest time among a case's timings. */
    private static double fastest(List<Timing> cases) {
        return cases.stream().mapToDouble(Timing::nanos).min().orElseThrow();
    }

    /** The timing of the backend with the smallest estimate under {@code profile} among those measured. */
    private static Timing picked(List<Timing> cases, Map<String, ConvBackend> backends, CostProfile profile) {
        Timing pick = null;
        double least = Double.POSITIVE_INFINITY;
        for (Timing t : cases) {
            double estimate = estimate(t, backends, profile);
            if (pick == null || estimate < least) {
                pick = t;
                least = estimate;
            }
        }
        return pick;
    }
}
