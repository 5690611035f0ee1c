package org.conv4j.spark.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.spark.Conv2dTransformer;
import org.conv4j.spark.ConvGradientAggregator;
import org.conv4j.spark.ConvSpec;
import org.conv4j.spark.DatasetGradients;

/**
 * Fits a known filter bank (the two 3x3 Sobel filters, with a bias) on a generated dataset by distributed
 * gradient descent, printing the loss as it falls.
 *
 * <p>The data: {@code rows} random single-channel 16x16 images; the targets are made by a
 * {@link Conv2dTransformer} holding the true filters. The fit starts from zero weights and takes
 * {@code steps} steps of plain gradient descent on the mean squared error, each step one
 * {@link ConvGradientAggregator#meanSquaredError} pass over the cached dataset.
 *
 * <p>Arguments: {@code [rows] [steps]} (default 2000 and 25). Runs on {@code local[*]} unless a master is
 * configured (e.g. by {@code spark-submit}).
 */
public final class FitFilterExample {

    private static final int SIZE = 16;
    /** Step size: the loss's curvature along the weights is about 2/(3K) for inputs uniform in [-1, 1], 2/K along the bias. */
    private static final float LEARNING_RATE = 1.0f;

    private FitFilterExample() {
    }

    /**
     * Runs the fit on the active Spark session, or a new one ({@code local[*]} unless a master is configured), and
     * stops the session at the end.
     *
     * @param args {@code [rows] [steps]}, default 2000 and 25
     */
    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        SparkSession.Builder builder = SparkSession.builder().appName("conv4j FitFilterExample")
                .config("spark.ui.enabled", "false");
        if (!SparkSession.getActiveSession().isDefined() && System.getProperty("spark.master") == null) {
            builder.master("local[*]");
        }
        SparkSession spark = builder.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            fit(spark, rows, steps, System.out);
        } finally {
            spark.stop();
        }
    }

    /**
     * The true filters: Sobel x and Sobel y.
     *
     * @return a new tensor of shape {@code (2, 1, 3, 3)}
     */
    public static Tensor4D sobel() {
        return Tensor4D.wrap(new float[] {
            -1, 0, 1, -2, 0, 2, -1, 0, 1,
            -1, -2, -1, 0, 0, 0, 1, 2, 1}, 2, 1, 3, 3);
    }

    /**
     * Generates the data, fits the filters and returns the loss before each step (and after the last).
     *
     * @param spark the session to run on
     * @param rows  the number of generated 16x16 images
     * @param steps the number of gradient descent steps
     * @param out   where the progress is printed
     * @return the {@code steps + 1} losses, first the one of the zero start
     */
    public static List<Double> fit(SparkSession spark, int rows, int steps, PrintStream out) {
        ConvParams params = ConvParams.builder().padding(1).build();
        float[] trueBias = {0.1f, -0.2f};
        ConvSpec truth = new ConvSpec(new int[] {1, SIZE, SIZE}, sobel(), trueBias, params);

        List<Long> ids = new ArrayList<>();
        for (long i = 0; i < rows; i++) {
            ids.add(i);
        }
        StructType schema = new StructType().add("id", DataTypes.LongType)
                .add("x", DataTypes.createArrayType(DataTypes.FloatType, false));
        int partitions = Math.max(2, spark.sparkContext().defaultParallelism());
        Dataset<Row> images = spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(ids, partitions)
                .map(id -> RowFactory.create(id, Tensor4D.random(id, 1, 1, SIZE, SIZE).data())), schema);
        Dataset<Row> data = new Conv2dTransformer().setInputCol("x").setOutputCol("target").setSpec(truth)
                .setBatchSize(64).transform(images).cache();

        Tensor4D w = Tensor4D.zeros(2, 1, 3, 3);
        float[] b = new float[2];
        ConvGradientAggregator agg = new ConvGradientAggregator(truth.withWeights(w, b), "x").withBatchSize(64);
        List<Double> losses = new ArrayList<>();
        out.printf(Locale.ROOT, "fitting 2 filters 3x3 on %d images %dx%d in %d partitions%n", rows, SIZE, SIZE,
                partitions);
        for (int step = 0; step <= steps; step++) {
            DatasetGradients g = agg.meanSquaredError(data, "target");
            losses.add(g.loss());
            out.printf(Locale.ROOT, "step %3d  loss %.6e%n", step, g.loss());
            if (step == steps) {
                break;
            }
            float[] wd = w.data();
            float[] gw = g.weight().data();
            for (int i = 0; i < wd.length; i++) {
                wd[i] -= LEARNING_RATE * gw[i];
            }
            for (int k = 0; k < b.length; k++) {
                b[k] -= LEARNING_RATE * g.bias()[k];
            }
            agg = agg.withLayer(agg.layer().withWeights(w, b));
        }
        out.printf(Locale.ROOT, "largest weight error %.3e, bias (%.4f, %.4f) for (%.4f, %.4f)%n",
                w.maxAbsDiff(sobel()), b[0], b[1], trueBias[0], trueBias[1]);
        data.unpersist();
        return losses;
    }
}
