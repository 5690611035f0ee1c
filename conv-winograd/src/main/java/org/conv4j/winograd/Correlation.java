package org.conv4j.winograd;

import org.conv4j.api.ConvShape;

/**
 * The one computation this backend runs by Winograd's method: a 3x3 stride-1 correlation of NCHW planes, with
 * zeros read outside the source,
 * <pre>
 *   dst[n, ko, h, w] = bias[ko] + sum_{ci < srcPerGroup, i, j < 3} tap(ko, ci, i, j) * src[n, g*srcPerGroup + ci, h + originH + i, w + originW + j]
 * </pre>
 * for {@code h < dstH, w < dstW}, {@code g = ko / dstPerGroup}. Both passes it serves are such correlations:
 * <ul>
 *   <li>the forward pass: {@code src = x, dst = y}, {@code origin = (-padTop, -padLeft)},
 *       {@code tap(k, c, i, j) = w[k, c, i, j]};</li>
 *   <li>the input gradient: {@code src = dL/dy, dst = dL/dx}, {@code origin = (padTop - 2, padLeft - 2)},
 *       {@code tap(c, k, i, j) = w[g*Kg + k, c - g*Cg, 2 - i, 2 - j]} (the kernel rotated by 180 degrees, its
 *       two channel axes swapped within each group). Because
 *       {@code dx[c, h, w] = sum_{k, i, j} dy[k, h + padTop - i, w + padLeft - j] w[k, c, i, j]} (every output whose
 *       window reads {@code x[h, w]}), and substituting {@code i' = 2 - i} gives
 *       {@code dy[k, h + (padTop - 2) + i', ...] w[k, c, 2 - i', ...]}. An origin above zero (padding above 2)
 *       skips the first rows of {@code dL/dy}: they belong to windows that read no input.</li>
 * </ul>
 *
 * @param batch        images {@code N}
 * @param srcChannels  source channels (all groups)
 * @param srcH         source height
 * @param srcW         source width
 * @param dstChannels  destination channels (all groups)
 * @param dstH         destination height
 * @param dstW         destination width
 * @param groups       groups
 * @param originH      the source row of the first tap of destination row 0
 * @param originW      the source column of the first tap of destination column 0
 * @param flipped      whether taps are read as for the input gradient (see above)
 */
record Correlation(int batch, int srcChannels, int srcH, int srcW, int dstChannels, int dstH, int dstW, int groups,
                   int originH, int originW, boolean flipped) {

    /** The forward pass of {@code s}. */
    static Correlation forward(ConvShape s) {
        return new Correlation(s.batch(), s.inChannels(), s.inH(), s.inW(), s.outChannels(), s.outH(), s.outW(),
                s.groups(), -s.params().padTop(), -s.params().padLeft(), false);
    }

    /** The input gradient of {@code s}. */
    static Correlation inputGradient(ConvShape s) {
        return new Correlation(s.batch(), s.outChannels(), s.outH(), s.outW(), s.inChannels(), s.inH(), s.inW(),
                s.groups(), s.params().padTop() - 2, s.params().padLeft() - 2, true);
    }

    int srcPerGroup() {
        return srcChannels / groups;
    }

    int dstPerGroup() {
        return dstChannels / groups;
    }

    int tilesH(TileSize t) {
        return (dstH + t.m - 1) / t.m;
    }

    int tilesW(TileSize t) {
        return (dstW + t.m - 1) / t.m;
    }

    /** Tiles over the whole batch: {@code N * ceil(dstH / m) * ceil(dstW / m)}. */
    long tiles(TileSize t) {
        return (long) batch * tilesH(t) * tilesW(t);
    }

    /** Floats of the transformed kernel, {@code alpha^2 * dstChannels * srcPerGroup}. */
    long kernelFloats(TileSize t) {
        return (long) t.alpha * t.alpha * dstChannels * srcPerGroup();
    }

    /** Multiply-adds of the GEMM stage: {@code alpha^2 * tiles * dstChannels * srcPerGroup}. */
    double gemmMacs(TileSize t) {
        return (double) t.alpha * t.alpha * tiles(t) * dstChannels * srcPerGroup();
    }

    /**
     * The index in the weight tensor {@code (K, C/groups, 3, 3)} of {@code tap(ko, ci, i, j)}; see the class
     * comment for both readings.
     */
    int tapIndex(int ko, int ci, int i, int j) {
        if (!flipped) {
            return ((ko * srcPerGroup() + ci) * 3 + i) * 3 + j;
        }
        int g = ko / dstPerGroup();
        int k = g * srcPerGroup() + ci;                 // the forward's output channel
        int c = ko - g * dstPerGroup();                  // the forward's input channel within the group
        return ((k * dstPerGroup() + c) * 3 + (2 - i)) * 3 + (2 - j);
    }
}
