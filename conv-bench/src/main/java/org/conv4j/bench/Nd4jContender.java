package org.conv4j.bench;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor4D;

/** ND4J's own conv2d ops ({@link Nd4jConv}) as a contender, named {@value Nd4jConv#NAME}. */
public final class Nd4jContender implements Contender {

    @Override
    public String name() {
        return Nd4jConv.NAME;
    }

    @Override
    public String skipReason(BenchShape shape, ConvPass pass) {
        return Nd4jConv.unsupportedReason(shape.geometry());
    }

    @Override
    public Run prepare(Problem p, ConvPass pass) {
        Nd4jConv conv = Nd4jConv.prepare(p.input(), p.weight(), p.bias(), p.shape().params());
        if (pass == ConvPass.BACKWARD) {
            conv.prepareBackward(p.gradOutput());
        }
        return new Run() {
            @Override
            public void run() {
                if (pass == ConvPass.FORWARD) {
                    conv.forward();
                } else {
                    conv.backward();
                }
            }

            @Override
            public Tensor4D output() {
                return conv.forwardResult();
            }

            @Override
            public ConvGradients gradients() {
                return conv.backwardResult();
            }
        };
    }
}
