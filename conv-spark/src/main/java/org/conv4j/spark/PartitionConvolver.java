package org.conv4j.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.Tensor4D;

/**
 * The work of {@link Conv2dTransformer} in one partition: reads rows in batches of up to {@code batchSize}
 * good rows, runs one convolution per batch ({@code (n, C, H, W) -> (n, K, outH, outW)}), and returns the
 * rows in their original order with the output appended (and, when bad rows are routed, an error column).
 * Lazy: one batch of rows and tensors is held at a time, whatever the partition's size.
 */
final class PartitionConvolver implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final Broadcast<ConvSpec> spec;
    private final RowReader reader;
    private final int inputField;
    private final RowIdentity identity;
    private final int batchSize;
    private final BackendChoice backend;
    private final boolean routeBadRows;

    PartitionConvolver(Broadcast<ConvSpec> spec, RowReader reader, int inputField, RowIdentity identity,
                       int batchSize, BackendChoice backend, boolean routeBadRows) {
        this.spec = spec;
        this.reader = reader;
        this.inputField = inputField;
        this.identity = identity;
        this.batchSize = batchSize;
        this.backend = backend;
        this.routeBadRows = routeBadRows;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        return new Batches(rows, spec.value(), backend.resolve());
    }

    private final class Batches implements Iterator<Row> {
        private final Iterator<Row> in;
        private final ConvSpec layer;
        private final ConvBackend conv;
        private final Tensor4D weight;
        private final int partition;
        private final int inSize;
        private final int outSize;
        /** Reused for every full batch: the input block and the output tensor (the rows get copies). */
        private final float[] inputBlock;
        private Tensor4D fullOutput;
        private final List<Row> pending = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();
        /** The rows of the current batch as field values, the output field still empty. */
        private Object[][] ready = new Object[0][];
        /** For each row of {@link #ready}, its place in {@link #batchOutput}, or -1 for a bad row. */
        private int[] slots = new int[0];
        private int outputField;
        private float[] batchOutput;
        private int next;
        private long rowIndex;

        Batches(Iterator<Row> in, ConvSpec layer, ConvBackend conv) {
            this.in = in;
            this.layer = layer;
            this.conv = conv;
            this.weight = layer.weight();
            TaskContext task = TaskContext.get();
            this.partition = task == null ? -1 : task.partitionId();
            this.inSize = layer.inputSize();
            this.outSize = layer.outputSize();
            this.inputBlock = new float[Math.multiplyExact(batchSize, inSize)];
        }

        @Override
        public boolean hasNext() {
            if (next < ready.length) {
                return true;
            }
            if (!in.hasNext()) {
                return false;
            }
            fill();
            return next < ready.length;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Object[] values = ready[next];
            ready[next] = null;
            int slot = slots[next++];
            if (slot >= 0) {
                // The row's own copy of its output is made only when Spark takes the row, so that beside the
                // batch's tensor at most one row's output is alive, not a whole batch of them.
                values[outputField] = Arrays.copyOfRange(batchOutput, slot * outSize, (slot + 1) * outSize);
            }
            return RowFactory.create(values);
        }

        /** Reads rows until {@code batchSize} good ones (or the end), convolves them at once, builds the output rows. */
        private void fill() {
            pending.clear();
            problems.clear();
            int good = 0;
            while (good < batchSize && in.hasNext()) {
                Row row = in.next();
                String problem = reader.read(row, inputField, inputBlock, good * inSize);
                if (problem != null) {
                    problem = identity.describe(row, rowIndex, partition) + ": " + problem;
                    if (!routeBadRows) {
                        throw new IllegalArgumentException(problem);
                    }
                } else {
                    good++;
                }
                pending.add(row);
                problems.add(problem);
                rowIndex++;
            }
            batchOutput = null;
            if (good > 0) {
                int[] s = layer.inputShape();
                Tensor4D y;
                if (good == batchSize) {
                    if (fullOutput == null) {
                        int[] o = layer.outputShape();
                        fullOutput = Tensor4D.zeros(batchSize, o[0], o[1], o[2]);
                    }
                    y = conv.forwardInto(Tensor4D.wrap(inputBlock, batchSize, s[0], s[1], s[2]), weight,
                            layer.bias(), layer.params(), fullOutput);
                } else {
                    Tensor4D x = Tensor4D.wrap(Arrays.copyOf(inputBlock, good * inSize), good, s[0], s[1], s[2]);
                    y = conv.forward(x, weight, layer.bias(), layer.params());
                }
                batchOutput = y.data();
            }
            ready = new Object[pending.size()][];
            slots = new int[ready.length];
            next = 0;
            int g = 0;
            for (int i = 0; i < ready.length; i++) {
                Row row = pending.get(i);
                String problem = problems.get(i);
                int width = row.length();
                Object[] values = new Object[width + (routeBadRows ? 2 : 1)];
                for (int f = 0; f < width; f++) {
                    values[f] = row.get(f);
                }
                outputField = width;
                slots[i] = problem == null ? g++ : -1;
                if (routeBadRows) {
                    values[width + 1] = problem;
                }
                ready[i] = values;
            }
            pending.clear();
            problems.clear();
        }
    }
}
