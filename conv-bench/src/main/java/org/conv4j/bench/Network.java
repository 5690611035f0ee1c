package org.conv4j.bench;

import java.util.List;
import java.util.Objects;
import org.conv4j.api.ConvPass;

/**
 * A whole network's convolutions at one batch size, as oneDNN's benchmark lists give them
 * ({@link BenchdnnList}): its distinct layers in network order, each a catalogue shape with the number of
 * times it occurs. A network's time is the sum over its layers of {@code count * time of one call}.
 *
 * @param name   the catalogue selector of these layers, e.g. {@code resnet50-net-b1}
 * @param family the group holding both batch sizes, e.g. {@code resnet50-net}
 * @param title  the network in words, e.g. {@code ResNet-50}
 * @param batch  the batch size every layer runs at
 * @param layers the distinct layers, in the list's order
 */
public record Network(String name, String family, String title, int batch, List<Layer> layers) {

    /** One distinct layer and how often it occurs. */
    public record Layer(BenchShape shape, int count) {
        public Layer {
            Objects.requireNonNull(shape, "shape");
            if (count < 1) {
                throw new IllegalArgumentException("count: expected >= 1, got " + count);
            }
        }
    }

    public Network {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(title, "title");
        layers = List.copyOf(layers);
    }

    /** Layers the network runs in all: the sum of the counts. */
    public int layerCount() {
        int n = 0;
        for (Layer l : layers) {
            n += l.count();
        }
        return n;
    }

    /** FLOPs of one pass through every layer, each counted as often as it occurs. */
    public long flops(ConvPass pass) {
        long sum = 0;
        for (Layer l : layers) {
            sum += l.count() * l.shape().flops(pass);
        }
        return sum;
    }

    /** How often {@code shapeName} occurs in this network (0 if it is not one of its layers). */
    public int count(String shapeName) {
        for (Layer l : layers) {
            if (l.shape().name().equals(shapeName)) {
                return l.count();
            }
        }
        return 0;
    }
}
