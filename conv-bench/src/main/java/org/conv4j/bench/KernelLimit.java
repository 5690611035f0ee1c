package org.conv4j.bench;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;
import org.conv4j.api.Conv2d;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;


/**
 * The kernel limit of one convolution pass, 2D ({@link #create}) or 3D ({@link #create3d}, rank-5 memory): oneDNN's
 * convolution primitives alone, with nothing of conv4j around them. What a call through conv4j can at best
 * approach on the same machine.
 *
 * <ul>
 *   <li>forward: the {@code forward_inference} primitive with bias;</li>
 *   <li>backward: backward-data ({@code dL/dx}) then backward-weights ({@code dL/dw} and {@code dL/db}), both
 *       created with a {@code forward_training} descriptor as oneDNN's hint.</li>
 * </ul>
 * Everything but {@link #run()} happens in {@link #create}: the primitive descriptors with the activations in
 * layout {@code any} (oneDNN chooses, usually channel-blocked) or {@code nhwc} (channels last) and the weights in
 * {@code any}; the primitives; native memory of exactly the descriptors each primitive chose (per primitive where
 * the two backward ones chose differently), allocated once and filled once through reorders from the problem's
 * NCHW (NCDHW) data (so the weights are already laid out, and every page is touched before timing); one stream.
 * {@link #run()} is {@code execute} and {@code wait}: no transfer, no reorder, no allocation.
 *
 * <p>oneDNN is loaded through conv4j's {@code onednn} backend first (one tiny call), so that its OpenMP runtime
 * starts with the same settings as everywhere else in the bench ({@code conv4j.onednn.*} properties, e.g.
 * {@code OMP_WAIT_POLICY}). Not thread-safe: one caller at a time (the stream and the buffers are shared).
 */
public final class KernelLimit implements AutoCloseable {

    private final List<AutoCloseable> owned = new ArrayList<>();
    private boolean backward;
    private String implementation;
    private stream stream;
    private Dims dims;
    private org.bytedeco.dnnl.primitive forward;
    private IntMemoryMap forwardArgs;
    private org.bytedeco.dnnl.primitive backwardData;
    private IntMemoryMap backwardDataArgs;
    private org.bytedeco.dnnl.primitive backwardWeights;
    private IntMemoryMap backwardWeightsArgs;

    private KernelLimit() {
    }

    /**
     * The primitives of {@code pass} on {@code p}'s data (with dL/dy for backward), activations in {@code layout}
     * ({@code any} or {@code nhwc}); runs the pass once.
     *
     * @throws IllegalArgumentException for an unknown layout or a padding mode other than zeros
     * @throws UnsupportedOperationException if oneDNN cannot be loaded on this platform
     */
    public static KernelLimit create(Problem p, ConvPass pass, String layout) {
        KernelLimit k = new KernelLimit();
        try {
            k.setup(p, pass == ConvPass.BACKWARD, layout);
        } catch (RuntimeException | Error e) {
            k.close();
            throw e;
        }
        return k;
    }

    /**
     * The primitives of {@code pass} on a 3D layer (rank-5 memory, {@code ncdhw} / {@code oidhw} plain layouts):
     * {@code input}, {@code weight}, {@code bias} and, for backward, {@code gradOutput}, heap NCDHW; activations in
     * {@code layout} ({@code any}, or {@code nhwc} for channels last, oneDNN's {@code ndhwc}); runs the pass once.
     *
     * @throws IllegalArgumentException for an unknown layout, a padding mode other than zeros, or a backward pass
     *         without {@code gradOutput}
     * @throws UnsupportedOperationException if oneDNN cannot be loaded on this platform
     */
    public static KernelLimit create3d(Conv3dShape s, Tensor5D input, Tensor5D weight, float[] bias,
                                       Tensor5D gradOutput, ConvPass pass, String layout) {
        if (s.params().paddingMode() != org.conv4j.api.PaddingMode.ZEROS) {
            throw new IllegalArgumentException("layer: expected zero padding (oneDNN pads with zeros only), got "
                    + s.params().paddingMode());
        }
        KernelLimit k = new KernelLimit();
        try {
            k.setup(new Dims(s), input.data(), weight.data(), bias, gradOutput == null ? null : gradOutput.data(),
                    pass == ConvPass.BACKWARD, layout);
        } catch (RuntimeException | Error e) {
            k.close();
            throw e;
        }
        return k;
    }

    private void setup(Problem p, boolean backward, String layout) {
        ConvShape g = p.shape().geometry();
        if (g.params().paddingMode() != org.conv4j.api.PaddingMode.ZEROS) {
            throw new IllegalArgumentException("shape: expected zero padding (oneDNN pads with zeros only), got "
                    + g.params().paddingMode());
        }
        setup(new Dims(g), p.input().data(), p.weight().data(), p.bias(),
                p.gradOutput() == null ? null : p.gradOutput().data(), backward, layout);
    }

    /** The primitives and memory of a layer of dims {@code d} (rank 4 or 5) on plain-layout data. */
    private void setup(Dims d, float[] x, float[] w, float[] b, float[] dyData, boolean backward, String layout) {
        this.backward = backward;
        memory.format_tag activations = switch (layout.trim().toLowerCase(Locale.ROOT)) {
            case "any" -> memory.format_tag.any;
            case "nhwc" -> d.volumetric() ? memory.format_tag.ndhwc : memory.format_tag.nhwc;
            default -> throw new IllegalArgumentException("layout: expected any or nhwc, got \"" + layout + "\"");
        };
        // Load oneDNN as conv4j does (its OpenMP settings apply before the natives load).
        Conv2d.backend("onednn").forward(Tensor4D.zeros(1, 1, 2, 2), Tensor4D.zeros(1, 1, 1, 1), null,
                ConvParams.DEFAULT);

        engine eng = own(new engine(engine.kind.cpu, 0));
        stream = own(new stream(eng));
        dims = d;
        memory.desc src = own(desc(activations, d.src));
        memory.desc weights = own(desc(memory.format_tag.any, d.weights));
        memory.desc bias = own(desc(memory.format_tag.any, d.bias));
        memory.desc dst = own(desc(activations, d.dst));
        memory.desc plainSrc = own(desc(d.plainTag(), d.src));
        memory.desc plainWeights = own(desc(d.weightsTag(), d.weights));
        memory.desc plainBias = own(desc(memory.format_tag.x, d.bias));
        memory.desc plainDst = own(desc(d.plainTag(), d.dst));
        primitive_attr attr = own(new primitive_attr());

        if (!backward) {
            convolution_forward.primitive_desc pd = own(new convolution_forward.primitive_desc(eng,
                    dnnl.prop_kind.forward_inference, dnnl.algorithm.convolution_direct, src, weights, bias, dst,
                    d.strides, d.dilates, d.padL, d.padR, attr, false));
            forward = own(new convolution_forward(pd));
            forwardArgs = own(new IntMemoryMap());
            forwardArgs.put(DNNL_ARG_SRC, filled(eng, plainSrc, pd.src_desc(), x));
            forwardArgs.put(DNNL_ARG_WEIGHTS, filled(eng, plainWeights, pd.weights_desc(), w));
            forwardArgs.put(DNNL_ARG_BIAS, filled(eng, plainBias, pd.bias_desc(), b));
            forwardArgs.put(DNNL_ARG_DST, own(new memory(pd.dst_desc(), eng)));
            implementation = pd.impl_info_str().getString();
            run();
            return;
        }
        convolution_forward.primitive_desc hint = own(new convolution_forward.primitive_desc(eng,
                dnnl.prop_kind.forward_training, dnnl.algorithm.convolution_direct, src, weights, bias, dst,
                d.strides, d.dilates, d.padL, d.padR, attr, false));
        convolution_backward_data.primitive_desc dataPd = own(new convolution_backward_data.primitive_desc(eng,
                dnnl.algorithm.convolution_direct, src, weights, dst, d.strides, d.dilates, d.padL, d.padR, hint, attr,
                false));
        convolution_backward_weights.primitive_desc weightsPd = own(new convolution_backward_weights.primitive_desc(
                eng, dnnl.algorithm.convolution_direct, src, weights, bias, dst, d.strides, d.dilates, d.padL, d.padR,
                hint, attr, false));
        backwardData = own(new convolution_backward_data(dataPd));
        backwardWeights = own(new convolution_backward_weights(weightsPd));
        if (dyData == null) {
            throw new IllegalArgumentException("problem: expected dL/dy for a backward pass, got none");
        }
        float[] dy = dyData;
        memory dataDiffDst = filled(eng, plainDst, dataPd.diff_dst_desc(), dy);
        memory weightsDiffDst = weightsPd.diff_dst_desc().equals(dataPd.diff_dst_desc()) ? dataDiffDst
                : filled(eng, plainDst, weightsPd.diff_dst_desc(), dy);
        backwardDataArgs = own(new IntMemoryMap());
        backwardDataArgs.put(DNNL_ARG_DIFF_DST, dataDiffDst);
        backwardDataArgs.put(DNNL_ARG_WEIGHTS, filled(eng, plainWeights, dataPd.weights_desc(), w));
        backwardDataArgs.put(DNNL_ARG_DIFF_SRC, own(new memory(dataPd.diff_src_desc(), eng)));
        backwardWeightsArgs = own(new IntMemoryMap());
        backwardWeightsArgs.put(DNNL_ARG_SRC, filled(eng, plainSrc, weightsPd.src_desc(), x));
        backwardWeightsArgs.put(DNNL_ARG_DIFF_DST, weightsDiffDst);
        backwardWeightsArgs.put(DNNL_ARG_DIFF_WEIGHTS, own(new memory(weightsPd.diff_weights_desc(), eng)));
        backwardWeightsArgs.put(DNNL_ARG_DIFF_BIAS, own(new memory(weightsPd.diff_bias_desc(), eng)));
        implementation = dataPd.impl_info_str().getString() + " / " + weightsPd.impl_info_str().getString();
        run();
    }

    /** oneDNN's description of a conv4j 2D or 3D layer (see conv-onednn's Geometry for the mapping). */
    private static final class Dims {
        final int groups;
        final long[] src;
        final long[] weights;
        final long[] bias;
        final long[] dst;
        final long[] strides;
        final long[] dilates;
        final long[] padL;
        final long[] padR;

        Dims(ConvShape g) {
            this(g.batch(), g.inChannels(), g.outChannels(), g.params().groups(), g.rows(), g.cols());
        }

        Dims(Conv3dShape g) {
            this(g.batch(), g.inChannels(), g.outChannels(), g.params().groups(), g.depth(), g.rows(), g.cols());
        }

        private Dims(int n, int c, int k, int groups, ConvAxis... axes) {
            this.groups = groups;
            int rank = 2 + axes.length;
            src = new long[rank];
            dst = new long[rank];
            src[0] = n;
            src[1] = c;
            dst[0] = n;
            dst[1] = k;
            // grouped weights have one more dim (g, K/g, C/g, k...): the same memory as conv4j's (K, C/g, k...)
            int lead = groups == 1 ? 2 : 3;
            weights = new long[lead + axes.length];
            if (groups > 1) {
                weights[0] = groups;
            }
            weights[lead - 2] = k / groups;
            weights[lead - 1] = c / groups;
            bias = new long[] {k};
            strides = new long[axes.length];
            dilates = new long[axes.length];
            padL = new long[axes.length];
            padR = new long[axes.length];
            for (int i = 0; i < axes.length; i++) {
                ConvAxis a = axes[i];
                src[2 + i] = a.in();
                dst[2 + i] = a.out();
                weights[lead + i] = a.kernel();
                strides[i] = a.stride();
                // oneDNN counts the holes between taps: conv4j's dilation minus one
                dilates[i] = a.dilation() - 1L;
                padL[i] = a.padBefore();
                padR[i] = a.padAfter();
            }
        }

        boolean volumetric() {
            return src.length == 5;
        }

        /** The plain channels-first tag of the activations: {@code nchw} or {@code ncdhw}. */
        memory.format_tag plainTag() {
            return volumetric() ? memory.format_tag.ncdhw : memory.format_tag.nchw;
        }

        /** conv4j's weight layout: {@code oihw}, {@code goihw}, {@code oidhw} or {@code goidhw}. */
        memory.format_tag weightsTag() {
            if (volumetric()) {
                return groups == 1 ? memory.format_tag.oidhw : memory.format_tag.goidhw;
            }
            return groups == 1 ? memory.format_tag.oihw : memory.format_tag.goihw;
        }
    }

    private static memory.desc desc(memory.format_tag tag, long[] dims) {
        return new memory.desc(dims, memory.data_type.f32, tag);
    }

    /** Native memory of layout {@code inner}, holding {@code data} (given in layout {@code plain}); made once. */
    private memory filled(engine eng, memory.desc plain, memory.desc inner, float[] data) {
        memory target = own(new memory(inner, eng));
        try (memory source = new memory(plain, eng)) {
            new FloatPointer(source.get_data_handle()).put(data);
            try (reorder r = new reorder(source, target)) {
                r.execute(stream, source, target);
                stream._wait();
            }
        }
        return target;
    }

    /** The forward output in NCHW (NCDHW) order, read back through a reorder (not for timed code). */
    public float[] forwardOutput() {
        return read(forwardArgs.get(DNNL_ARG_DST), dims.dst, dims.plainTag());
    }

    /** {@code dL/dx} in NCHW (NCDHW) order, read back through a reorder (not for timed code). */
    public float[] inputGradient() {
        return read(backwardDataArgs.get(DNNL_ARG_DIFF_SRC), dims.src, dims.plainTag());
    }

    /** {@code dL/dw} in conv4j's OIHW (OIDHW) order, read back through a reorder (not for timed code). */
    public float[] weightGradient() {
        return read(backwardWeightsArgs.get(DNNL_ARG_DIFF_WEIGHTS), dims.weights, dims.weightsTag());
    }

    /** {@code dL/db}, read back through a reorder (not for timed code). */
    public float[] biasGradient() {
        return read(backwardWeightsArgs.get(DNNL_ARG_DIFF_BIAS), dims.bias, memory.format_tag.x);
    }

    /** The contents of {@code inner}, reordered into the plain layout {@code tag} of {@code shape}. */
    private float[] read(memory inner, long[] shape, memory.format_tag tag) {
        long count = 1;
        for (long v : shape) {
            count *= v;
        }
        float[] out = new float[(int) count];
        try (memory.desc plainDesc = desc(tag, shape); memory plain = new memory(plainDesc, inner.get_engine());
             reorder r = new reorder(inner, plain)) {
            r.execute(stream, inner, plain);
            stream._wait();
            new FloatPointer(plain.get_data_handle()).get(out);
        }
        return out;
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    /** One pass: the forward primitive, or backward-data then backward-weights (with the bias gradient). */
    public void run() {
        if (backward) {
            backwardData.execute(stream, backwardDataArgs);
            backwardWeights.execute(stream, backwardWeightsArgs);
        } else {
            forward.execute(stream, forwardArgs);
        }
        stream._wait();
    }

    /** oneDNN's names of the kernels it chose, e.g. {@code brg_conv_fwd:avx512_core}. */
    public String implementation() {
        return implementation;
    }

    /** Frees every native object (idempotent). */
    @Override
    public synchronized void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                throw new IllegalStateException("onednn: could not free a native object", e);
            }
        }
        owned.clear();
    }

}
