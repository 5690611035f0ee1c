package org.conv4j.testkit;

import org.conv4j.api.Conv1dGradients;
import org.conv4j.api.Conv1dParams;
import org.conv4j.api.Tensor3D;

/**
 * The kit's own 1D reference, written from the definitions with explicit loops over NCW arrays and shared with no
 * 2D code, so that a 1D result of any backend (the naive one included) is checked against something that does not
 * go through the height-1 mapping it tests. Sums are accumulated in double.
 *
 * <pre>
 *   y[n,k,o]  = b[k] + sum_{c&lt;Cg, j&lt;kW} w[k,c,j] * xp[n, g*Cg + c, o*stride - padLeft + j*dilation]
 *   dx[n,ci,i] += w[k,c,j] * dy[n,k,o]     for every (k, c, j, o) that reads i (through a padded copy or itself)
 *   dw[k,c,j]  = sum_{n,o} dy[n,k,o] * xp[n, g*Cg + c, o*stride - padLeft + j*dilation]
 *   db[k]      = sum_{n,o} dy[n,k,o]
 * </pre>
 * where {@code xp} reads the padding ({@link ConvBackendConformance#copyOf}: zero, or a copy of an input element);
 * a zero of the padding is multiplied like any element, so a non-finite weight or dL/dy reaches the outputs and
 * weight gradients whose window lies partly in the padding, as when the padding is materialised.
 * The transposed convolution scatters input {@code (n, ci, i)} through tap {@code j} to output position
 * {@code i*stride - padLeft + j*dilation} of each output channel of its group, and its gradients gather back along
 * the same paths.
 */
final class Conv1dReference {

    private Conv1dReference() {
    }

    /** The elements of {@code t} in NCW order. */
    private static float[] ncw(Tensor3D t) {
        return t.isHeapNcw() ? t.data() : Tensor3D.zeros(t.n(), t.c(), t.w()).copyFrom(t).data();
    }

    private static Tensor3D tensor(double[] values, int n, int c, int w) {
        return Tensor3D.wrap(floats(values), n, c, w);
    }

    /** The forward output length, {@code floor((W + padLeft + padRight - ((kW - 1)*dilation + 1)) / stride) + 1}. */
    static int outW(int width, int kernel, Conv1dParams p) {
        return (width + p.padLeft() + p.padRight() - ((kernel - 1) * p.dilation() + 1)) / p.stride() + 1;
    }

    static Tensor3D forward(Tensor3D input, Tensor3D weight, float[] bias, Conv1dParams p) {
        return pass(input, weight, bias, null, p).output;
    }

    static Conv1dGradients backward(Tensor3D input, Tensor3D weight, Tensor3D gradOutput, Conv1dParams p) {
        Pass r = pass(input, weight, null, gradOutput, p);
        return new Conv1dGradients(r.dx, r.dw, r.db);
    }

    private record Pass(Tensor3D output, Tensor3D dx, Tensor3D dw, float[] db) {
    }

    /** The forward pass (gradOutput null) or the backward pass, over the same loop nest. */
    private static Pass pass(Tensor3D input, Tensor3D weight, float[] bias, Tensor3D gradOutput, Conv1dParams p) {
        int n = input.n();
        int c = input.c();
        int width = input.w();
        int k = weight.n();
        int cg = weight.c();
        int kw = weight.w();
        int kg = k / p.groups();
        int out = outW(width, kw, p);
        float[] x = ncw(input);
        float[] w = ncw(weight);
        float[] dy = gradOutput == null ? null : ncw(gradOutput);
        double[] y = new double[n * k * out];
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        double[] db = new double[k];
        for (int b = 0; b < n; b++) {
            for (int f = 0; f < k; f++) {
                int g = f / kg;
                for (int o = 0; o < out; o++) {
                    int yi = (b * k + f) * out + o;
                    double sum = bias == null ? 0 : bias[f];
                    for (int ch = 0; ch < cg; ch++) {
                        for (int j = 0; j < kw; j++) {
                            int src = ConvBackendConformance.copyOf(p.paddingMode(),
                                    o * p.stride() - p.padLeft() + j * p.dilation(), width);
                            int xi = (b * c + g * cg + ch) * width + src;
                            int wi = (f * cg + ch) * kw + j;
                            // a zero of the padding is a real zero: 0 * NaN is NaN, as with padding materialised
                            float xv = src < 0 ? 0f : x[xi];
                            if (dy == null) {
                                sum += (double) w[wi] * xv;
                            } else {
                                if (src >= 0) {
                                    dx[xi] += (double) w[wi] * dy[yi];
                                }
                                dw[wi] += (double) dy[yi] * xv;
                            }
                        }
                    }
                    y[yi] = sum;
                    if (dy != null) {
                        db[f] += dy[yi];
                    }
                }
            }
        }
        return dy == null ? new Pass(tensor(y, n, k, out), null, null, null)
                : new Pass(null, tensor(dx, n, c, width), tensor(dw, k, cg, kw), floats(db));
    }

    static Tensor3D transposedForward(Tensor3D input, Tensor3D weight, float[] bias, Conv1dParams p, int outW) {
        return transposed(input, weight, bias, null, p, outW).output;
    }

    static Conv1dGradients transposedBackward(Tensor3D input, Tensor3D weight, Tensor3D gradOutput, Conv1dParams p) {
        Pass r = transposed(input, weight, null, gradOutput, p, gradOutput.w());
        return new Conv1dGradients(r.dx, r.dw, r.db);
    }

    /** The transposed forward pass (gradOutput null) or its backward pass, over the same loop nest. */
    private static Pass transposed(Tensor3D input, Tensor3D weight, float[] bias, Tensor3D gradOutput,
                                   Conv1dParams p, int out) {
        int n = input.n();
        int cin = input.c();
        int width = input.w();
        int coutg = weight.c();
        int kw = weight.w();
        int cing = cin / p.groups();
        int cout = coutg * p.groups();
        float[] x = ncw(input);
        float[] w = ncw(weight);
        float[] dy = gradOutput == null ? null : ncw(gradOutput);
        double[] y = new double[n * cout * out];
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        double[] db = new double[cout];
        for (int b = 0; b < n; b++) {
            for (int ci = 0; ci < cin; ci++) {
                int g = ci / cing;
                for (int i = 0; i < width; i++) {
                    int xi = (b * cin + ci) * width + i;
                    for (int q = 0; q < coutg; q++) {
                        int co = g * coutg + q;
                        for (int j = 0; j < kw; j++) {
                            int pos = i * p.stride() - p.padLeft() + j * p.dilation();
                            if (pos < 0 || pos >= out) {
                                continue; // cropped by the padding
                            }
                            int yi = (b * cout + co) * out + pos;
                            int wi = (ci * coutg + q) * kw + j;
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
        for (int b = 0; b < n; b++) {
            for (int co = 0; co < cout; co++) {
                for (int o = 0; o < out; o++) {
                    int yi = (b * cout + co) * out + o;
                    if (dy == null) {
                        y[yi] += bias == null ? 0 : bias[co];
                    } else {
                        db[co] += dy[yi];
                    }
                }
            }
        }
        return dy == null ? new Pass(tensor(y, n, cout, out), null, null, null)
                : new Pass(null, tensor(dx, n, cin, width), tensor(dw, cin, coutg, kw), floats(db));
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
