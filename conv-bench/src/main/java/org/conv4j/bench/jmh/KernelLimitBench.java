package org.conv4j.bench.jmh;

import org.conv4j.api.ConvPass;
import org.conv4j.bench.KernelLimit;
import org.conv4j.bench.Problem;
import org.conv4j.bench.ShapeCatalog;
import org.openjdk.jmh.annotations.Param;

/**
 * The kernel limit ({@link KernelLimit}: oneDNN's convolution primitives alone, on native memory already in the
 * layouts they chose, weights laid out once, primitives made in {@code @Setup}) on one catalogue shape:
 * {@code KernelLimitBench -p shape=networks-b1 -p layout=any,nhwc} (a group expands to its shapes, see
 * {@link BenchMain}). {@code forward} is the {@code forward_inference} primitive with bias; {@code backward} is
 * backward-data then backward-weights with the bias gradient. The measured method is {@code execute} and
 * {@code wait}; the kernels oneDNN chose are printed once per trial ({@code # kernel: ...}). What a call
 * through conv4j can at best approach on this machine: compare with {@link ConvBench} on the same shapes in the
 * same run ({@code benchmarks.jar totals}, {@link NetworkTotals}).
 */
public class KernelLimitBench extends KernelLimitTrial {

    /** A shape name from {@link ShapeCatalog} (groups expand in {@link BenchMain}). */
    @Param({"resnet50-net-res2a-branch2b-b1", "mobilenet-dw-net-conv2-1-dw-b1"})
    public String shape;

    /** The activations' layout: {@code any} or {@code nhwc}. */
    @Param({"any"})
    public String layout;

    @Override
    KernelLimit create(ConvPass pass) {
        return KernelLimit.create(Problem.of(ShapeCatalog.byName(shape), pass, Problem.DEFAULT_SEED), pass, layout);
    }
}
