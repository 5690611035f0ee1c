package org.conv4j.api;

import org.conv4j.internal.Access;
import org.conv4j.internal.Autotuner;
import org.conv4j.internal.BackendSelector;
import org.conv4j.internal.LayoutEdge;
import org.conv4j.internal.PlanKey;
import org.conv4j.internal.PreparedBackwardByForm;
import org.conv4j.internal.PreparedByForm;
import org.conv4j.internal.PreparedForms;
import org.conv4j.internal.TransposedPasses;
import org.conv4j.spi.AbstractConvBackend;
import org.conv4j.spi.LruCache;
import org.conv4j.spi.PreparedBackwardCalls;
import org.conv4j.spi.PreparedCalls;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The entry point: 2D convolution with whichever backends are on the classpath.
 *
 * <pre>{@code
 * Tensor4D x = Tensor4D.random(42, 8, 64, 56, 56);          // N, C, H, W
 * Tensor4D w = Tensor4D.random(7, 64, 64, 3, 3);            // K, C/groups, kH, kW
 * ConvParams p = ConvParams.builder().padding(1).build();
 * Tensor4D y = Conv2d.forward(x, w, null, p);               // (8, 64, 56, 56)
 * ConvGradients g = Conv2d.backward(x, w, y, p);            // dL/dx, dL/dw, dL/db for dL/dy = y
 * System.out.println(Conv2d.plan(ConvShape.forward(x, w, null, p), ConvPass.FORWARD)); // who runs it, and why
 * }</pre>
 *
 * <p><b>Which backend runs.</b> Backends are found once, with {@link ServiceLoader}, on the thread's
 * context class loader (or this class's); a backend whose natives cannot load on this platform is left out
 * with one logged line. For each call, {@link #plan(ConvShape, ConvPass)} decides, in this order:
 * <ol>
 *   <li><b>pinned</b>: the backend named by the system property {@value #BACKEND_PROPERTY}, if set;</li>
 *   <li><b>autotuned</b>, if autotune mode is on ({@value #AUTOTUNE_PROPERTY}{@code =true} or
 *       {@link #setAutotune}): the first call with a new key (pass, shape, parameters, thread count) times each
 *       eligible backend once on the caller's data and returns the fastest one's result; backends more than 1.5x
 *       slower than the best are never called again for the key, the others are re-checked on the next calls, and
 *       the fastest then serves the key; with {@value #AUTOTUNE_CACHE_PROPERTY}{@code =PATH} the decisions persist
 *       in a file;</li>
 *   <li><b>estimated</b>: otherwise the supporting backend with the smallest
 *       {@link ConvBackend#estimateNanos estimate} (each backend's model of its own speed), with the conversions each
 *       backend needs at the edge priced in for operands that are not all heap NCHW; except a forward call into an
 *       output when input or output is not heap NCHW: the estimates are fitted on heap NCHW calls and rank the
 *       backends least reliably on other forms, so the first such call of each geometry and form times the
 *       candidates as a prepared convolution's first call does ({@link #prepareForward}), and that decision, shared
 *       with the prepared convolutions of the layer, serves every later call.</li>
 * </ol>
 * Which backend serves a given shape is not part of the API contract; results agree with the reference
 * within each backend's tolerance whichever runs. {@link #backend(String)} returns one backend to call
 * directly.
 */
public final class Conv2d {

    /** System property that pins the backend by name, e.g. {@code -Dconv4j.backend=naive}. */
    public static final String BACKEND_PROPERTY = Settings.BACKEND;

    /** System property that switches autotune mode on: {@code -Dconv4j.autotune=true}. */
    public static final String AUTOTUNE_PROPERTY = Settings.AUTOTUNE;

    /**
     * System property naming the autotune cache file, read when autotune mode first needs it: decisions are
     * loaded from it and written back after each new one (see {@link #setAutotuneCache}).
     */
    public static final String AUTOTUNE_CACHE_PROPERTY = Settings.AUTOTUNE_CACHE;

    private static final Autotuner AUTOTUNER = new Autotuner();
    private static volatile Boolean autotune;
    private static volatile boolean cacheFileInitialised;

    private Conv2d() {
    }

    /**
     * The forward pass prepared for calls that repeat on one geometry (see {@link PreparedConvolution}): the backend
     * is chosen once and prepares itself, e.g. lays the weights out for its kernel once. A pinned backend is used at
     * once; otherwise the choice is made once per form of input and output (storage and layout) at its first call,
     * since a backend that reads native or channels-last tensors in place may beat one that converts them: the
     * candidates autotune mode would time (by the estimates, with the conversions priced) are each timed on that
     * call's tensors, in either mode, and the fastest is kept. That first call costs a few calls of each candidate;
     * the decision is kept for the process, so a layer prepared again runs the same backend without timing.
     * {@link #forward}'s choice is prepared here, so that preparing fails here if it fails.
     *
     * <pre>{@code
     * ConvShape shape = ConvShape.forward(x, w, b, params);
     * try (PreparedConvolution conv = Conv2d.prepareForward(shape, w, b)) {
     *     for (Tensor4D batch : batches) { Tensor4D y = conv.forward(batch); ... }
     * }
     * }</pre>
     *
     * @param shape the geometry, as {@link ConvShape#forward} validated it
     * @param weight {@code (K, C/groups, kH, kW)}, any storage and layout
     * @param bias length {@code K}, or null
     * @return the prepared convolution; close it when done
     */
    public static PreparedConvolution prepareForward(ConvShape shape, Tensor4D weight, float[] bias) {
        Objects.requireNonNull(shape, "shape must not be null");
        PreparedCalls.checkWeights(shape, weight, bias, bias != null);
        if (pinnedName() != null) {
            return plan(shape, ConvPass.FORWARD).backend().prepareForward(shape, weight, bias);
        }
        return new PreparedByForm(shape, weight, bias);
    }

    /**
     * The backward pass prepared for calls that repeat on one geometry (see {@link PreparedBackward}), e.g. a
     * training step's: the backend is chosen once, as {@link #backward} would choose it for {@code shape}, and
     * prepares itself, e.g. lays the weights out for its input-gradient kernel once. A pinned backend is used at
     * once; otherwise the choice is made once per pass (the full backward pass, {@code dL/dx} alone, {@code dL/dw}
     * alone) and form of its tensors (storage and layout) at its first call, as {@link #prepareForward} does: by
     * timing the candidates on that call's tensors, the candidates by estimate, with the conversions of those
     * tensors priced and a backend whose prepared pass reads native tensors in place credited.
     *
     * <pre>{@code
     * try (PreparedConvolution conv = Conv2d.prepareForward(shape, w, b);
     *      PreparedBackward back = Conv2d.prepareBackward(shape, w)) {
     *     ConvGradients g = null;
     *     for (Tensor4D batch : batches) {
     *         Tensor4D y = conv.forward(batch);
     *         Tensor4D dy = lossGradient(y);
     *         g = g == null ? back.backward(batch, dy) : back.backwardInto(batch, dy, g);
     *         w = step(w, g.weight());
     *         conv.setWeights(w, b);
     *         back.setWeights(w);
     *     }
     * }
     * }</pre>
     *
     * @param shape the geometry, as {@link ConvShape#forward} or {@link ConvShape#backward} validated it
     * @param weight {@code (K, C/groups, kH, kW)}, any storage and layout
     * @return the prepared backward pass; close it when done
     */
    public static PreparedBackward prepareBackward(ConvShape shape, Tensor4D weight) {
        Objects.requireNonNull(shape, "shape must not be null");
        PreparedBackwardCalls.checkWeight(shape, weight);
        if (pinnedName() != null) {
            return plan(shape, ConvPass.BACKWARD).backend().prepareBackward(shape, weight);
        }
        return new PreparedBackwardByForm(shape, weight);
    }

    /**
     * Forward pass on the backend {@link #plan} picks. See {@link ConvBackend#forward}.
     *
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param bias the bias, one value per output channel {@code K}, or null for none
     * @param params stride, padding, dilation and groups
     * @return the output {@code (N, K, outH, outW)}
     */
    public static Tensor4D forward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
        return SELECTING.forward(input, weight, bias, params);
    }

    /**
     * Forward pass into a caller-provided tensor of the output shape, on the backend {@link #plan} picks.
     * See {@link ConvBackend#forwardInto}.
     *
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param bias the bias, one value per output channel {@code K}, or null for none
     * @param params stride, padding, dilation and groups
     * @param output a tensor of the output shape, overwritten
     * @return {@code output}
     */
    public static Tensor4D forwardInto(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params,
                                       Tensor4D output) {
        return SELECTING.forwardInto(input, weight, bias, params, output);
    }

    /**
     * Backward pass on the backend {@link #plan} picks. See {@link ConvBackend#backward}.
     *
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the forward output's shape {@code (N, K, outH, outW)}
     * @param params stride, padding, dilation and groups
     * @return {@code dL/dx}, {@code dL/dw} and {@code dL/db}
     */
    public static ConvGradients backward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        return SELECTING.backward(input, weight, gradOutput, params);
    }

    /**
     * {@code dL/dx} alone, on the backend {@link #plan} picks for {@link ConvPass#INPUT_GRADIENT}. See {@link ConvBackend#inputGradient}.
     *
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the forward output's shape {@code (N, K, outH, outW)}
     * @param params stride, padding, dilation and groups
     * @return {@code dL/dx}, of the input's shape
     */
    public static Tensor4D inputGradient(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        return SELECTING.inputGradient(input, weight, gradOutput, params);
    }

    /**
     * {@code dL/dw} alone, on the backend {@link #plan} picks for {@link ConvPass#WEIGHT_GRADIENT}. See {@link ConvBackend#weightGradient}.
     *
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the forward output's shape {@code (N, K, outH, outW)}
     * @param params stride, padding, dilation and groups
     * @return {@code dL/dw}, of the weight's shape
     */
    public static Tensor4D weightGradient(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        return SELECTING.weightGradient(input, weight, gradOutput, params);
    }

    /**
     * The transposed convolution (see {@link TransposedShape} for shapes and output size), on the backend
     * {@link #plan} picks for {@link ConvPass#TRANSPOSED_FORWARD} of {@link TransposedShape#conv()}, whose input
     * gradient it is. See {@link ConvBackend#transposedForward}.
     *
     * @param input the input {@code (N, Cin, H, W)}
     * @param weight the weight {@code (Cin, Cout/groups, kH, kW)}
     * @param bias the bias, one value per output channel {@code Cout}, or null for none
     * @param params stride, padding, output padding, dilation and groups
     * @return the output {@code (N, Cout, outH, outW)}
     */
    public static Tensor4D transposedForward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
        return SELECTING.transposedForward(input, weight, bias, params);
    }

    /**
     * The gradients of {@link #transposedForward}, on the backend {@link #plan} picks for
     * {@link ConvPass#TRANSPOSED_BACKWARD} of {@link TransposedShape#conv()}. See {@link ConvBackend#transposedBackward}.
     *
     * @param input the input of the transposed forward pass
     * @param weight its weight {@code (Cin, Cout/groups, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the transposed output's shape
     * @param params the parameters of the transposed forward pass
     * @return {@code dL/dx}, {@code dL/dw} and {@code dL/db}
     */
    public static ConvGradients transposedBackward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput,
                                                   ConvParams params) {
        return SELECTING.transposedBackward(input, weight, gradOutput, params);
    }

    /**
     * The facade as a {@link ConvBackend} named {@code conv2d}: every call runs on the backend {@link #plan}
     * picks, exactly as {@link #forward} and {@link #backward} do (pinned, autotuned if autotune mode is on,
     * else estimated). For code written against {@code ConvBackend}, and for benchmarks.
     *
     * @return the selecting facade as a backend
     */
    public static ConvBackend selecting() {
        return SELECTING;
    }

    /**
     * A {@link ConvBackend} named {@code conv2d-autotune} that autotunes whatever the mode (a pinned backend
     * still wins), sharing the decisions and the cache file of autotune mode.
     *
     * @return the autotuning facade as a backend
     */
    public static ConvBackend autotuning() {
        return AUTOTUNING;
    }

    /**
     * Which backend the call of {@code pass} runs for this geometry now, and why (see the class comment); for
     * the transposed passes {@code shape} is {@link TransposedShape#conv()}. In autotune mode a key not measured yet gives the estimate-based plan: the first call
     * measures.
     *
     * @param shape the validated geometry, e.g. {@link ConvShape#forward}
     * @param pass the pass
     * @return the backend that runs, and why
     * @throws IllegalStateException if no backend is on the classpath
     * @throws IllegalArgumentException if the pinned name is unknown, or no backend supports the shape
     */
    public static ConvPlan plan(ConvShape shape, ConvPass pass) {
        Objects.requireNonNull(shape, "shape must not be null");
        Objects.requireNonNull(pass, "pass must not be null");
        if (backends().isEmpty()) {
            throw new IllegalStateException(MISSING);
        }
        String pinned = pinnedName();
        if (pinned != null) {
            return new ConvPlan(pass, shape, backend(pinned), ConvPlan.Reason.PINNED, Map.of(), Map.of());
        }
        if (isAutotune()) {
            ConvPlan tuned = tuner().lookup(backends(), shape, pass);
            if (tuned != null) {
                return tuned;
            }
        }
        return BackendSelector.choose(backends(), shape, pass);
    }

    /**
     * The autotune decision for this key so far, whatever the mode (e.g. for {@link #autotuning()}): the backend
     * measured fastest, with {@link ConvPlan#isSettled()} false while close contenders are still sampled; null
     * if the key was not measured yet.
     *
     * @param shape the validated geometry
     * @param pass the pass
     * @return the decision so far, or null
     */
    public static ConvPlan autotunedPlan(ConvShape shape, ConvPass pass) {
        Objects.requireNonNull(shape, "shape must not be null");
        Objects.requireNonNull(pass, "pass must not be null");
        return tuner().lookup(backends(), shape, pass);
    }

    /**
     * The forward plan, {@code plan(shape, ConvPass.FORWARD)}.
     *
     * @param shape the validated geometry of the call
     * @return the backend that runs the forward pass, and why
     */
    public static ConvPlan plan(ConvShape shape) {
        return plan(shape, ConvPass.FORWARD);
    }

    /**
     * The backend {@link #forward} runs for this geometry: {@code plan(shape).backend()}.
     *
     * @param shape the validated geometry of the call
     * @return the backend of the forward pass
     */
    public static ConvBackend backendFor(ConvShape shape) {
        return plan(shape).backend();
    }

    /**
     * Switches autotune mode on or off in code; {@code null} returns to the {@value #AUTOTUNE_PROPERTY}
     * system property (off when unset). Decisions already made are kept (see {@link #clearAutotune}).
     *
     * @param enabled true for on, false for off, null for the system property
     */
    public static void setAutotune(Boolean enabled) {
        autotune = enabled;
    }

    /**
     * Whether autotune mode is on (see {@link #setAutotune}).
     *
     * @return whether autotune mode is on
     */
    public static boolean isAutotune() {
        Boolean set = autotune;
        if (set != null) {
            return set;
        }
        return Boolean.parseBoolean(Settings.valueOrDefault(AUTOTUNE_PROPERTY));
    }

    /**
     * Uses {@code path} as the autotune cache file (null: keep decisions in memory only), loading the
     * decisions it holds if it was written on this machine by this library version with the same
     * backends, else ignoring it with one logged line. Overrides {@value #AUTOTUNE_CACHE_PROPERTY}.
     *
     * @param path the cache file, or null
     */
    public static void setAutotuneCache(Path path) {
        synchronized (AUTOTUNER) {
            cacheFileInitialised = true;
            AUTOTUNER.useFile(path, backends());
        }
    }

    /** Forgets every autotune decision in memory (a cache file is rewritten by the next decision). */
    public static void clearAutotune() {
        AUTOTUNER.clear();
    }

    /** The autotuner, with the cache file of {@value #AUTOTUNE_CACHE_PROPERTY} loaded on first use. */
    static Autotuner tuner() {
        if (!cacheFileInitialised) {
            synchronized (AUTOTUNER) {
                if (!cacheFileInitialised) {
                    String path = Settings.value(AUTOTUNE_CACHE_PROPERTY);
                    AUTOTUNER.useFile(path == null ? null : Path.of(path), backends());
                    cacheFileInitialised = true;
                }
            }
        }
        return AUTOTUNER;
    }

    private static String pinnedName() {
        return Settings.value(BACKEND_PROPERTY);
    }

    /**
     * Every backend on the classpath, in name order.
     *
     * @return the backends, an unmodifiable list
     */
    public static List<ConvBackend> backends() {
        return Registry.BACKENDS;
    }

    /**
     * The backend called {@code name}.
     *
     * @param name the backend's {@link ConvBackend#name()}
     * @return the backend
     * @throws IllegalArgumentException if there is none, listing the available names
     */
    public static ConvBackend backend(String name) {
        Objects.requireNonNull(name, "name must not be null");
        for (ConvBackend b : backends()) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        throw new IllegalArgumentException("name: expected one of the available backends "
                + BackendSelector.names(backends()) + ", got \"" + name + "\"" + (backends().isEmpty() ? ". " + MISSING : ""));
    }

    private static final String MISSING = "No conv4j backend found on the classpath: add a backend artifact, "
            + "e.g. org.conv4j:conv-im2col (fast) or org.conv4j:conv-naive (reference), as a dependency.";

    /**
     * Estimated choices already made, by geometry, pass and the form of the operands (0 when all are heap NCHW):
     * computing every backend's estimate costs microseconds, as much as a tiny convolution, and a network repeats
     * the same few layers. Bounded by clearing when full: unlike the backends' plan caches ({@link LruCache}), this
     * one is read on every call from every thread, so it is a lock-free map rather than a synchronized LRU.
     */
    private static final ConcurrentHashMap<Choice, ConvBackend> ESTIMATED = new ConcurrentHashMap<>();

    /** Keys kept in {@link #ESTIMATED} before it is cleared. */
    static final int ESTIMATED_CACHE_SIZE = 4096;

    /** The key of an estimated choice: the plan key and the operands' {@link LayoutEdge#forms}. */
    private record Choice(PlanKey plan, int forms) {
    }

    private static ConvBackend estimated(ConvShape s, ConvPass pass) {
        return cached(new Choice(new PlanKey(s, pass), 0), () -> BackendSelector.choose(backends(), s, pass).backend());
    }

    /**
     * The backend for a forward call whose operands are not all heap NCHW: the smallest estimate plus the price of
     * the conversions each backend needs at the edge ({@link LayoutEdge#nanos}; only the weight's for a backend
     * that {@link Access.Backends#takesInPlace takes input and output in place}).
     */
    static ConvBackend estimated(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D output) {
        return estimated(s, ConvPass.FORWARD, LayoutEdge.forms(input, weight, output),
                LayoutEdge.forwardNanos(s, input, weight, output));
    }

    /**
     * The backend for a call of {@code pass} whose operands have {@code forms}: the smallest estimate plus
     * {@code conversions}, which those forms determine.
     */
    private static ConvBackend estimated(ConvShape s, ConvPass pass, int forms,
                                         ToDoubleFunction<ConvBackend> conversions) {
        return cached(new Choice(new PlanKey(s, pass), forms),
                () -> BackendSelector.choose(backends(), s, pass, conversions).backend());
    }

    /** The choice cached under {@code key}, or {@code choose}'s, cached. */
    private static ConvBackend cached(Choice key, Supplier<ConvBackend> choose) {
        ConvBackend b = ESTIMATED.get(key);
        if (b == null) {
            b = choose.get();
            if (ESTIMATED.size() >= ESTIMATED_CACHE_SIZE) {
                ESTIMATED.clear();
            }
            ESTIMATED.put(key, b);
        }
        return b;
    }

    private static final Dispatcher SELECTING = new Dispatcher("conv2d", false);
    private static final Dispatcher AUTOTUNING = new Dispatcher("conv2d-autotune", true);

    /**
     * Validates once, then runs the chosen backend; autotunes when its mode says so. A chosen
     * {@link AbstractConvBackend} gets the validated geometry for the forward and backward passes, so that a tiny
     * call does not pay for validating twice (through {@link Access#backends()}: those entry points are not public).
     */
    private static final class Dispatcher implements ConvBackend {
        private final String name;
        private final boolean alwaysAutotune;

        Dispatcher(String name, boolean alwaysAutotune) {
            this.name = name;
            this.alwaysAutotune = alwaysAutotune;
        }

        @Override
        public String name() {
            return name;
        }

        /**
         * The backend that runs this key without measuring: pinned, autotuned and settled, or estimated; null while
         * autotuning still measures the key. A settled key then runs exactly as in default mode.
         */
        private ConvBackend chosen(ConvShape s, ConvPass pass) {
            if (backends().isEmpty()) {
                throw new IllegalStateException(MISSING);
            }
            String pinned = pinnedName();
            if (pinned != null) {
                return backend(pinned);
            }
            return alwaysAutotune || isAutotune() ? tuner().decided(backends(), s, pass) : estimated(s, pass);
        }

        /** {@code b}'s forward pass into {@code output}, on the geometry validated already where it can take it. */
        private static Tensor4D forwardIntoOn(ConvBackend b, ConvShape s, Tensor4D input, Tensor4D weight, float[] bias,
                                              Tensor4D output) {
            return b instanceof AbstractConvBackend a
                    ? Access.backends().validatedForward(a, s, input, weight, bias, output)
                    : b.forwardInto(input, weight, bias, s.params(), output);
        }

        /** {@code b}'s forward pass into a new output, on the geometry validated already where it can take it. */
        private static Tensor4D forwardOn(ConvBackend b, ConvShape s, Tensor4D input, Tensor4D weight, float[] bias) {
            return b instanceof AbstractConvBackend a
                    ? Access.backends().validatedForward(a, s, input, weight, bias, s.newOutput())
                    : b.forward(input, weight, bias, s.params());
        }

        /**
         * The backend for a forward call in default mode on operands not all heap NCHW: the one a timed decision
         * chose for this geometry and form of input and output ({@link PreparedForms#decided}), made now if none was.
         * The estimates are fitted on heap NCHW calls and rank the backends least reliably on other forms (a backend
         * that reads native channels-last tensors in place against one that converts them), so the first call of
         * each such layer and form times the candidates as a prepared pass's first call does: through a prepared
         * convolution ({@link PreparedByForm}) into a scratch output, closed after it. The decision is kept for the
         * process and shared with the prepared passes; every call, the first included, then runs the chosen backend's
         * own call, so that all agree bit for bit.
         */
        private static ConvBackend timed(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
            int forms = LayoutEdge.forms(input, null, output);
            ConvBackend b = PreparedForms.decided(s, ConvPass.FORWARD, forms);
            if (b != null) {
                return b;
            }
            try (Tensor4D scratch = LayoutEdge.zeros(output.isNative(), output.layout(), output.n(), output.c(),
                    output.h(), output.w()); PreparedByForm timing = new PreparedByForm(s, weight, bias)) {
                timing.forwardInto(input, scratch);
            }
            b = PreparedForms.decided(s, ConvPass.FORWARD, forms);
            return b != null ? b : estimated(s, input, weight, output); // evicted meanwhile: by estimate
        }

        /**
         * Whether a call on these operands chooses by estimate with their conversions priced: some operand is not
         * heap NCHW, and no backend is pinned and autotuning is off (those choose per geometry, the operands
         * converted at the edge where the backend needs it).
         */
        private boolean estimatesOffHeap(Tensor4D... operands) {
            return !LayoutEdge.canonical(operands) && pinnedName() == null && !alwaysAutotune && !isAutotune()
                    && !backends().isEmpty();
        }

        @Override
        public Tensor4D forward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
            ConvShape s = ConvShape.forward(input, weight, bias, params);
            if (!LayoutEdge.canonical(input, weight)) {
                return forwardInto(input, weight, bias, params, s.newOutputLike(input));
            }
            ConvBackend chosen = chosen(s, ConvPass.FORWARD);
            if (chosen == null) {
                ArrayDeque<Tensor4D> spare = new ArrayDeque<>(2);
                return tuner().call(backends(), s, ConvPass.FORWARD,
                        b -> forwardIntoOn(b, s, input, weight, bias, spare.isEmpty() ? s.newOutput() : spare.pop()),
                        b -> forwardOn(b, s, input, weight, bias), spare::push);
            }
            return forwardOn(chosen, s, input, weight, bias);
        }

        @Override
        public Tensor4D forwardInto(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params,
                                    Tensor4D output) {
            ConvShape s = ConvShape.forward(input, weight, bias, params);
            s.checkOutput(output);
            ConvBackend chosen = estimatesOffHeap(input, weight, output) ? timed(s, input, weight, bias, output)
                    : chosen(s, ConvPass.FORWARD);
            if (!LayoutEdge.canonical(input, weight, output) && chosen instanceof AbstractConvBackend a) {
                // converts, or runs in place
                return Access.backends().validatedForward(a, s, input, weight, bias, output);
            }
            if (!LayoutEdge.canonical(input, weight, output)) {
                return LayoutEdge.staged(LayoutEdge.floats(input, weight, output), () -> {
                    Tensor4D y = output.isHeapNchw() ? output : s.newOutput();
                    forwardInto(input.toHeapNchw(), weight.toHeapNchw(), bias, params, y);
                    return y == output ? output : output.copyFrom(y);
                });
            }
            if (chosen == null) {
                // While measuring, the backends write into the caller's output and one spare tensor, each into
                // one the fastest so far does not hold; the fastest one's result is copied out at the end if it is
                // in the spare (written into one output only, the last backend timed would leave its result).
                ArrayDeque<Tensor4D> spare = new ArrayDeque<>(2);
                spare.push(output);
                Tensor4D r = tuner().call(backends(), s, ConvPass.FORWARD,
                        b -> forwardIntoOn(b, s, input, weight, bias, spare.isEmpty() ? s.newOutput() : spare.pop()),
                        b -> forwardIntoOn(b, s, input, weight, bias, output), spare::push);
                if (r != output) {
                    output.copyFrom(r);
                }
                return output;
            }
            return forwardIntoOn(chosen, s, input, weight, bias, output);
        }

        @Override
        public ConvGradients backward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
            ConvShape s = ConvShape.backward(input, weight, gradOutput, params);
            if (estimatesOffHeap(input, weight, gradOutput)
                    && estimated(s, ConvPass.BACKWARD, LayoutEdge.forms(input, weight, gradOutput),
                    LayoutEdge.backwardNanos(s, ConvPass.BACKWARD, weight, input, gradOutput, input))
                    instanceof AbstractConvBackend a) {
                // converts, or runs in place
                return Access.backends().validatedBackward(a, s, input, weight, gradOutput);
            }
            if (!LayoutEdge.canonical(input, weight, gradOutput)) {
                return LayoutEdge.staged(LayoutEdge.floats(input, input, weight, weight, gradOutput),
                        () -> LayoutEdge.like(input, weight,
                                backward(input.toHeapNchw(), weight.toHeapNchw(), gradOutput.toHeapNchw(), params)));
            }
            return run(s, ConvPass.BACKWARD, b -> b instanceof AbstractConvBackend a
                    ? Access.backends().validatedBackward(a, s, input, weight, gradOutput)
                    : b.backward(input, weight, gradOutput, params));
        }

        @Override
        public Tensor4D inputGradient(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
            return gradient(ConvPass.INPUT_GRADIENT, input, weight, gradOutput, params);
        }

        @Override
        public Tensor4D weightGradient(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
            return gradient(ConvPass.WEIGHT_GRADIENT, input, weight, gradOutput, params);
        }

        /**
         * {@code dL/dx} ({@link ConvPass#INPUT_GRADIENT}) or {@code dL/dw} ({@link ConvPass#WEIGHT_GRADIENT}) alone,
         * on the backend chosen for that pass; operands off heap NCHW are staged through heap NCHW copies and the
         * result takes the layout and storage of the operand whose shape it has.
         */
        private Tensor4D gradient(ConvPass pass, Tensor4D input, Tensor4D weight, Tensor4D gradOutput,
                                  ConvParams params) {
            ConvShape s = ConvShape.backward(input, weight, gradOutput, params);
            boolean dx = pass == ConvPass.INPUT_GRADIENT;
            Tensor4D model = dx ? input : weight;
            if (estimatesOffHeap(input, weight, gradOutput)
                    && estimated(s, pass, LayoutEdge.forms(input, weight, gradOutput), dx
                    ? LayoutEdge.backwardNanos(s, pass, null, gradOutput, input)
                    : LayoutEdge.backwardNanos(s, pass, weight, input, gradOutput)) instanceof AbstractConvBackend a) {
                // converts, or runs in place
                return dx ? Access.backends().validatedInputGradient(a, s, input, weight, gradOutput)
                        : Access.backends().validatedWeightGradient(a, s, input, weight, gradOutput);
            }
            if (!LayoutEdge.canonical(input, weight, gradOutput)) {
                return LayoutEdge.staged(LayoutEdge.floats(input, model, weight, gradOutput), () -> LayoutEdge.like(model,
                        gradient(pass, input.toHeapNchw(), weight.toHeapNchw(), gradOutput.toHeapNchw(), params)));
            }
            return run(s, pass, b -> dx ? b.inputGradient(input, weight, gradOutput, params)
                    : b.weightGradient(input, weight, gradOutput, params));
        }

        @Override
        public Tensor4D transposedForward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
            TransposedShape t = TransposedShape.forward(input, weight, bias, params);
            if (!LayoutEdge.canonical(input, weight)) {
                long staged = LayoutEdge.floats(input, weight)
                        + (input.isHeapNchw() ? 0 : (long) t.batch() * t.outChannels() * t.outH() * t.outW());
                return LayoutEdge.staged(staged, () -> LayoutEdge.like(input,
                        transposedForward(input.toHeapNchw(), weight.toHeapNchw(), bias, params)));
            }
            if (t.reachesNothing()) {
                return TransposedPasses.output(t, null, bias); // no convolution to run: the bias alone
            }
            ConvShape s = t.conv();
            return run(s, ConvPass.TRANSPOSED_FORWARD, b -> b.transposedForward(input, weight, bias, params));
        }

        @Override
        public ConvGradients transposedBackward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput,
                                                ConvParams params) {
            TransposedShape t = TransposedShape.backward(input, weight, gradOutput, params);
            if (!LayoutEdge.canonical(input, weight, gradOutput)) {
                return LayoutEdge.staged(LayoutEdge.floats(input, input, weight, weight, gradOutput),
                        () -> LayoutEdge.like(input, weight, transposedBackward(input.toHeapNchw(), weight.toHeapNchw(),
                                gradOutput.toHeapNchw(), params)));
            }
            if (t.reachesNothing()) {
                return TransposedPasses.unreachedGradients(t, input, weight, gradOutput);
            }
            ConvShape s = t.conv();
            return run(s, ConvPass.TRANSPOSED_BACKWARD, b -> b.transposedBackward(input, weight, gradOutput, params));
        }

        /** {@link Conv2d#prepareForward}: the backend chosen once, prepared. */
        @Override
        public PreparedConvolution prepareForward(ConvShape shape, Tensor4D weight, float[] bias) {
            return Conv2d.prepareForward(shape, weight, bias);
        }

        /** {@link Conv2d#prepareBackward}: the backend chosen once, prepared. */
        @Override
        public PreparedBackward prepareBackward(ConvShape shape, Tensor4D weight) {
            return Conv2d.prepareBackward(shape, weight);
        }

        /** Runs {@code pass} on the pinned, autotuned or estimated backend for {@code s}. */
        private <R> R run(ConvShape s, ConvPass pass, Function<ConvBackend, R> call) {
            ConvBackend chosen = chosen(s, pass);
            return chosen == null ? tuner().call(backends(), s, pass, call, call) : call.apply(chosen);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Loads the backends once, on first use (class initialisation is thread-safe). */
    private static final class Registry {
        static final List<ConvBackend> BACKENDS = load();

        private static List<ConvBackend> load() {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            if (loader == null) {
                loader = Conv2d.class.getClassLoader();
            }
            Map<String, ConvBackend> byName = new LinkedHashMap<>();
            Iterator<ConvBackend> it = ServiceLoader.load(ConvBackend.class, loader).iterator();
            while (true) {
                ConvBackend b;
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    b = it.next();
                } catch (ServiceConfigurationError | LinkageError e) {
                    // A backend whose natives cannot load here (another OS or CPU): leave it out, keep the others.
                    System.getLogger("org.conv4j").log(System.Logger.Level.WARNING,
                            "conv4j: a backend is not available on this platform and is left out: " + rootCause(e));
                    continue;
                }
                byName.putIfAbsent(b.name(), b); // the first on the classpath wins a name clash
            }
            List<ConvBackend> list = new ArrayList<>(byName.values());
            list.sort(Comparator.comparing(ConvBackend::name));
            return Collections.unmodifiableList(list);
        }

        private static String rootCause(Throwable e) {
            Throwable t = e;
            while (t.getCause() != null && t.getCause() != t) {
                t = t.getCause();
            }
            return t == e ? e.toString() : e.getMessage() + " (" + t + ")";
        }
    }
}
