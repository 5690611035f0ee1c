package org.conv4j.naive;

import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.Tensor5D;

/**
 * The 3D reference: the sums of {@link org.conv4j.api.Conv3dBackend} written out as plain loops over heap NCDHW
 * arrays, accumulated in double, with real zero padding (a padded position contributes {@code 0 * w}, so a
 * non-finite weight reaches every output it multiplies, as in 2D). Element {@code (n, c, d, h, w)} of a tensor of
 * shape {@code (N, C, D, H, W)} is at {@code (((n*C + c)*D + d)*H + h)*W + w}.
 *
 * <p>The forward and the backward pass walk the same loop nest, over every output element and every tap of its
 * window: forward sums {@code w * x} into the output; backward adds {@code w * dy} into {@code dL/dx} at the input
 * element the tap reads (none for padding), {@code dy * x} into {@code dL/dw} and {@code dy} into {@code dL/db}.
 */
final class Naive3d {

    private Naive3d() {
    }

    static Tensor5D forward(Conv3dShape s, Tensor5D input, Tensor5D weight, float[] bias) {
        double[] y = new double[s.batch() * s.outChannels() * s.depth().out() * s.rows().out() * s.cols().out()];
        walk(s, input.data(), weight.data(), bias, null, y, null, null, null);
        Tensor5D out = s.newOutput();
        store(y, out.data());
        return out;
    }

    static Conv3dGradients backward(Conv3dShape s, Tensor5D input, Tensor5D weight, Tensor5D gradOutput) {
        double[] dx = new double[input.size()];
        double[] dw = new double[weight.size()];
        double[] db = new double[s.outChannels()];
        walk(s, input.data(), weight.data(), null, gradOutput.data(), null, dx, dw, db);
        Tensor5D gx = s.newInput();
        Tensor5D gw = s.newWeight();
        store(dx, gx.data());
        store(dw, gw.data());
        float[] gb = new float[db.length];
        store(db, gb);
        return new Conv3dGradients(gx, gw, gb);
    }

    /** The loop nest: forward when {@code dy} is null (into {@code y}), else backward (into dx, dw, db). */
    private static void walk(Conv3dShape s, float[] x, float[] w, float[] bias, float[] dy, double[] y, double[] dx,
                             double[] dw, double[] db) {
        ConvAxis ad = s.depth();
        ConvAxis ah = s.rows();
        ConvAxis aw = s.cols();
        int c = s.inChannels();
        int cg = s.inChannelsPerGroup();
        int kg = s.outChannelsPerGroup();
        int yi = 0;
        for (int n = 0; n < s.batch(); n++) {
            for (int k = 0; k < s.outChannels(); k++) {
                int g = k / kg;
                for (int od = 0; od < ad.out(); od++) {
                    for (int oh = 0; oh < ah.out(); oh++) {
                        for (int ow = 0; ow < aw.out(); ow++, yi++) {
                            double acc = bias == null ? 0.0 : bias[k];
                            int wi = k * cg * ad.kernel() * ah.kernel() * aw.kernel();
                            for (int ch = 0; ch < cg; ch++) {
                                int plane = n * c + g * cg + ch;
                                for (int a = 0; a < ad.kernel(); a++) {
                                    long zd = ad.inputIndex(od, a);
                                    for (int i = 0; i < ah.kernel(); i++) {
                                        long zh = ah.inputIndex(oh, i);
                                        for (int j = 0; j < aw.kernel(); j++, wi++) {
                                            long zw = aw.inputIndex(ow, j);
                                            boolean inside = ad.contains(zd) && ah.contains(zh) && aw.contains(zw);
                                            int xi = inside
                                                    ? (int) (((plane * (long) ad.in() + zd) * ah.in() + zh) * aw.in() + zw)
                                                    : -1;
                                            float xv = inside ? x[xi] : 0f; // padding is a real zero
                                            if (dy == null) {
                                                acc += (double) w[wi] * xv;
                                            } else {
                                                if (inside) {
                                                    dx[xi] += (double) w[wi] * dy[yi];
                                                }
                                                dw[wi] += (double) dy[yi] * xv;
                                            }
                                        }
                                    }
                                }
                            }
                            if (dy == null) {
                                y[yi] = acc;
                            } else {
                                db[k] += dy[yi];
                            }
                        }
                    }
                }
            }
        }
    }

    private static void store(double[] from, float[] to) {
        for (int i = 0; i < from.length; i++) {
            to[i] = (float) from[i];
        }
    }
}
