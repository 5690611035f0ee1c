package org.conv4j.onednn;

import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor5D;
import org.conv4j.naive.NaiveBackend;

import java.util.ArrayList;
import java.util.List;

/**
 * 3D layers run on {@code onednn} ({@link OnednnBackend#forward3d}, {@link OnednnBackend#backward3d}, through
 * {@link Conv3d#on}) and compared with {@code naive}, forward and backward: strides, six-sided asymmetric padding,
 * dilation, groups, odd and prime sizes, 1x1x1 kernels, a kernel the size of the input, batches, the copying
 * padding modes, NaN and infinities
 * in the input, the weights and {@code dL/dy} on padded layers, the facade's NDHWC and native operands (every pass
 * in place on native NCDHW and NDHWC tensors), and calls from several threads at once, on heap and shared native
 * operands. A child
 * JVM's main ({@link Volumes3dTest}), since a native fault would kill the JVM; exits 1 with the failures printed.
 */
public final class Volumes3d {

    /** A layer: input {@code (n, c, d, h, w)}, {@code k} filters of {@code (kd, kh, kw)}, parameters, bias or not. */
    record Layer(String label, int n, int c, int d, int h, int w, int k, int kd, int kh, int kw, Conv3dParams p,
                 boolean bias) {

        Tensor5D input(long seed) {
            return Tensor5D.random(seed, n, c, d, h, w);
        }

        Tensor5D weight(long seed) {
            return Tensor5D.random(seed, k, c / p.groups(), kd, kh, kw);
        }

        float[] biasValues() {
            if (!bias) {
                return null;
            }
            float[] b = new float[k];
            for (int i = 0; i < k; i++) {
                b[i] = 0.25f * i - 0.5f;
            }
            return b;
        }
    }

    static final List<Layer> LAYERS = List.of(
            new Layer("3x3x3 pad 1", 1, 3, 5, 6, 7, 4, 3, 3, 3, Conv3dParams.builder().padding(1).build(), true),
            new Layer("strides (2, 1, 3), pad 1", 1, 2, 9, 7, 11, 3, 3, 3, 3,
                    Conv3dParams.builder().stride(2, 1, 3).padding(1).build(), true),
            new Layer("six-sided asymmetric padding", 2, 3, 6, 5, 7, 4, 3, 3, 3,
                    Conv3dParams.builder().padding(2, 0, 1, 2, 0, 1).build(), true),
            new Layer("dilation (2, 1, 3) with padding and stride", 1, 2, 9, 8, 10, 3, 2, 3, 2,
                    Conv3dParams.builder().dilation(2, 1, 3).padding(1, 2, 1, 0, 2, 1).stride(1, 2, 1).build(), true),
            new Layer("groups 2", 2, 4, 5, 6, 5, 6, 3, 2, 3,
                    Conv3dParams.builder().groups(2).padding(1, 0, 1, 1, 0, 1).build(), true),
            new Layer("depthwise", 1, 5, 6, 7, 5, 5, 3, 3, 3, Conv3dParams.builder().groups(5).padding(1).build(),
                    false),
            new Layer("prime sizes", 1, 5, 11, 13, 7, 7, 3, 5, 2,
                    Conv3dParams.builder().padding(1, 1, 2, 2, 0, 1).build(), true),
            new Layer("1x1x1", 2, 6, 3, 5, 7, 9, 1, 1, 1, Conv3dParams.DEFAULT, true),
            new Layer("1x1x1 stride 2", 1, 4, 7, 5, 9, 3, 1, 1, 1, Conv3dParams.builder().stride(2).build(), false),
            new Layer("kernel equal to the input", 2, 3, 4, 3, 5, 4, 4, 3, 5, Conv3dParams.DEFAULT, true),
            new Layer("kernel equal to the padded input", 1, 2, 3, 2, 3, 3, 5, 4, 5,
                    Conv3dParams.builder().padding(1).build(), true),
            new Layer("batch 3, stride 2, pad 1", 3, 4, 8, 8, 8, 8, 3, 3, 3,
                    Conv3dParams.builder().stride(2).padding(1).build(), true),
            new Layer("U-Net-like 16 -> 16 channels", 2, 16, 8, 8, 8, 16, 3, 3, 3,
                    Conv3dParams.builder().padding(1).build(), true),
            // one output column, column stride above 1: the forward pass runs on the narrowed input (SingleColumn)
            new Layer("one output column, stride 1x1x3", 3, 1, 4, 2, 3, 3, 2, 3, 3,
                    Conv3dParams.builder().stride(1, 1, 3).padding(0, 0, 0, 2, 2, 0).build(), true),
            new Layer("one output column, stride 4x1x2", 1, 1, 3, 7, 3, 2, 1, 4, 3,
                    Conv3dParams.builder().stride(4, 1, 2).padding(0, 0, 2, 2, 0, 1).build(), false),
            new Layer("reflect padding (the facade pads)", 1, 3, 5, 6, 7, 4, 3, 3, 3,
                    Conv3dParams.builder().padding(1, 2, 0, 1, 2, 1).paddingMode(PaddingMode.REFLECT).build(), true),
            new Layer("circular padding, stride 2", 2, 2, 6, 5, 7, 3, 3, 2, 3,
                    Conv3dParams.builder().padding(1).stride(2).paddingMode(PaddingMode.CIRCULAR).build(), false));

    private static final float TOLERANCE = 1e-4f;

    public static void main(String[] args) {
        ConvBackend onednn = new OnednnBackend();
        ConvBackend naive = new NaiveBackend();
        List<String> failures = new ArrayList<>();
        int checks = 0;
        for (Layer l : LAYERS) {
            Tensor5D x = l.input(1);
            Tensor5D w = l.weight(2);
            checks += compare(onednn, naive, l, x, w, "finite", failures);
        }
        // non-finite values, on the padded layers
        for (Layer l : LAYERS) {
            if (l.p().padFront() + l.p().padBack() + l.p().padTop() + l.p().padBottom() + l.p().padLeft()
                    + l.p().padRight() == 0) {
                continue;
            }
            Tensor5D x = l.input(3);
            x.set(0, 0, l.d() / 2, 0, l.w() - 1, Float.NaN);
            x.set(l.n() - 1, l.c() - 1, 0, l.h() - 1, 0, Float.POSITIVE_INFINITY);
            checks += compare(onednn, naive, l, x, l.weight(4), "non-finite input", failures);
            Tensor5D w = l.weight(5);
            w.set(0, 0, 0, 0, 0, Float.POSITIVE_INFINITY);
            w.set(l.k() - 1, l.c() / l.p().groups() - 1, l.kd() - 1, l.kh() / 2, l.kw() - 1, Float.NaN);
            checks += compare(onednn, naive, l, l.input(6), w, "non-finite weights", failures);
        }
        checks += concurrently(onednn, failures);
        System.out.println(checks + " comparisons, " + failures.size() + " failures");
        failures.forEach(System.out::println);
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /**
     * Compares forward and backward on heap NCDHW, and the facade's NDHWC heap and native NCDHW / NDHWC operands;
     * {@code dL/dy} gets an infinity when the weights are finite and the layer is padded. Returns the comparisons.
     */
    private static int compare(ConvBackend onednn, ConvBackend naive, Layer l, Tensor5D x, Tensor5D w, String what,
                               List<String> failures) {
        Conv3dParams p = l.p();
        float[] b = l.biasValues();
        Conv3dShape s = Conv3dShape.forward(x, w, b, p);
        String name = l.label() + ", " + what;
        if (!((org.conv4j.api.Conv3dBackend) onednn).supports3d(s, ConvPass.FORWARD)) {
            failures.add(name + ": declined");
            return 0;
        }
        Tensor5D expected = Conv3d.on(naive).forward(x, w, b, p);
        agree(name + ", forward", expected, Conv3d.on(onednn).forward(x, w, b, p), failures);
        Tensor5D ndhwc = Conv3d.on(onednn).forward(x.toLayout(Tensor5D.NDHWC), w, b, p);
        agree(name + ", forward NDHWC", expected, ndhwc.toHeapNcdhw(), failures);
        try (Tensor5D nx = x.toNative(Tensor5D.NDHWC); Tensor5D nw = w.toNative(Tensor5D.NCDHW)) {
            Tensor5D y = Conv3d.on(onednn).forward(nx, nw, b, p);
            agree(name + ", forward native NDHWC", expected, y.toHeapNcdhw(), failures);
            y.close();
        }
        Tensor5D dy = Tensor5D.random(7, l.n(), l.k(), s.depth().out(), s.rows().out(), s.cols().out());
        if (what.equals("non-finite input")) {
            dy.set(0, 0, 0, 0, 0, Float.NEGATIVE_INFINITY);
        }
        Conv3dGradients g = Conv3d.on(naive).backward(x, w, dy, p);
        Conv3dGradients o = Conv3d.on(onednn).backward(x, w, dy, p);
        agree(name + ", dL/dx", g.input(), o.input(), failures);
        agree(name + ", dL/dw", g.weight(), o.weight(), failures);
        agree(name + ", dL/db", Tensor5D.wrap(g.bias(), 1, 1, 1, 1, g.bias().length),
                Tensor5D.wrap(o.bias(), 1, 1, 1, 1, o.bias().length), failures);
        try (Tensor5D nx = x.toNative(Tensor5D.NCDHW); Tensor5D ndy = dy.toNative(Tensor5D.NDHWC)) {
            Conv3dGradients n = Conv3d.on(onednn).backward(nx, w, ndy, p);
            agree(name + ", dL/dx native", g.input(), n.input().toHeapNcdhw(), failures);
            agree(name + ", dL/dw native", g.weight(), n.weight().toHeapNcdhw(), failures);
        }
        return 9 + inPlace(onednn, l, x, w, b, dy, expected, g, name, failures);
    }

    /**
     * Every pass with native operands of one layout, NCDHW and NDHWC, which {@code onednn} reads and writes in place
     * ({@link OnednnBackend#takesInPlace3d}; non-finite weights and the single strided output column's forward pass
     * through heap copies); the weights native in the other layout. Returns the comparisons.
     */
    private static int inPlace(ConvBackend onednn, Layer l, Tensor5D x, Tensor5D w, float[] b, Tensor5D dy,
                               Tensor5D expected, Conv3dGradients g, String name, List<String> failures) {
        Conv3d.OnBackend conv = Conv3d.on(onednn);
        Conv3dParams p = l.p();
        int checks = 0;
        for (MemoryLayout layout : MemoryLayout.values()) {
            MemoryLayout other = layout == Tensor5D.NCDHW ? Tensor5D.NDHWC : Tensor5D.NCDHW;
            String where = name + ", in place " + (layout == Tensor5D.NCDHW ? "NCDHW" : "NDHWC");
            try (Tensor5D nx = x.toNative(layout); Tensor5D nw = w.toNative(other); Tensor5D ndy = dy.toNative(layout);
                 Tensor5D out = Tensor5D.allocateNative(layout, expected.n(), expected.c(), expected.d(),
                         expected.h(), expected.w()).fill(Float.NaN)) {
                if (conv.forwardInto(nx, nw, b, p, out) != out) {
                    failures.add(where + ": forwardInto returned another tensor");
                }
                agree(where + ", forwardInto", expected, out, failures);
                Conv3dGradients n = conv.backward(nx, nw, ndy, p);
                agree(where + ", dL/dx", g.input(), n.input(), failures);
                agree(where + ", dL/dw", g.weight(), n.weight(), failures);
                agree(where + ", dL/db", Tensor5D.wrap(g.bias(), 1, 1, 1, 1, g.bias().length),
                        Tensor5D.wrap(n.bias(), 1, 1, 1, 1, n.bias().length), failures);
                if (n.input().layout() != layout || !n.input().isNative()) {
                    failures.add(where + ": dL/dx is not native " + layout);
                }
                n.input().close();
                try (Tensor5D dx = conv.inputGradient(nx, nw, ndy, p)) {
                    agree(where + ", inputGradient", g.input(), dx, failures);
                }
                agree(where + ", weightGradient", g.weight(), conv.weightGradient(nx, nw, ndy, p), failures);
                checks += 6;
            }
        }
        return checks;
    }

    /**
     * Forward and backward of several layers from {@value #THREADS} threads at once, each call compared with the
     * same call made alone before: the plans are shared, every call has its own context. Returns the comparisons.
     */
    private static int concurrently(ConvBackend onednn, List<String> failures) {
        List<Layer> layers = LAYERS.subList(0, 6);
        List<Tensor5D> forward = new ArrayList<>();
        List<Conv3dGradients> backward = new ArrayList<>();
        List<Tensor5D> gradOutputs = new ArrayList<>();
        Conv3d.OnBackend conv = Conv3d.on(onednn);
        for (Layer l : layers) {
            Tensor5D y = conv.forward(l.input(1), l.weight(2), l.biasValues(), l.p());
            forward.add(y);
            Tensor5D dy = Tensor5D.random(9, y.n(), y.c(), y.d(), y.h(), y.w());
            gradOutputs.add(dy);
            backward.add(conv.backward(l.input(1), l.weight(2), dy, l.p()));
        }
        // native NDHWC operands shared by every thread (read in place by concurrent calls), closed at the end
        List<Tensor5D> nativeInputs = new ArrayList<>();
        List<Tensor5D> nativeGradOutputs = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            nativeInputs.add(layers.get(i).input(1).toNative(Tensor5D.NDHWC));
            nativeGradOutputs.add(gradOutputs.get(i).toNative(Tensor5D.NDHWC));
        }
        List<String> found = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int first = t;
            threads.add(new Thread(() -> {
                for (int round = 0; round < 4 * layers.size(); round++) {
                    int i = (first + round) % layers.size();
                    Layer l = layers.get(i);
                    boolean inPlace = round % 2 == 1;
                    String name = "concurrent " + (inPlace ? "native NDHWC " : "") + l.label();
                    Tensor5D x = inPlace ? nativeInputs.get(i) : l.input(1);
                    Tensor5D dy = inPlace ? nativeGradOutputs.get(i) : gradOutputs.get(i);
                    try (Tensor5D y = conv.forward(x, l.weight(2), l.biasValues(), l.p())) {
                        agree(name + ", forward", forward.get(i), y, found);
                    }
                    Conv3dGradients g = conv.backward(x, l.weight(2), dy, l.p());
                    agree(name + ", dL/dx", backward.get(i).input(), g.input(), found);
                    agree(name + ", dL/dw", backward.get(i).weight(), g.weight(), found);
                    g.input().close();
                    count.addAndGet(3);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                found.add("interrupted");
            }
        }
        nativeInputs.forEach(Tensor5D::close);
        nativeGradOutputs.forEach(Tensor5D::close);
        failures.addAll(found);
        return count.get();
    }

    private static final int THREADS = 6;

    /**
     * Records a failure unless {@code actual} has the same non-finite values as {@code expected} where it has them
     * (NaN where NaN, the same infinity) and, elsewhere, differs by at most {@link #TOLERANCE} times the largest
     * finite magnitude of {@code expected}.
     */
    static void agree(String what, Tensor5D expected, Tensor5D actual, List<String> failures) {
        float[] e = expected.toHeapNcdhw().data();
        float[] a = actual.toHeapNcdhw().data();
        if (e.length != a.length) {
            failures.add(what + ": " + a.length + " values, expected " + e.length);
            return;
        }
        float scale = 1e-3f;
        for (float v : e) {
            if (Float.isFinite(v)) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        int bad = 0;
        String first = null;
        float worst = 0;
        for (int i = 0; i < e.length; i++) {
            boolean ok;
            if (!Float.isFinite(e[i])) {
                ok = Float.isNaN(e[i]) ? Float.isNaN(a[i]) : e[i] == a[i];
            } else {
                float diff = Math.abs(e[i] - a[i]);
                ok = diff <= TOLERANCE * scale;
                if (Float.isFinite(a[i])) {
                    worst = Math.max(worst, diff);
                }
            }
            if (!ok) {
                bad++;
                if (first == null) {
                    first = "index " + i + ": expected " + e[i] + ", got " + a[i];
                }
            }
        }
        if (bad > 0) {
            failures.add(what + ": " + bad + " of " + e.length + " values differ (largest finite difference " + worst
                    + ", scale " + scale + "), first at " + first);
        }
    }
}
