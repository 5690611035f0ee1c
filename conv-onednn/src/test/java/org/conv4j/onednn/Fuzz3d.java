package org.conv4j.onednn;

import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvPass;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor5D;
import org.conv4j.api.Workspace;
import org.conv4j.naive.NaiveBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random small 3D layers, with random non-finite values, on {@code onednn} against {@code naive}, forward and
 * backward on heap NCDHW operands, then every pass through {@link Conv3d} on native NCDHW or NDHWC operands, which
 * {@code onednn} runs in place, half of them under the smallest workspace limit (batches in parts); layers
 * {@link OnednnBackend#supports3d} declines are counted and skipped (those whose backward passes alone it declines
 * run forward only). A child JVM's main
 * ({@link Volumes3dTest}): arguments the first seed and the number of layers; each layer is printed before it
 * runs, so a native fault names it. Exits 1 with the failures printed.
 */
public final class Fuzz3d {

    public static void main(String[] args) {
        long seed = Long.parseLong(args[0]);
        int count = Integer.parseInt(args[1]);
        OnednnBackend unbounded = new OnednnBackend();
        // the smallest workspace limit: most batches run in parts of one image
        OnednnBackend bounded = new OnednnBackend(Workspace.MIN_LIMIT_BYTES);
        NaiveBackend naive = new NaiveBackend();
        List<String> failures = new ArrayList<>();
        int run = 0;
        int declined = 0;
        int backwardDeclined = 0;
        for (int i = 0; i < count; i++) {
            SplittableRandom r = new SplittableRandom(seed + i);
            int groups = 1 + r.nextInt(3);
            // sometimes channel counts of real layers (multiples of 8 and 16), where oneDNN picks other kernels
            int wide = r.nextInt(4) == 0 ? 8 * (1 + r.nextInt(2)) : 1;
            int c = groups * wide * (1 + r.nextInt(3));
            int k = groups * wide * (1 + r.nextInt(3));
            int[] in = new int[3];
            int[] kernel = new int[3];
            int[] stride = new int[3];
            int[] dilation = new int[3];
            int[] pad = new int[6];
            for (int a = 0; a < 3; a++) {
                in[a] = 1 + r.nextInt(9);
                kernel[a] = 1 + r.nextInt(4);
                stride[a] = 1 + r.nextInt(r.nextBoolean() ? 1 : 4);
                dilation[a] = 1 + r.nextInt(r.nextBoolean() ? 1 : 3);
                // mostly padding within the dilated kernel, so that most layers run; sometimes any padding
                int padBound = r.nextInt(8) == 0 ? 4 : Math.min(4, (kernel[a] - 1) * dilation[a] + 1);
                pad[2 * a] = r.nextInt(padBound);
                pad[2 * a + 1] = r.nextInt(padBound);
            }
            Conv3dParams p = Conv3dParams.builder().groups(groups).stride(stride[0], stride[1], stride[2])
                    .dilation(dilation[0], dilation[1], dilation[2])
                    .padding(pad[0], pad[1], pad[2], pad[3], pad[4], pad[5]).build();
            int n = 1 + r.nextInt(3);
            Tensor5D x = Tensor5D.random(r.nextLong(), n, c, in[0], in[1], in[2]);
            Tensor5D w = Tensor5D.random(r.nextLong(), k, c / groups, kernel[0], kernel[1], kernel[2]);
            float[] b = r.nextBoolean() ? null : new float[k];
            Conv3dShape s;
            try {
                s = Conv3dShape.forward(x, w, b, p);
            } catch (IllegalArgumentException e) {
                continue;
            }
            OnednnBackend onednn = r.nextBoolean() ? bounded : unbounded;
            if (!onednn.supports3d(s, ConvPass.FORWARD)) {
                declined++;
                continue;
            }
            float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
            int where = r.nextInt(4);
            if (where == 1) {
                x.data()[r.nextInt(x.size())] = special[r.nextInt(3)];
            } else if (where == 2) {
                w.data()[r.nextInt(w.size())] = special[r.nextInt(3)];
            }
            Tensor5D dy = Tensor5D.random(r.nextLong(), n, k, s.depth().out(), s.rows().out(), s.cols().out());
            if (where == 3) {
                dy.data()[r.nextInt(dy.size())] = special[r.nextInt(3)];
            }
            String name = "seed " + (seed + i) + ": " + s;
            System.out.println(name);
            System.out.flush();
            run++;
            Tensor5D y = Conv3d.on(naive).forward(x, w, b, p);
            Volumes3d.agree(name + ", forward", y, onednn.forward3d(s, x, w, b), failures);
            MemoryLayout layout = r.nextBoolean() ? Tensor5D.NDHWC : Tensor5D.NCDHW;
            if (!onednn.supports3d(s, ConvPass.BACKWARD)) {
                backwardDeclined++;
                inPlace(onednn, x, w, b, null, p, y, null, layout, name, failures);
                continue;
            }
            Conv3dGradients e = Conv3d.on(naive).backward(x, w, dy, p);
            Conv3dGradients o = onednn.backward3d(Conv3dShape.backward(x, w, dy, p), x, w, dy);
            Volumes3d.agree(name + ", dL/dx", e.input(), o.input(), failures);
            Volumes3d.agree(name + ", dL/dw", e.weight(), o.weight(), failures);
            Volumes3d.agree(name + ", dL/db", Tensor5D.wrap(e.bias(), 1, 1, 1, 1, k),
                    Tensor5D.wrap(o.bias(), 1, 1, 1, 1, k), failures);
            inPlace(onednn, x, w, b, dy, p, y, e, layout, name, failures);
        }
        failures.forEach(System.out::println);
        System.out.println("layers=" + run + " declined=" + declined + " backwardDeclined=" + backwardDeclined + ", "
                + failures.size() + " failures");
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /**
     * The layer's passes through {@link Conv3d} on native operands in {@code layout}, which {@code onednn} reads and
     * writes in place (its in-place plans, in parts under the bounded backend's limit), against the reference's
     * {@code y} and {@code e}; the forward pass alone if {@code dy} is null (a layer whose backward passes
     * {@code onednn} declines).
     */
    private static void inPlace(OnednnBackend onednn, Tensor5D x, Tensor5D w, float[] b, Tensor5D dy,
                                Conv3dParams p, Tensor5D y, Conv3dGradients e, MemoryLayout layout, String name,
                                List<String> failures) {
        Conv3d.OnBackend conv = Conv3d.on(onednn);
        String where = name + ", in place " + (layout == Tensor5D.NCDHW ? "NCDHW" : "NDHWC");
        try (Tensor5D nx = x.toNative(layout); Tensor5D ndy = dy == null ? null : dy.toNative(layout);
             Tensor5D out = Tensor5D.allocateNative(layout, y.n(), y.c(), y.d(), y.h(), y.w()).fill(Float.NaN)) {
            conv.forwardInto(nx, w, b, p, out);
            Volumes3d.agree(where + ", forward", y, out, failures);
            if (ndy == null) {
                return;
            }
            Conv3dGradients n = conv.backward(nx, w, ndy, p);
            Volumes3d.agree(where + ", dL/dx", e.input(), n.input(), failures);
            Volumes3d.agree(where + ", dL/dw", e.weight(), n.weight(), failures);
            Volumes3d.agree(where + ", dL/db", Tensor5D.wrap(e.bias(), 1, 1, 1, 1, e.bias().length),
                    Tensor5D.wrap(n.bias(), 1, 1, 1, 1, n.bias().length), failures);
            n.input().close();
            try (Tensor5D dx = conv.inputGradient(nx, w, ndy, p)) {
                Volumes3d.agree(where + ", inputGradient", e.input(), dx, failures);
            }
            Volumes3d.agree(where + ", weightGradient", e.weight(), conv.weightGradient(nx, w, ndy, p), failures);
        }
    }
}
