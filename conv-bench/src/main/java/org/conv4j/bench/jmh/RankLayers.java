package org.conv4j.bench.jmh;

import java.util.LinkedHashMap;
import java.util.Map;
import org.conv4j.api.Conv1dParams;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.Tensor5D;
import org.conv4j.bench.BenchShape;

/**
 * The named 1D and 3D layers of {@link RankBench} and {@link Rank3dBench}. They live here rather than in
 * {@link org.conv4j.bench.ShapeCatalog}, whose shapes are 2D problems that every 2D benchmark and the comparison
 * command run.
 *
 * <p>A 1D layer is kept as the {@link BenchShape} of height 1 that is its 2D form (input {@code (N, C, 1, W)},
 * weight {@code (K, C/groups, 1, kW)}, parameters {@link Conv1dParams#toConvParams()}), together with its
 * {@link Conv1dParams}: the same problem posed either way.
 */
final class RankLayers {

    /** The dilations of one WaveNet stack: 1, 2, 4, ..., 512. */
    static final int[] WAVENET_DILATIONS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

    /** The text-CNN kernel widths (Kim 2014): 3, 4 and 5. */
    static final int[] TEXTCNN_KERNELS = {3, 4, 5};

    private static final Map<String, Layer1d> LAYERS_1D = layers1d();
    private static final Map<String, Layer3d> LAYERS_3D = layers3d();

    private RankLayers() {
    }

    /**
     * One named 1D layer.
     *
     * @param shape  its 2D form, of height 1 (data, bias and FLOP count come from it)
     * @param params its 1D parameters, whose {@link Conv1dParams#toConvParams()} are {@code shape.params()}
     */
    record Layer1d(BenchShape shape, Conv1dParams params) {
    }

    /**
     * One named 3D layer: input {@code (batch, inChannels, depth, height, width)}, weight
     * {@code (outChannels, inChannels/groups, kernel, kernel, kernel)}.
     *
     * @param name        the name, e.g. {@code unet3d-16-16x32x32}
     * @param description what the layer is, in words
     * @param batch       N
     * @param inChannels  C
     * @param depth       D
     * @param height      H
     * @param width       W
     * @param outChannels K
     * @param kernel      the kernel's size along every axis
     * @param params      the parameters
     */
    record Layer3d(String name, String description, int batch, int inChannels, int depth, int height, int width,
                   int outChannels, int kernel, Conv3dParams params) {

        /** The input, uniform in {@code [-1, 1)} from {@code seed}. */
        Tensor5D input(long seed) {
            return Tensor5D.random(seed, batch, inChannels, depth, height, width);
        }

        /** The weight, uniform in {@code [-1, 1)} from {@code seed + 1}. */
        Tensor5D weight(long seed) {
            return Tensor5D.random(seed + 1, outChannels, inChannels / params.groups(), kernel, kernel, kernel);
        }

        /** The validated geometry of the forward pass on {@code input} and {@code weight}. */
        Conv3dShape geometry(Tensor5D input, Tensor5D weight) {
            return Conv3dShape.forward(input, weight, null, params);
        }
    }

    /**
     * The 1D layer called {@code name}.
     *
     * @throws IllegalArgumentException listing the names, if there is none
     */
    static Layer1d layer1d(String name) {
        Layer1d l = LAYERS_1D.get(name);
        if (l == null) {
            throw new IllegalArgumentException("layer: expected one of " + LAYERS_1D.keySet() + ", got \"" + name
                    + "\"");
        }
        return l;
    }

    /**
     * The 3D layer called {@code name}.
     *
     * @throws IllegalArgumentException listing the names, if there is none
     */
    static Layer3d layer3d(String name) {
        Layer3d l = LAYERS_3D.get(name);
        if (l == null) {
            throw new IllegalArgumentException("layer: expected one of " + LAYERS_3D.keySet() + ", got \"" + name
                    + "\"");
        }
        return l;
    }

    /** Every 1D layer, by name, in catalogue order. */
    static Map<String, Layer1d> layers1dByName() {
        return LAYERS_1D;
    }

    /** Every 3D layer, by name, in catalogue order. */
    static Map<String, Layer3d> layers3dByName() {
        return LAYERS_3D;
    }

    private static Map<String, Layer1d> layers1d() {
        Map<String, Layer1d> m = new LinkedHashMap<>();
        // WaveNet's dilated causal convolution: 64 residual channels into 128 (filter and gate), kernel 2, padded
        // on the left only by the dilation so that each output sees no future sample; one second at 16 kHz.
        for (int d : WAVENET_DILATIONS) {
            add(m, "wavenet-d" + d, "WaveNet dilated causal conv: 64->128 (filter+gate), kernel 2, dilation " + d
                    + ", 16000 samples, batch 1", 1, 64, 16000, 128, 2,
                    Conv1dParams.builder().padding(d, 0).dilation(d).build());
        }
        // Kim (2014)'s sentence classifier: 300-d word vectors, 100 filters per width, no padding.
        for (int k : TEXTCNN_KERNELS) {
            add(m, "textcnn-k" + k, "text CNN (Kim 2014): 300->100, kernel " + k + ", 400 tokens, batch 8",
                    8, 300, 400, 100, k, Conv1dParams.DEFAULT);
        }
        // A temporal convolution network's (Bai et al. 2018) causal residual-block convolution.
        add(m, "tcn-k3-d4", "TCN residual block conv: 128->128, kernel 3, dilation 4, causal, 1024 steps, batch 8",
                8, 128, 1024, 128, 3, Conv1dParams.builder().padding(8, 0).dilation(4).build());
        // Conformer's depthwise convolution module: one filter per channel, same padding.
        add(m, "conformer-dw-k31", "Conformer depthwise conv: 256 channels, kernel 31, groups 256, same padding,"
                + " 250 frames, batch 8", 8, 256, 250, 256, 31,
                Conv1dParams.builder().padding(15).groups(256).build());
        // wav2vec 2.0's first feature-encoder layer on raw audio: one channel in, stride 5.
        add(m, "wav2vec2-conv0", "wav2vec 2.0 feature encoder conv 0: 1->512, kernel 10, stride 5, 16000 samples,"
                + " batch 1", 1, 1, 16000, 512, 10, Conv1dParams.builder().stride(5).build());
        return m;
    }

    private static void add(Map<String, Layer1d> m, String name, String description, int batch, int inChannels,
                            int width, int outChannels, int kernel, Conv1dParams params) {
        m.put(name, new Layer1d(new BenchShape(name, "1d", description, batch, inChannels, 1, width, outChannels, 1,
                kernel, params.toConvParams()), params));
    }

    private static Map<String, Layer3d> layers3d() {
        Map<String, Layer3d> m = new LinkedHashMap<>();
        // Sizes scaled down from C3D (16x112x112 clips) and 3D U-Net (e.g. 132^3 patches) so that the naive
        // reference runs one call in about a second at most: 0.1-0.3 GFLOP per forward pass.
        Conv3dParams same = Conv3dParams.builder().padding(1).build();
        for (Layer3d l : new Layer3d[] {
            new Layer3d("unet3d-16-8x32x32", "3D U-Net level-1 conv: 16->16 at 8x32x32, 3x3x3, pad 1, batch 1",
                    1, 16, 8, 32, 32, 16, 3, same),
            new Layer3d("unet3d-16-16x32x32", "3D U-Net level-1 conv: 16->16 at 16x32x32, 3x3x3, pad 1, batch 1",
                    1, 16, 16, 32, 32, 16, 3, same),
            new Layer3d("unet3d-down-16to32", "3D U-Net downsampling conv: 16->32, 16x32x32 -> 8x16x16, 3x3x3,"
                    + " stride 2, pad 1, batch 1", 1, 16, 16, 32, 32, 32, 3,
                    Conv3dParams.builder().stride(2).padding(1).build()),
            new Layer3d("c3d-conv1-8x40x40", "C3D conv1 on a smaller clip: 3->64 at 8x40x40, 3x3x3, pad 1, batch 1",
                    1, 3, 8, 40, 40, 64, 3, same),
            // Large kernels, where the FFT's cost barely grows with the kernel and direct methods' grows with its
            // volume (343 and 729 taps): few channels, so that the naive reference stays within its limit.
            new Layer3d("large3d-k7-4-32x32x32", "Large-kernel 3D conv: 4->4 at 32x32x32, 7x7x7, pad 3, batch 1",
                    1, 4, 32, 32, 32, 4, 7, Conv3dParams.builder().padding(3).build()),
            new Layer3d("large3d-k9-4-24x24x24", "Large-kernel 3D conv: 4->4 at 24x24x24, 9x9x9, pad 4, batch 1",
                    1, 4, 24, 24, 24, 4, 9, Conv3dParams.builder().padding(4).build()),
        }) {
            m.put(l.name(), l);
        }
        return m;
    }
}
