package org.conv4j.testkit;

import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Tensor5D;

/**
 * The kit's own transposed 3D convolution, written from its definition as a scatter and independent of the
 * library's reduction to an input gradient: input element {@code x[n, ci, z, y, x]} adds
 * {@code x * w[ci, co', a, i, j]} to output {@code (n, g*CoutG + co', z*sd - padFront + a*dd, y*sh - padTop + i*dh,
 * x*sw - padLeft + j*dw)} where that lies inside the output, with {@code g = ci / (Cin/groups)}; every output element
 * starts at its channel's bias. Heap NCDHW; accumulates in double.
 */
final class Transposed3dReference {

    private Transposed3dReference() {
    }

    /** The transposed forward pass, output of size {@code out = {outD, outH, outW}}. */
    static Tensor5D forward(Tensor5D x, Tensor5D w, float[] bias, Conv3dParams p, int[] out) {
        int cout = w.c() * p.groups();
        double[] y = new double[x.n() * cout * out[0] * out[1] * out[2]];
        walk(x, w, p, out, null, y, null, null);
        Tensor5D result = Tensor5D.zeros(x.n(), cout, out[0], out[1], out[2]);
        int volume = out[0] * out[1] * out[2];
        for (int e = 0; e < y.length; e++) {
            result.data()[e] = (float) (y[e] + (bias == null ? 0.0 : bias[(e / volume) % cout]));
        }
        return result;
    }

    /** The backward pass of {@link #forward}: {@code dL/dx}, {@code dL/dw} and {@code dL/db} for {@code dL/dy = dy}. */
    static Conv3dGradients backward(Tensor5D x, Tensor5D w, Tensor5D dy, Conv3dParams p) {
        int[] out = {dy.d(), dy.h(), dy.w()};
        double[] dx = new double[x.size()];
        double[] dw = new double[w.size()];
        walk(x, w, p, out, dy.data(), null, dx, dw);
        double[] db = new double[dy.c()];
        int volume = out[0] * out[1] * out[2];
        for (int e = 0; e < dy.size(); e++) {
            db[(e / volume) % dy.c()] += dy.data()[e];
        }
        float[] gb = new float[db.length];
        for (int k = 0; k < gb.length; k++) {
            gb[k] = (float) db[k];
        }
        return new Conv3dGradients(store(dx, Tensor5D.zeros(x.n(), x.c(), x.d(), x.h(), x.w())),
                store(dw, Tensor5D.zeros(w.n(), w.c(), w.d(), w.h(), w.w())), gb);
    }

    /**
     * Every (input element, tap) pair whose output lies inside {@code out}: forward when {@code dy} is null (into
     * {@code y}), else backward (into {@code dx} and {@code dw}).
     */
    private static void walk(Tensor5D xt, Tensor5D wt, Conv3dParams p, int[] out, float[] dy, double[] y,
                             double[] dx, double[] dw) {
        float[] x = xt.data();
        float[] w = wt.data();
        int cinG = xt.c() / p.groups();
        int coutG = wt.c();
        int cout = coutG * p.groups();
        int[] in = {xt.d(), xt.h(), xt.w()};
        int[] k = {wt.d(), wt.h(), wt.w()};
        int[] s = {p.strideD(), p.strideH(), p.strideW()};
        int[] d = {p.dilationD(), p.dilationH(), p.dilationW()};
        int[] before = {p.padFront(), p.padTop(), p.padLeft()};
        for (int n = 0; n < xt.n(); n++) {
            for (int ci = 0; ci < xt.c(); ci++) {
                int g = ci / cinG;
                for (int iz = 0; iz < in[0]; iz++) {
                    for (int iy = 0; iy < in[1]; iy++) {
                        for (int ix = 0; ix < in[2]; ix++) {
                            int xi = (((n * xt.c() + ci) * in[0] + iz) * in[1] + iy) * in[2] + ix;
                            for (int co = 0; co < coutG; co++) {
                                int oc = g * coutG + co;
                                for (int a = 0; a < k[0]; a++) {
                                    int oz = iz * s[0] - before[0] + a * d[0];
                                    for (int i = 0; i < k[1]; i++) {
                                        int oy = iy * s[1] - before[1] + i * d[1];
                                        for (int j = 0; j < k[2]; j++) {
                                            int ox = ix * s[2] - before[2] + j * d[2];
                                            if (oz < 0 || oz >= out[0] || oy < 0 || oy >= out[1] || ox < 0
                                                    || ox >= out[2]) {
                                                continue;
                                            }
                                            int wi = (((ci * coutG + co) * k[0] + a) * k[1] + i) * k[2] + j;
                                            int yi = (((n * cout + oc) * out[0] + oz) * out[1] + oy) * out[2] + ox;
                                            if (dy == null) {
                                                y[yi] += (double) x[xi] * w[wi];
                                            } else {
                                                dx[xi] += (double) w[wi] * dy[yi];
                                                dw[wi] += (double) x[xi] * dy[yi];
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static Tensor5D store(double[] from, Tensor5D to) {
        for (int e = 0; e < from.length; e++) {
            to.data()[e] = (float) from[e];
        }
        return to;
    }
}
