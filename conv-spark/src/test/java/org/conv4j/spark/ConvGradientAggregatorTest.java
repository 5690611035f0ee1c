package org.conv4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.SparkException;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.spark.examples.FitFilterExample;
import org.junit.jupiter.api.Test;

class ConvGradientAggregatorTest extends SparkTestBase {

    private static final int N = 37, C = 4, H = 9, W = 8, K = 6;
    private static final ConvParams PARAMS = ConvParams.builder().stride(2).padding(1, 0).groups(2).build();
    private static final ConvBackend NAIVE = Conv2d.backend("naive");

    /** Rows (x, dy, t): x (C, H, W), dy and t (K, outH, outW), from one stacked batch of each. */
    private static Dataset<Row> rows(Tensor4D x, Tensor4D dy, Tensor4D t, int partitions) {
        int in = x.size() / x.n();
        int out = dy.size() / dy.n();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < x.n(); i++) {
            double[] target = new double[out];
            for (int j = 0; j < out; j++) {
                target[j] = t.data()[i * out + j];
            }
            rows.add(RowFactory.create(Arrays.copyOfRange(x.data(), i * in, (i + 1) * in),
                    Arrays.copyOfRange(dy.data(), i * out, (i + 1) * out), Vectors.dense(target)));
        }
        StructType schema = new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType, false))
                .add("dy", DataTypes.createArrayType(DataTypes.FloatType, false)).add("t", SQLDataTypes.VectorType());
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }

    private static float[] biasGradient(Tensor4D dy) {
        float[] db = new float[dy.c()];
        int plane = dy.h() * dy.w();
        for (int n = 0; n < dy.n(); n++) {
            for (int k = 0; k < dy.c(); k++) {
                double s = 0;
                for (int p = 0; p < plane; p++) {
                    s += dy.data()[(n * dy.c() + k) * plane + p];
                }
                db[k] += (float) s;
            }
        }
        return db;
    }

    /** |a - b| within a float summation tolerance relative to the sum of magnitudes' scale. */
    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        float scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4f * Math.max(1f, scale), what + " [" + i + "]");
        }
    }

    @Test
    void summedGradientsEqualOneWeightGradientCallOverTheWholeDataset() {
        Tensor4D x = Tensor4D.random(1, N, C, H, W);
        Tensor4D w = Tensor4D.random(2, K, C / 2, 3, 3);
        float[] b = {0.1f, 0.2f, 0.3f, -0.1f, -0.2f, -0.3f};
        ConvSpec layer = new ConvSpec(new int[] {C, H, W}, w, b, PARAMS);
        int[] o = layer.outputShape();
        Tensor4D dy = Tensor4D.random(3, N, o[0], o[1], o[2]);
        Dataset<Row> df = rows(x, dy, dy, 3);

        Tensor4D expectedW = NAIVE.weightGradient(x, w, dy, PARAMS);
        for (int batch : new int[] {1, 5, 64}) {
            DatasetGradients g = new ConvGradientAggregator(layer, "x").withBatchSize(batch).withTreeDepth(2)
                    .sumGradients(df, "dy");
            assertEquals(N, g.rows());
            assertTrue(Double.isNaN(g.loss()));
            assertClose(expectedW.data(), g.weight().data(), "dL/dw, batch " + batch);
            assertClose(biasGradient(dy), g.bias(), "dL/db, batch " + batch);
        }
    }

    @Test
    void meanSquaredErrorGivesTheLossAndTheGradientsOfOneCall() {
        Tensor4D x = Tensor4D.random(4, N, C, H, W);
        Tensor4D w = Tensor4D.random(5, K, C / 2, 3, 3);
        float[] b = {0.5f, 0f, 0f, 0f, 0f, -0.5f};
        ConvSpec layer = new ConvSpec(new int[] {C, H, W}, w, b, PARAMS);
        int[] o = layer.outputShape();
        Tensor4D t = Tensor4D.random(6, N, o[0], o[1], o[2]);
        Dataset<Row> df = rows(x, t, t, 2);

        Tensor4D y = NAIVE.forward(x, w, b, PARAMS);
        double m = y.size();
        double loss = 0;
        Tensor4D dy = Tensor4D.zeros(N, o[0], o[1], o[2]);
        for (int i = 0; i < y.size(); i++) {
            double r = y.data()[i] - t.data()[i];
            loss += r * r;
            dy.data()[i] = (float) (2 * r / m);
        }
        loss /= m;
        DatasetGradients g = ConvGradientAggregator.meanSquaredError(df, "x", "t", layer);
        assertEquals(N, g.rows());
        assertEquals(loss, g.loss(), 1e-5 * loss);
        assertClose(NAIVE.weightGradient(x, w, dy, PARAMS).data(), g.weight().data(), "dL/dw");
        assertClose(biasGradient(dy), g.bias(), "dL/db");
    }

    @Test
    void imageInputGivesTheGradientOfItsScaledFloatTensor() {
        int n = 5, c = 3, h = 6, w = 5;
        float scale = 1f / 255f;
        Tensor4D x = Tensor4D.zeros(n, c, h, w);
        Tensor4D weight = Tensor4D.random(8, 2, c, 3, 3);
        ConvSpec layer = new ConvSpec(new int[] {c, h, w}, weight, null, ConvParams.DEFAULT);
        int[] o = layer.outputShape();
        Tensor4D dy = Tensor4D.random(9, n, o[0], o[1], o[2]);
        int out = dy.size() / n;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[h * w * c];
            for (int j = 0; j < data.length; j++) {
                data[j] = (byte) (i * 31 + j * 7);
            }
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    for (int ch = 0; ch < c; ch++) {
                        x.set(i, ch, y, xx, (data[(y * w + xx) * c + ch] & 0xFF) * scale);
                    }
                }
            }
            rows.add(RowFactory.create(RowFactory.create("img" + i, h, w, c, 16, data),
                    Arrays.copyOfRange(dy.data(), i * out, (i + 1) * out)));
        }
        StructType schema = new StructType().add("image", org.apache.spark.ml.image.ImageSchema.columnSchema())
                .add("dy", DataTypes.createArrayType(DataTypes.FloatType, false));
        Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(2);
        DatasetGradients g = new ConvGradientAggregator(layer, "image").withImageScale(scale).withBatchSize(2)
                .sumGradients(df, "dy");
        assertClose(NAIVE.weightGradient(x, weight, dy, ConvParams.DEFAULT).data(), g.weight().data(), "dL/dw");
        assertClose(biasGradient(dy), g.bias(), "dL/db");
    }

    @Test
    void emptyDatasetGivesZeroes() {
        Tensor4D w = Tensor4D.random(2, K, C / 2, 3, 3);
        ConvSpec layer = new ConvSpec(new int[] {C, H, W}, w, null, PARAMS);
        int[] o = layer.outputShape();
        Dataset<Row> none = rows(Tensor4D.random(1, 1, C, H, W), Tensor4D.zeros(1, o[0], o[1], o[2]),
                Tensor4D.zeros(1, o[0], o[1], o[2]), 2).limit(0);
        DatasetGradients g = new ConvGradientAggregator(layer, "x").meanSquaredError(none, "t");
        assertEquals(0, g.rows());
        assertEquals(0.0, g.loss());
        assertEquals(0f, g.weight().maxAbs());
    }

    @Test
    void badGradientRowFailsNamingRowAndColumn() {
        Tensor4D w = Tensor4D.random(2, K, C / 2, 3, 3);
        ConvSpec layer = new ConvSpec(new int[] {C, H, W}, w, null, PARAMS);
        int[] o = layer.outputShape();
        Tensor4D x = Tensor4D.random(1, 3, C, H, W);
        Tensor4D dy = Tensor4D.zeros(3, o[0], o[1], o[2]);
        dy.data()[dy.size() - 1] = Float.POSITIVE_INFINITY;
        Dataset<Row> df = rows(x, dy, dy, 1);
        SparkException e = assertThrows(SparkException.class,
                () -> new ConvGradientAggregator(layer, "x").withCheckFinite(true).sumGradients(df, "dy"));
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        assertTrue(root.getMessage().contains("row 2 of partition 0: column \"dy\": expected finite values"),
                root.getMessage());
    }

    @Test
    void fitFilterExampleLowersTheLoss() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<Double> losses = FitFilterExample.fit(spark, 96, 8,
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("step   8  loss"), printed);
        assertEquals(9, losses.size());
        for (int i = 1; i < losses.size(); i++) {
            assertTrue(losses.get(i) < losses.get(i - 1), "loss falls at every step: " + losses);
        }
        assertTrue(losses.get(8) < 0.01 * losses.get(0), "loss falls by 100x: " + losses);
    }
}
