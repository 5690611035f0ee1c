package org.conv4j.onednn;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

/**
 * The two oneDNN faults conv4j works around, reproduced with oneDNN's own API alone (JavaCPP's binding, no conv4j
 * code), for reporting upstream and for re-checking after an upgrade ({@link UpstreamReproTest}). Run as
 * {@code UpstreamRepro crash} or {@code UpstreamRepro column}:
 * <ul>
 *   <li>{@code crash}: a grouped forward convolution with bias whose output columns all lie in the padding
 *       (input width 1, kernel width 1, padding left 1 and right 2, stride 3). oneDNN 3.11 (brgemm kernels, AVX2
 *       and AVX-512) dies with SIGSEGV in {@code brgemm_convolution_fwd_t::perform_outwork}; survives, it prints
 *       {@code survived} and exits 0.</li>
 *   <li>{@code column}: a forward convolution with one output column, row stride 1 and column stride 2 (input
 *       4x3, kernel 1x3, no padding). oneDNN 3.11 returns wrong values from the second output row on; it prints
 *       the largest difference from a plain loop, and {@code wrong} or {@code right}.</li>
 * </ul>
 * Single channels make NCHW and NHWC the same bytes, so only the weights need a reorder into oneDNN's layout.
 */
public final class UpstreamRepro {

    public static void main(String[] args) {
        Loader.load(dnnl.class);
        System.out.println("oneDNN " + dnnl.dnnl_version().major() + "." + dnnl.dnnl_version().minor() + "."
                + dnnl.dnnl_version().patch());
        if (args[0].equals("crash")) {
            // x (3, 2, 7, 1), w (6, 1, 2, 1) in 2 groups, stride (1, 3), padding (top 2, left 1) / (bottom 0, right 2),
            // dilation (1, 3) (oneDNN: 0, 2), bias
            float[] y = forward(new long[] {3, 2, 7, 1}, new long[] {2, 3, 1, 2, 1}, true, new long[] {1, 3},
                    new long[] {0, 2}, new long[] {2, 1}, new long[] {0, 2}, new long[] {3, 6, 8, 2});
            System.out.println("survived (" + y.length + " outputs)");
        } else {
            long[] src = {1, 1, 4, 3};
            float[] y = forward(src, new long[] {1, 1, 1, 3}, false, new long[] {1, 2}, new long[] {0, 0},
                    new long[] {0, 0}, new long[] {0, 0}, new long[] {1, 1, 4, 1});
            float worst = 0;
            for (int oh = 0; oh < 4; oh++) {
                float expected = 0;
                for (int j = 0; j < 3; j++) {
                    expected += value(oh * 3 + j) * value(100 + j);
                }
                worst = Math.max(worst, Math.abs(expected - y[oh]));
            }
            System.out.println("largest difference " + worst + ": " + (worst > 1e-4 ? "wrong" : "right"));
        }
    }

    /** Deterministic test data: element {@code i} of an operand. */
    private static float value(int i) {
        return (float) Math.sin(1.7 * i + 0.3);
    }

    private static float[] forward(long[] srcDims, long[] weightDims, boolean bias, long[] strides, long[] dilates,
                                   long[] padL, long[] padR, long[] dstDims) {
        engine eng = new engine(engine.kind.cpu, 0);
        stream s = new stream(eng);
        boolean grouped = weightDims.length == 5;
        memory.desc src = new memory.desc(srcDims, memory.data_type.f32, memory.format_tag.nchw);
        memory.desc dst = new memory.desc(dstDims, memory.data_type.f32, memory.format_tag.nchw);
        memory.desc wAny = new memory.desc(weightDims, memory.data_type.f32, memory.format_tag.any);
        memory.desc wPlain = new memory.desc(weightDims, memory.data_type.f32,
                grouped ? memory.format_tag.goihw : memory.format_tag.oihw);
        memory.desc b = new memory.desc(new long[] {dstDims[1]}, memory.data_type.f32, memory.format_tag.x);
        convolution_forward.primitive_desc pd = bias
                ? new convolution_forward.primitive_desc(eng, dnnl.prop_kind.forward_inference,
                        dnnl.algorithm.convolution_direct, src, wAny, b, dst, strides, dilates, padL, padR)
                : new convolution_forward.primitive_desc(eng, dnnl.prop_kind.forward_inference,
                        dnnl.algorithm.convolution_direct, src, wAny, dst, strides, dilates, padL, padR);
        System.out.println("implementation " + pd.impl_info_str().getString());
        memory srcMem = filled(src, eng, 0);
        memory wPlainMem = filled(wPlain, eng, 100);
        memory wMem = new memory(pd.weights_desc(), eng);
        new reorder(wPlainMem, wMem).execute(s, wPlainMem, wMem);
        memory dstMem = new memory(dst, eng);
        try (IntMemoryMap m = new IntMemoryMap()) {
            m.put(DNNL_ARG_SRC, srcMem);
            m.put(DNNL_ARG_WEIGHTS, wMem);
            if (bias) {
                m.put(DNNL_ARG_BIAS, filled(b, eng, 200));
            }
            m.put(DNNL_ARG_DST, dstMem);
            new convolution_forward(pd).execute(s, m);
        }
        s._wait();
        FloatPointer out = new FloatPointer(dstMem.get_data_handle());
        float[] y = new float[(int) (dst.get_size() / 4)];
        out.get(y);
        return y;
    }

    private static memory filled(memory.desc d, engine eng, int first) {
        memory m = new memory(d, eng);
        FloatPointer p = new FloatPointer(m.get_data_handle());
        for (int i = 0; i < d.get_size() / 4; i++) {
            p.put(i, value(first + i));
        }
        return m;
    }
}
