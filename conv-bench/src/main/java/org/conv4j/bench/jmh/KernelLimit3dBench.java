package org.conv4j.bench.jmh;

import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor5D;
import org.conv4j.bench.KernelLimit;
import org.conv4j.bench.Problem;
import org.openjdk.jmh.annotations.Param;

/**
 * The kernel limit of 3D convolution ({@link KernelLimit#create3d}: oneDNN's primitives alone on rank-5 native
 * memory already in the layouts they chose, weights laid out once, primitives made in {@code @Setup}) on the 3D
 * U-Net layers of {@link RankLayers}, with the operands {@link Rank3dBench} makes from the same seed.
 * {@code forward} is the {@code forward_inference} primitive with bias; {@code backward} is backward-data then
 * backward-weights with the bias gradient. The measured method is {@code execute} and {@code wait}; the kernels
 * oneDNN chose are printed once per trial ({@code # kernel: ...}). What {@link Rank3dBench} with
 * {@code backend=onednn} can at best approach on this machine: run both in the same run.
 *
 * <p>Settings: those of {@link MillisecondBench} (1 fork, 3 warm-up and 5 measured iterations of 2 s each), as
 * {@link KernelLimitBench}.
 */
public class KernelLimit3dBench extends KernelLimitTrial {

    /** A 3D U-Net layer's name ({@link RankLayers}). */
    @Param({"unet3d-16-8x32x32", "unet3d-16-16x32x32", "unet3d-down-16to32"})
    public String layer;

    /** The activations' layout: {@code any} (oneDNN chooses) or {@code nhwc} (channels last, {@code ndhwc}). */
    @Param({"any"})
    public String layout;

    @Override
    KernelLimit create(ConvPass pass) {
        RankLayers.Layer3d l = RankLayers.layer3d(layer);
        long seed = Problem.DEFAULT_SEED;
        Tensor5D input = l.input(seed);
        Tensor5D weight = l.weight(seed);
        Conv3dShape s = l.geometry(input, weight);
        float[] bias = new float[s.outChannels()];
        for (int k = 0; k < bias.length; k++) {
            bias[k] = 0.01f * (k % 7 - 3);
        }
        Tensor5D gradOutput = pass == ConvPass.BACKWARD ? Tensor5D.random(seed + 3, s.batch(), s.outChannels(),
                s.depth().out(), s.rows().out(), s.cols().out()) : null;
        return KernelLimit.create3d(s, input, weight, bias, gradOutput, pass, layout);
    }
}
