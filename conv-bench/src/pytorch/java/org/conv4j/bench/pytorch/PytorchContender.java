package org.conv4j.bench.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.Contender;
import org.conv4j.bench.Problem;

/**
 * PyTorch's CPU convolution ({@code torch.nn.functional.conv2d} and its autograd backward, PyTorch 2.7.1 through
 * DJL's PyTorch engine) as a contender named {@value #NAME}; present only in builds with the {@code pytorch}
 * profile. Tensors are NCHW, weights OIHW (conv4j's layouts, so nothing is transposed); the data is copied into
 * PyTorch's own memory once, in {@link #prepare}.
 *
 * <ul>
 *   <li>forward: one {@code conv2d(x, w, b, stride, padding, dilation, groups)} call; the previous call's output
 *       is freed first;</li>
 *   <li>backward: {@code dL/dx}, {@code dL/dw} and {@code dL/db} from {@code dL/dy} by autograd, on a graph of
 *       one forward call recorded in {@link #prepare} and kept ({@code retain_graph}), so that only the backward
 *       kernels are timed, as for conv4j's backends; the gradients are zeroed before each call (as a training
 *       step's {@code zero_grad} does), so each call's are its own.</li>
 * </ul>
 * DJL runs offline ({@code ai.djl.offline=true}, set when this class loads unless the user set it), with the
 * natives of the {@code pytorch-native-cpu} jar on the classpath. PyTorch pads the same on both sides with zeros:
 * other shapes are skipped. A run's PyTorch memory is freed
 * when the run is no longer reachable.
 */
public final class PytorchContender implements Contender {

    /** The contender's name in tables and in JMH's {@code backend} parameter. */
    public static final String NAME = "pytorch";

    static {
        // The profile puts PyTorch's natives on the classpath: DJL need never look for them on the network
        // (it would, to check for newer builds, unless told otherwise). A user's explicit setting wins.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String skipReason(BenchShape shape, ConvPass pass) {
        ConvParams p = shape.params();
        if (p.paddingMode() != PaddingMode.ZEROS) {
            return "PyTorch's conv2d pads with zeros only; this shape pads with " + p.paddingMode();
        }
        if (p.padTop() != p.padBottom() || p.padLeft() != p.padRight()) {
            return "PyTorch's conv2d pads both sides alike; this shape pads " + p.padTop() + "," + p.padBottom()
                    + "," + p.padLeft() + "," + p.padRight();
        }
        return null;
    }

    /** Frees a run's PyTorch memory when the run is no longer reachable (runs have no close of their own). */
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    @Override
    public Run prepare(Problem problem, ConvPass pass) {
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        Run run = prepare(problem, pass, manager);
        CLEANER.register(run, manager::close);
        return run;
    }

    private static Run prepare(Problem problem, ConvPass pass, NDManager manager) {
        BenchShape s = problem.shape();
        ConvParams p = s.params();
        ConvShape g = s.geometry();
        NDArray x = array(manager, problem.input());
        NDArray w = array(manager, problem.weight());
        NDArray b = manager.create(problem.bias(), new Shape(s.outChannels()));
        Shape stride = new Shape(p.strideH(), p.strideW());
        Shape padding = new Shape(p.padTop(), p.padLeft());
        Shape dilation = new Shape(p.dilationH(), p.dilationW());
        int groups = p.groups();
        if (pass == ConvPass.FORWARD) {
            return new Run() {
                private NDArray y;

                @Override
                public void run() {
                    if (y != null) {
                        y.close();
                    }
                    y = Conv2d.conv2d(x, w, b, stride, padding, dilation, groups).singletonOrThrow();
                }

                @Override
                public Tensor4D output() {
                    return Tensor4D.wrap(y.toFloatArray(), g.batch(), g.outChannels(), g.outH(), g.outW());
                }

                @Override
                public ConvGradients gradients() {
                    return null;
                }
            };
        }
        NDArray dy = array(manager, problem.gradOutput());
        x.setRequiresGradient(true);
        w.setRequiresGradient(true);
        b.setRequiresGradient(true);
        boolean gradMode = JniUtils.isGradMode();
        NDArray y;
        try {
            JniUtils.setGradMode(true); // record the graph of this one forward call
            NDList out = Conv2d.conv2d(x, w, b, stride, padding, dilation, groups);
            y = out.singletonOrThrow();
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        PtNDArray[] leaves = {(PtNDArray) x, (PtNDArray) w, (PtNDArray) b};
        return new Run() {
            @Override
            public void run() {
                for (PtNDArray leaf : leaves) {
                    if (leaf.hasGradient()) {
                        JniUtils.zeroGrad(leaf);
                    }
                }
                // y.backward(dy, retain_graph=True): the same graph serves every call
                JniUtils.backward((PtNDArray) y, (PtNDArray) dy, true, false);
            }

            @Override
            public Tensor4D output() {
                return null;
            }

            @Override
            public ConvGradients gradients() {
                return new ConvGradients(
                        Tensor4D.wrap(x.getGradient().toFloatArray(), g.batch(), g.inChannels(), g.inH(), g.inW()),
                        Tensor4D.wrap(w.getGradient().toFloatArray(), s.outChannels(), g.inChannels() / groups,
                                g.kernelH(), g.kernelW()),
                        b.getGradient().toFloatArray());
            }
        };
    }

    private static NDArray array(NDManager manager, Tensor4D t) {
        return manager.create(t.data(), new Shape(t.n(), t.c(), t.h(), t.w()));
    }
}
