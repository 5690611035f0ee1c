package org.conv4j.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.Objects;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.Tensor4D;

/**
 * Data-parallel gradients of a convolution's weights and bias over a dataset: the primitive of distributed
 * gradient descent on Spark.
 *
 * <p>Each partition reads its rows in batches of {@link #withBatchSize batchSize} ({@code (n, C, H, W)}
 * input, {@code (n, K, outH, outW)} {@code dL/dy} or target), calls {@link ConvBackend#weightGradient} once
 * per batch and sums {@code dL/dw} and {@code dL/db} (the sum of {@code dL/dy} over {@code n, oh, ow}) in
 * double precision; the per-partition sums are combined with {@code treeAggregate}
 * ({@link #withTreeDepth depth}, default 2) so the driver receives a few partial sums, not one per
 * partition. Because {@code dL/dw} is linear in {@code dL/dy}, and a batch is a sum over its images, the result
 * equals one {@code Conv2d.weightGradient} call over the whole dataset stacked into one batch, up to float
 * rounding.
 *
 * <pre>{@code
 * ConvSpec layer = new ConvSpec(new int[] {3, 32, 32}, w, b, params);
 * ConvGradientAggregator agg = new ConvGradientAggregator(layer, "x").withBatchSize(64);
 * for (int step = 0; step < 50; step++) {
 *     DatasetGradients g = agg.meanSquaredError(data, "target");  // loss and mean gradients
 *     // w -= lr * g.weight(), b -= lr * g.bias(); then agg = agg.withLayer(layer.withWeights(w, b))
 * }
 * }</pre>
 *
 * <p>Columns: the input column as for {@link Conv2dTransformer} (array, vector or image struct); the
 * {@code dL/dy} and target columns as {@code array<float>}, {@code array<double>} or a Vector of
 * {@code K*outH*outW} values in {@code (k, oh, ow)} order. A bad row (null, wrong length, or non-finite with
 * {@link #withCheckFinite}) fails the job with an {@link IllegalArgumentException} naming the row and column:
 * a gradient over part of the data would be silently wrong. The layer is broadcast once per call and
 * destroyed when the call returns.
 */
public final class ConvGradientAggregator implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The convolution with its current weights. */
    private final ConvSpec layer;
    /** Name of the input column, one {@code (C, H, W)} tensor a row. */
    private final String inputCol;
    /** Rows per {@code weightGradient} call within a partition. */
    private final int batchSize;
    /** Depth of {@code treeAggregate}. */
    private final int treeDepth;
    /** The backend pinned on the executors, or autotuning, or conv4j's choice. */
    private final BackendChoice backend;
    /** Whether rows holding NaN or infinity fail the job. */
    private final boolean checkFinite;
    /** Factor applied to image bytes when the input column is Spark's image struct. */
    private final float imageScale;

    /**
     * An aggregator with the defaults: batch size 32, tree depth 2, conv4j's backend choice, no finiteness check,
     * image scale 1.
     *
     * @param layer    the convolution with its current weights
     * @param inputCol the input column: {@code C*H*W} values a row (array or Vector, CHW order) or Spark's image
     *                 struct
     * @throws NullPointerException if an argument is null
     */
    public ConvGradientAggregator(ConvSpec layer, String inputCol) {
        this(layer, inputCol, 32, 2, new BackendChoice(null, false), false, 1f);
    }

    private ConvGradientAggregator(ConvSpec layer, String inputCol, int batchSize, int treeDepth,
                                   BackendChoice backend, boolean checkFinite, float imageScale) {
        this.layer = Objects.requireNonNull(layer, "layer must not be null");
        this.inputCol = Objects.requireNonNull(inputCol, "inputCol must not be null");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize: expected >= 1, got " + batchSize);
        }
        if (treeDepth < 1) {
            throw new IllegalArgumentException("treeDepth: expected >= 1, got " + treeDepth);
        }
        this.batchSize = batchSize;
        this.treeDepth = treeDepth;
        this.backend = backend;
        this.checkFinite = checkFinite;
        this.imageScale = imageScale;
    }

    /**
     * The same aggregator for another layer (e.g. the weights after a descent step).
     *
     * @param newLayer the layer whose gradients to compute from now on
     * @return a new aggregator; this one is unchanged
     */
    public ConvGradientAggregator withLayer(ConvSpec newLayer) {
        return new ConvGradientAggregator(newLayer, inputCol, batchSize, treeDepth, backend, checkFinite, imageScale);
    }

    /**
     * Rows per {@code weightGradient} call within a partition (default 32).
     *
     * @param rows the batch size, {@code >= 1}
     * @return a new aggregator; this one is unchanged
     * @throws IllegalArgumentException if {@code rows < 1}
     */
    public ConvGradientAggregator withBatchSize(int rows) {
        return new ConvGradientAggregator(layer, inputCol, rows, treeDepth, backend, checkFinite, imageScale);
    }

    /**
     * The depth of {@code treeAggregate} (default 2).
     *
     * @param depth the tree depth, {@code >= 1}
     * @return a new aggregator; this one is unchanged
     * @throws IllegalArgumentException if {@code depth < 1}
     */
    public ConvGradientAggregator withTreeDepth(int depth) {
        return new ConvGradientAggregator(layer, inputCol, batchSize, depth, backend, checkFinite, imageScale);
    }

    /**
     * Pins a backend on the executors by name (null: conv4j's choice), or autotunes when none is pinned.
     *
     * @param name     the backend's name (it must be on the executors' class path), or null for none
     * @param autotune if no backend is pinned: time the eligible backends on each executor and keep the fastest
     * @return a new aggregator; this one is unchanged
     */
    public ConvGradientAggregator withBackend(String name, boolean autotune) {
        return new ConvGradientAggregator(layer, inputCol, batchSize, treeDepth, new BackendChoice(name, autotune),
                checkFinite, imageScale);
    }

    /**
     * Whether rows holding NaN or infinity (input, dL/dy or target) fail the job (default false).
     *
     * @param check true to check
     * @return a new aggregator; this one is unchanged
     */
    public ConvGradientAggregator withCheckFinite(boolean check) {
        return new ConvGradientAggregator(layer, inputCol, batchSize, treeDepth, backend, check, imageScale);
    }

    /**
     * The factor applied to image bytes when the input column is Spark's image struct (default 1).
     *
     * @param scale the factor, e.g. {@code 1.0 / 255}
     * @return a new aggregator; this one is unchanged
     */
    public ConvGradientAggregator withImageScale(double scale) {
        return new ConvGradientAggregator(layer, inputCol, batchSize, treeDepth, backend, checkFinite, (float) scale);
    }

    /**
     * The layer whose gradients this computes.
     *
     * @return the layer with its current weights
     */
    public ConvSpec layer() {
        return layer;
    }

    /**
     * {@code dL/dw} and {@code dL/db} summed over every row, for the {@code dL/dy} the caller stores per row in
     * {@code gradOutputCol}; {@link DatasetGradients#loss()} is NaN.
     *
     * @param data          the dataset, holding the input column and {@code gradOutputCol}
     * @param gradOutputCol the column of {@code dL/dy}: {@code K*outH*outW} values a row, {@code (k, oh, ow)}
     *                      order
     * @return the row count and the summed gradients
     * @throws IllegalArgumentException if a column is missing or not of a supported type (a bad row fails the
     *                                  job, see the class comment)
     */
    public DatasetGradients sumGradients(Dataset<?> data, String gradOutputCol) {
        Partial p = aggregate(data, gradOutputCol, false);
        return new DatasetGradients(p.rows, Double.NaN, weightTensor(p.dw, 1.0), toFloat(p.db, 1.0));
    }

    /**
     * The mean squared error between the layer's output {@code y} and {@code targetCol}, and its gradients:
     * <pre>
     *   L = (1/M) * sum over rows and output elements of (y - t)^2,   M = rows * K * outH * outW
     *   dL/dy = 2 (y - t) / M
     * </pre>
     * (PyTorch's {@code MSELoss} with {@code reduction='mean'}). An empty dataset gives loss 0 and zero gradients.
     *
     * @param data      the dataset, holding the input column and {@code targetCol}
     * @param targetCol the column of targets {@code t}: {@code K*outH*outW} values a row, {@code (k, oh, ow)} order
     * @return the row count, the loss and its mean gradients
     * @throws IllegalArgumentException if a column is missing or not of a supported type (a bad row fails the
     *                                  job, see the class comment)
     */
    public DatasetGradients meanSquaredError(Dataset<?> data, String targetCol) {
        Partial p = aggregate(data, targetCol, true);
        double elements = (double) p.rows * layer.outputSize();
        double scale = p.rows == 0 ? 0.0 : 1.0 / elements;
        return new DatasetGradients(p.rows, p.rows == 0 ? 0.0 : p.squares / elements,
                weightTensor(p.dw, scale), toFloat(p.db, scale));
    }

    /**
     * {@code new ConvGradientAggregator(layer, inputCol).meanSquaredError(data, targetCol)}, with the default
     * settings.
     *
     * @param data      the dataset
     * @param inputCol  the input column, one {@code (C, H, W)} tensor a row
     * @param targetCol the target column, {@code K*outH*outW} values a row in {@code (k, oh, ow)} order
     * @param layer     the convolution with its current weights
     * @return the row count, the loss and its mean gradients
     * @see #meanSquaredError(Dataset, String)
     */
    public static DatasetGradients meanSquaredError(Dataset<?> data, String inputCol, String targetCol, ConvSpec layer) {
        return new ConvGradientAggregator(layer, inputCol).meanSquaredError(data, targetCol);
    }

    private Tensor4D weightTensor(double[] sum, double scale) {
        int[] s = layer.weight().shape();
        return Tensor4D.wrap(toFloat(sum, scale), s[0], s[1], s[2], s[3]);
    }

    private static float[] toFloat(double[] a, double scale) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) (a[i] * scale);
        }
        return f;
    }

    private Partial aggregate(Dataset<?> data, String secondCol, boolean target) {
        StructType schema = data.schema();
        RowReader.Kind inKind = RowReader.kindOf(schema, inputCol, true);
        RowReader.Kind secondKind = RowReader.kindOf(schema, secondCol, false);
        RowReader in = new RowReader(inKind, inputCol, layer.inputShape(), checkFinite, imageScale);
        RowReader second = new RowReader(secondKind, secondCol, layer.outputShape(), checkFinite, 1f);
        JavaRDD<Row> rows = data.toDF().select(inputCol, secondCol).toJavaRDD();
        Broadcast<ConvSpec> shared = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext())
                .broadcast(layer);
        try {
            PartitionGradients work = new PartitionGradients(shared, in, second, target, batchSize, backend);
            int weights = layer.weight().size();
            int k = layer.outputShape()[0];
            return rows.mapPartitions(work).treeAggregate(new Partial(weights, k), Partial::add, Partial::add,
                    treeDepth);
        } finally {
            shared.destroy();
        }
    }

    /** Sums over some rows: {@code dL/dw}, {@code dL/db} (unscaled), the squared error, the row count. */
    static final class Partial implements Serializable {
        private static final long serialVersionUID = 1L;
        final double[] dw;
        final double[] db;
        double squares;
        long rows;

        Partial(int weights, int k) {
            dw = new double[weights];
            db = new double[k];
        }

        /** Adds {@code o} into this one and returns this (treeAggregate allows reusing its first argument). */
        Partial add(Partial o) {
            for (int i = 0; i < dw.length; i++) {
                dw[i] += o.dw[i];
            }
            for (int i = 0; i < db.length; i++) {
                db[i] += o.db[i];
            }
            squares += o.squares;
            rows += o.rows;
            return this;
        }
    }

    /** One partition's sums, in batches; returns a single {@link Partial}. */
    private static final class PartitionGradients implements FlatMapFunction<Iterator<Row>, Partial> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<ConvSpec> shared;
        private final RowReader in;
        private final RowReader second;
        private final boolean target;
        private final int batchSize;
        private final BackendChoice backend;

        PartitionGradients(Broadcast<ConvSpec> shared, RowReader in, RowReader second, boolean target, int batchSize,
                           BackendChoice backend) {
            this.shared = shared;
            this.in = in;
            this.second = second;
            this.target = target;
            this.batchSize = batchSize;
            this.backend = backend;
        }

        @Override
        public Iterator<Partial> call(Iterator<Row> rows) {
            ConvSpec layer = shared.value();
            ConvBackend conv = backend.resolve();
            Tensor4D w = layer.weight();
            int[] is = layer.inputShape();
            int[] os = layer.outputShape();
            int inSize = layer.inputSize();
            int outSize = layer.outputSize();
            int plane = os[1] * os[2];
            TaskContext task = TaskContext.get();
            int partition = task == null ? -1 : task.partitionId();
            RowIdentity identity = new RowIdentity(null, -1);
            Partial sum = new Partial(w.size(), os[0]);
            float[] x = new float[Math.multiplyExact(batchSize, inSize)];
            float[] t = new float[Math.multiplyExact(batchSize, outSize)];
            long index = 0;
            while (rows.hasNext()) {
                int n = 0;
                while (n < batchSize && rows.hasNext()) {
                    Row row = rows.next();
                    String problem = in.read(row, 0, x, n * inSize);
                    if (problem == null) {
                        problem = second.read(row, 1, t, n * outSize);
                    }
                    if (problem != null) {
                        throw new IllegalArgumentException(identity.describe(row, index, partition) + ": " + problem);
                    }
                    n++;
                    index++;
                }
                Tensor4D xb = Tensor4D.wrap(n == batchSize ? x : Arrays.copyOf(x, n * inSize), n, is[0], is[1], is[2]);
                float[] dy = n == batchSize ? t : Arrays.copyOf(t, n * outSize);
                if (target) {
                    // dy := 2 (y - t), unscaled; the driver divides by the element count of the whole dataset.
                    float[] y = conv.forward(xb, w, layer.bias(), layer.params()).data();
                    double squares = 0;
                    for (int i = 0; i < dy.length; i++) {
                        float r = y[i] - dy[i];
                        squares += (double) r * r;
                        dy[i] = 2f * r;
                    }
                    sum.squares += squares;
                }
                Tensor4D gy = Tensor4D.wrap(dy, n, os[0], os[1], os[2]);
                float[] gw = conv.weightGradient(xb, w, gy, layer.params()).data();
                for (int i = 0; i < gw.length; i++) {
                    sum.dw[i] += gw[i];
                }
                // dL/db[k] = sum of dL/dy over n, oh, ow.
                for (int img = 0; img < n; img++) {
                    for (int k = 0; k < os[0]; k++) {
                        double s = 0;
                        int o = (img * os[0] + k) * plane;
                        for (int p = 0; p < plane; p++) {
                            s += dy[o + p];
                        }
                        sum.db[k] += s;
                    }
                }
                sum.rows += n;
            }
            return Collections.singletonList(sum).iterator();
        }
    }
}
