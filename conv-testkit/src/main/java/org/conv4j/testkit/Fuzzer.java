package org.conv4j.testkit;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.TransposedShape;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Differential fuzzing of every backend against the {@code naive} reference, one {@link FuzzCase} at a time:
 * the same call on the reference and on each contender (every backend on the class path, and the {@code Conv2d}
 * facade as {@code facade}) must give the same tensors within {@link #TOLERANCE} (as {@link Agreement} compares:
 * non-finite values exactly), leave its inputs unchanged, and, where the reference rejects the call, reject it with
 * the same exception type. A backend may decline a call with {@link UnsupportedOperationException} only where its
 * {@link ConvBackend#supports} says it does not serve the shape.
 *
 * <p>A native crash kills the JVM that runs the fuzzer, so it runs in a child JVM ({@link FuzzRun}); before every
 * call it writes the case number and the contender into a small memory-mapped progress file, which the parent
 * reads after a crash (the kernel keeps a mapped page's writes when the process dies).
 *
 * <p>Command line (the child's): {@code Fuzzer runSeed firstIndex seconds maxCases progressFile}; case {@code i}
 * of a run has seed {@link #caseSeed(long, long) caseSeed(runSeed, i)}. It prints one line per failure, starting
 * with {@value #FAILURE}, and a last line starting with {@value #SUMMARY}.
 */
public final class Fuzzer {

    /**
     * Tolerance relative to the reference's largest magnitude (and the largest term), as the kit's default; a
     * backend class with a public static float {@code TOLERANCE} field (its conformance tolerance) is held to that.
     */
    public static final float TOLERANCE = 1e-5f;


    /** Prefix of a failure line. */
    public static final String FAILURE = "FUZZ FAILURE ";
    /** Prefix of the summary line. */
    public static final String SUMMARY = "FUZZ SUMMARY ";
    /** The facade's name among the contenders. */
    public static final String FACADE = "facade";

    private final ConvBackend reference;
    private final List<ConvBackend> contenders = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private long layers;
    private long rejected;
    private long calls;
    private long declined;

    /**
     * A fuzzer over the contenders named in {@value FuzzRun#BACKENDS_PROPERTY} (comma-separated backend names and
     * {@value #FACADE}), by default every non-reference backend on the class path and the facade.
     */
    public Fuzzer() {
        reference = Conv2d.backend("naive");
        String only = System.getProperty(FuzzRun.BACKENDS_PROPERTY, "");
        List<String> wanted = only.isBlank() ? null : List.of(only.split(","));
        for (ConvBackend b : Conv2d.backends()) {
            if (!b.isReference() && (wanted == null || wanted.contains(b.name()))) {
                contenders.add(b);
                names.add(b.name());
            }
        }
        if (wanted == null || wanted.contains(FACADE)) {
            contenders.add(Conv2d.selecting());
            names.add(FACADE);
        }
    }

    /**
     * The seed of case {@code index} of the run seeded {@code runSeed} (a SplitMix64 step: spread, reproducible).
     *
     * @param runSeed the run's seed
     * @param index the case number
     * @return the case's seed
     */
    public static long caseSeed(long runSeed, long index) {
        long z = runSeed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The contenders' names, in the order the progress file numbers them.
     *
     * @return the names
     */
    public List<String> contenderNames() {
        return List.copyOf(names);
    }

    /**
     * Runs one case on the reference and every contender; returns one message per disagreement (empty if all
     * agree). {@code progress}, if not null, is told the contender about to run.
     *
     * @param c the channels
     * @param progress told the contender about to run, or null
     * @return the failures, one message each
     */
    public List<String> check(FuzzCase c, java.util.function.IntConsumer progress) {
        layers++;
        Outcome expected = run(reference, c, true);
        if (expected.error != null) {
            rejected++;
        }
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < contenders.size(); i++) {
            if (progress != null) {
                progress.accept(i);
            }
            calls++;
            String failure = compare(names.get(i), contenders.get(i), c, expected);
            if (failure != null) {
                failures.add(names.get(i) + ": " + failure + " -- " + c);
            }
        }
        return failures;
    }

    private String compare(String name, ConvBackend backend, FuzzCase c, Outcome expected) {
        Outcome actual = run(backend, c, false);
        if (expected.error != null) {
            if (actual.error == null) {
                return "returned a result where the reference threw " + expected.error;
            }
            if (actual.error.getClass() != expected.error.getClass()) {
                return "threw " + actual.error + " where the reference threw " + expected.error;
            }
            return null;
        }
        if (actual.error != null) {
            if (actual.error instanceof UnsupportedOperationException && !supports(backend, c)) {
                declined++;
                return null;
            }
            return "threw " + describe(actual.error);
        }
        if (actual.inputsChanged) {
            return "modified its inputs";
        }
        float tolerance = tolerance(backend);
        try {
            for (int t = 0; t < expected.tensors.size(); t++) {
                Agreement.assertAgrees(expected.labels.get(t), "", expected.tensors.get(t), actual.tensors.get(t),
                        tolerance, expected.termScale);
            }
        } catch (AssertionError e) {
            return e.getMessage();
        }
        return null;
    }

    /** The backend's documented tolerance (its class's public static float {@code TOLERANCE}), else {@link #TOLERANCE}. */
    private static float tolerance(ConvBackend backend) {
        try {
            return Math.max(TOLERANCE, backend.getClass().getField("TOLERANCE").getFloat(null));
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            return TOLERANCE;
        }
    }

    private static boolean supports(ConvBackend backend, FuzzCase c) {
        try {
            ConvShape s = c.pass() == ConvPass.TRANSPOSED_FORWARD || c.pass() == ConvPass.TRANSPOSED_BACKWARD
                    ? c.layer().transposedShape().conv() : c.layer().shape();
            return backend.supports(s, c.pass().basis());
        } catch (RuntimeException e) {
            return true;
        }
    }

    private static String describe(Throwable e) {
        StackTraceElement[] trace = e.getStackTrace();
        return e + (trace.length > 0 ? " at " + trace[0] : "");
    }

    /** What one call gave: its tensors with their names, or the exception it threw. */
    private record Outcome(List<String> labels, List<Tensor4D> tensors, float termScale, boolean inputsChanged,
                           RuntimeException error) {
    }

    /**
     * Runs the case's call on {@code backend} with fresh operands made from the case's seed, in the storages and
     * layouts the case gives them ({@link FuzzCase#stored}); the reference gets them on the heap in NCHW.
     */
    static Outcome run(ConvBackend backend, FuzzCase c, boolean reference) {
        if (reference || c.storages() == 0) {
            return run(backend, c, (operand, t) -> t);
        }
        List<Tensor4D> made = new ArrayList<>();
        try {
            return run(backend, c, (operand, t) -> {
                Tensor4D s = c.stored(operand, t);
                made.add(s);
                return s;
            });
        } finally {
            made.forEach(Tensor4D::close);
        }
    }

    private static Outcome run(ConvBackend backend, FuzzCase c, java.util.function.BiFunction<Integer, Tensor4D, Tensor4D> store) {
        ConvCase l = c.layer();
        boolean transposed = c.pass() == ConvPass.TRANSPOSED_FORWARD || c.pass() == ConvPass.TRANSPOSED_BACKWARD;
        Tensor4D x0 = c.poison(1, l.input());
        Tensor4D w0 = c.poison(2, transposed ? l.transposedWeight() : l.weight());
        float[] b = l.bias();
        Tensor4D dy0 = c.poison(3, gradOutput(c, x0, w0, b));
        Tensor4D x = store.apply(0, x0.copy());
        Tensor4D w = store.apply(1, w0.copy());
        Tensor4D dy = store.apply(2, dy0.copy());
        float[] b0 = b == null ? null : b.clone();
        // the largest term of the sums (x*w forward, dy*w for dL/dx, dy*x for dL/dw, dy for dL/db), as the kit's
        float ax = Agreement.maxFiniteAbs(x);
        float aw = Agreement.maxFiniteAbs(w);
        float ady = Agreement.maxFiniteAbs(dy);
        float term = Math.max(Math.max(ax * aw, ady * aw), Math.max(ady * ax, ady));
        List<String> labels = new ArrayList<>();
        List<Tensor4D> tensors = new ArrayList<>();
        try {
            switch (c.pass()) {
                case FORWARD -> {
                    labels.add(c.into() ? "forwardInto" : "forward");
                    if (c.into()) {
                        ConvShape s = ConvShape.forward(x, w, b, l.params());
                        Tensor4D out = store.apply(3,
                                Tensor4D.filled(Float.NaN, s.batch(), s.outChannels(), s.outH(), s.outW()));
                        tensors.add(backend.forwardInto(x, w, b, l.params(), out).toHeapNchw());
                    } else {
                        tensors.add(backend.forward(x, w, b, l.params()));
                    }
                }
                case BACKWARD -> addGradients("", backend.backward(x, w, dy, l.params()), labels, tensors);
                case INPUT_GRADIENT -> {
                    labels.add("inputGradient");
                    tensors.add(backend.inputGradient(x, w, dy, l.params()));
                }
                case WEIGHT_GRADIENT -> {
                    labels.add("weightGradient");
                    tensors.add(backend.weightGradient(x, w, dy, l.params()));
                }
                case TRANSPOSED_FORWARD -> {
                    labels.add("transposedForward");
                    tensors.add(backend.transposedForward(x, w, b, l.params()));
                }
                case TRANSPOSED_BACKWARD ->
                        addGradients("transposed ", backend.transposedBackward(x, w, dy, l.params()), labels, tensors);
            }
        } catch (RuntimeException e) {
            return new Outcome(labels, tensors, term, false, e);
        }
        // results on the heap in NCHW for the comparison; native results are freed at once
        List<Tensor4D> heap = new ArrayList<>();
        for (Tensor4D t : tensors) {
            heap.add(t.toHeapNchw());
            if (t.isNative()) {
                t.close();
            }
        }
        boolean changed = !x.equals(x0) || !w.equals(w0) || !dy.equals(dy0) || !Arrays.equals(b, b0);
        return new Outcome(labels, heap, term, changed, null);
    }

    private static void addGradients(String prefix, ConvGradients g, List<String> labels, List<Tensor4D> tensors) {
        labels.addAll(List.of(prefix + "dL/dx", prefix + "dL/dw", prefix + "dL/db"));
        tensors.addAll(List.of(g.input(), g.weight(), g.biasTensor()));
    }

    /**
     * {@code dL/dy} of the case's output shape, made from the case's seed; of shape {@code (n, k, 1, 1)} where the
     * geometry is invalid (the call must then be rejected whatever it gets).
     */
    private static Tensor4D gradOutput(FuzzCase c, Tensor4D x, Tensor4D w, float[] b) {
        ConvCase l = c.layer();
        try {
            if (c.pass() == ConvPass.TRANSPOSED_BACKWARD) {
                TransposedShape t = TransposedShape.forward(x, w, b, l.params());
                return Tensor4D.random(c.seed() + 3, t.batch(), t.outChannels(), t.outH(), t.outW());
            }
            ConvShape s = ConvShape.forward(x, w, b, l.params());
            return Tensor4D.random(c.seed() + 3, s.batch(), s.outChannels(), s.outH(), s.outW());
        } catch (RuntimeException e) {
            return Tensor4D.random(c.seed() + 3, l.n(), l.k(), 1, 1);
        }
    }

    /**
     * {@code layers=.. rejected=.. calls=.. declined=..}.
     *
     * @return the counts
     */
    public String counts() {
        return "layers=" + layers + " rejected=" + rejected + " calls=" + calls + " declined=" + declined;
    }

    /**
     * The child's entry point: runs cases {@code firstIndex, firstIndex + 1, ...} of {@code runSeed} until
     * {@code seconds} have passed or {@code maxCases} have run, recording each case number and contender in
     * {@code progressFile} before the call.
     *
     * @param args the command-line arguments
     * @throws IOException if the progress file cannot be mapped
     */
    public static void main(String[] args) throws IOException {
        long runSeed = Long.parseLong(args[0]);
        long first = Long.parseLong(args[1]);
        double seconds = Double.parseDouble(args[2]);
        long maxCases = Long.parseLong(args[3]);
        Path progressFile = Path.of(args[4]);
        Fuzzer fuzzer = new Fuzzer();
        System.out.println("FUZZ CONTENDERS " + String.join(",", fuzzer.contenderNames()));
        long failures = 0;
        try (FileChannel ch = FileChannel.open(progressFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MappedByteBuffer progress = ch.map(FileChannel.MapMode.READ_WRITE, 0, FuzzRun.PROGRESS_BYTES);
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            long index = first;
            for (; index < first + maxCases && System.nanoTime() < deadline; index++) {
                long i = index;
                progress.putLong(0, i);
                for (String f : fuzzer.check(FuzzCase.of(caseSeed(runSeed, i)), contender -> progress.putInt(8, contender))) {
                    failures++;
                    System.out.println(FAILURE + "case " + i + " " + f.replace('\n', ' '));
                }
            }
            progress.putLong(0, -1);
            System.out.println(SUMMARY + "next=" + index + " failures=" + failures + " " + fuzzer.counts());
        }
        System.out.flush();
    }
}
