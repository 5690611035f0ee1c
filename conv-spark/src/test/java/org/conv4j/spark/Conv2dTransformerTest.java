package org.conv4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.SparkException;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvParams;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Conv2dTransformerTest extends SparkTestBase {

    private static final int C = 2, H = 7, W = 6, K = 3;
    private static final ConvParams PARAMS = ConvParams.builder().stride(2, 1).padding(1).build();
    private static final Tensor4D WEIGHT = Tensor4D.random(11, K, C, 3, 3);
    private static final float[] BIAS = {0.5f, -0.25f, 1f};

    private static Conv2dTransformer transformer(String inputCol) {
        return new Conv2dTransformer().setInputCol(inputCol).setOutputCol("y").setInputShape(C, H, W)
                .setWeights(WEIGHT).setBias(BIAS).setConvParams(PARAMS).setBatchSize(4);
    }

    /** Rows (id, x) with x an array<float> of one random (C, H, W) image each; returns the images as one batch. */
    private static Tensor4D images(int n) {
        return Tensor4D.random(5, n, C, H, W);
    }

    private static Dataset<Row> floatRows(Tensor4D x, int partitions) {
        int size = C * H * W;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < x.n(); i++) {
            rows.add(RowFactory.create("img-" + i, Arrays.copyOfRange(x.data(), i * size, (i + 1) * size)));
        }
        StructType schema = new StructType().add("id", DataTypes.StringType)
                .add("x", DataTypes.createArrayType(DataTypes.FloatType, false));
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }

    /** Checks every output row against one reference forward pass over all images (naive backend). */
    private static void assertMatchesReference(Tensor4D x, List<Row> out, ConvParams params) {
        Tensor4D expected = Conv2d.backend("naive").forward(x, WEIGHT, BIAS, params);
        int outSize = expected.size() / x.n();
        assertEquals(x.n(), out.size());
        for (Row r : out) {
            int i = Integer.parseInt(r.getString(r.fieldIndex("id")).substring(4));
            float[] y = floats(r.get(r.fieldIndex("y")));
            assertEquals(outSize, y.length);
            for (int j = 0; j < outSize; j++) {
                assertEquals(expected.data()[i * outSize + j], y[j], 1e-4f, "row " + i + " element " + j);
            }
        }
    }

    static float[] floats(Object seq) {
        List<?> l = scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) seq);
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = ((Number) l.get(i)).floatValue();
        }
        return f;
    }

    @Test
    void floatArrayColumnMatchesOneReferenceCallAcrossPartitionsAndPartialBatches() {
        Tensor4D x = images(13); // 13 rows over 3 partitions, batches of 4: full and partial batches
        Dataset<Row> out = transformer("x").transform(floatRows(x, 3));
        DataType t = out.schema().apply("y").dataType();
        assertEquals(DataTypes.createArrayType(DataTypes.FloatType, false), t);
        assertArrayEquals(new long[] {K, 4, 6}, out.schema().apply("y").metadata().getLongArray("shape"));
        assertMatchesReference(x, out.collectAsList(), PARAMS);
    }

    @Test
    void everyBackendPinnedAndPaddingModeGiveTheReference() {
        Tensor4D x = images(6);
        ConvParams reflect = PARAMS.toBuilder().paddingMode(PaddingMode.REFLECT).build();
        for (String backend : new String[] {"naive", "direct", "im2col"}) {
            Dataset<Row> out = transformer("x").setConvParams(reflect).setBackend(backend).transform(floatRows(x, 2));
            assertMatchesReference(x, out.collectAsList(), reflect);
        }
        Dataset<Row> tuned = transformer("x").setAutotune(true).transform(floatRows(x, 2));
        assertMatchesReference(x, tuned.collectAsList(), PARAMS);
    }

    @Test
    void unknownBackendFailsNamingTheAvailableOnes() {
        Exception e = assertThrows(SparkException.class,
                () -> transformer("x").setBackend("nosuch").transform(floatRows(images(2), 1)).collectAsList());
        assertTrue(rootMessage(e).contains("\"nosuch\""), rootMessage(e));
    }

    @Test
    void doubleArrayAndVectorColumnsGiveTheSameResult() {
        Tensor4D x = images(5);
        int size = C * H * W;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < x.n(); i++) {
            double[] d = new double[size];
            for (int j = 0; j < size; j++) {
                d[j] = x.data()[i * size + j];
            }
            rows.add(RowFactory.create("img-" + i, d, Vectors.dense(d)));
        }
        StructType schema = new StructType().add("id", DataTypes.StringType)
                .add("d", DataTypes.createArrayType(DataTypes.DoubleType)).add("v", SQLDataTypes.VectorType());
        Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(2);
        assertMatchesReference(x, transformer("d").transform(df).collectAsList(), PARAMS);
        assertMatchesReference(x, transformer("v").transform(df).collectAsList(), PARAMS);
    }

    @Test
    void imageStructIsReadAsScaledFloatChwInStoredChannelOrder() {
        int c = 3, h = 5, w = 4;
        byte[][] data = new byte[3][h * w * c];
        Tensor4D x = Tensor4D.zeros(3, c, h, w);
        float scale = 1f / 255f;
        for (int n = 0; n < 3; n++) {
            for (int i = 0; i < data[n].length; i++) {
                data[n][i] = (byte) (n * 37 + i * 11); // covers bytes >= 128 (unsigned)
            }
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    for (int ch = 0; ch < c; ch++) {
                        x.set(n, ch, y, xx, (data[n][(y * w + xx) * c + ch] & 0xFF) * scale);
                    }
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            rows.add(RowFactory.create("img-" + n, RowFactory.create("file:/img" + n, h, w, c, 16, data[n])));
        }
        StructType schema = new StructType().add("id", DataTypes.StringType).add("image", ImageSchema.columnSchema());
        Dataset<Row> df = spark.createDataFrame(rows, schema);
        Tensor4D weight = Tensor4D.random(3, 2, c, 3, 3);
        Conv2dTransformer t = new Conv2dTransformer().setInputCol("image").setOutputCol("y").setInputShape(c, h, w)
                .setWeights(weight).setImageScale(scale).setBatchSize(2);
        Tensor4D expected = Conv2d.backend("naive").forward(x, weight, null, ConvParams.DEFAULT);
        int outSize = expected.size() / 3;
        for (Row r : t.transform(df).collectAsList()) {
            int n = Integer.parseInt(r.getString(0).substring(4));
            float[] y = floats(r.get(2));
            for (int j = 0; j < outSize; j++) {
                assertEquals(expected.data()[n * outSize + j], y[j], 1e-5f);
            }
        }
    }

    // ---- bad rows ----

    @Test
    void imagesOfAnotherSizeOrModeAreBadRowsNamingTheirOrigin() {
        int c = 3, h = 4, w = 5;
        List<Row> rows = new ArrayList<>();
        rows.add(RowFactory.create("img-0", RowFactory.create("file:/ok", h, w, c, 16, new byte[h * w * c])));
        rows.add(RowFactory.create("img-1", RowFactory.create("file:/small", h - 1, w, c, 16, new byte[(h - 1) * w * c])));
        rows.add(RowFactory.create("img-2", RowFactory.create("file:/float", h, w, c, 21, new byte[h * w * c])));
        rows.add(RowFactory.create("img-3", RowFactory.create("file:/short", h, w, c, 16, new byte[7])));
        StructType schema = new StructType().add("id", DataTypes.StringType).add("image", ImageSchema.columnSchema());
        Dataset<Row> df = spark.createDataFrame(rows, schema).coalesce(1);
        Conv2dTransformer t = new Conv2dTransformer().setInputCol("image").setOutputCol("y").setInputShape(c, h, w)
                .setWeights(Tensor4D.random(3, 2, c, 3, 3));
        SparkException e = assertThrows(SparkException.class, () -> t.transform(df).collectAsList());
        assertTrue(rootMessage(e).contains("row 1 of partition 0: column \"image\": expected an image of 3 channels, "
                + "4x5 (height x width), got 3 channels, 3x5 (origin file:/small)"), rootMessage(e));
        List<Row> out = t.setErrorPolicy(Conv2dTransformer.ROUTE).transform(df).collectAsList();
        assertEquals(4, out.size());
        assertNull(out.get(0).get(3));
        assertTrue(out.get(1).getString(3).contains("origin file:/small"), out.get(1).getString(3));
        assertTrue(out.get(2).getString(3).contains("expected an 8-bit image mode (CV_8UC3 = 16), got mode 21"),
                out.get(2).getString(3));
        assertTrue(out.get(3).getString(3).contains("expected 60 image bytes (height*width*nChannels), got 7"),
                out.get(3).getString(3));
    }

    private static Dataset<Row> withBadRow(Object badValue, int badIndex, int n) {
        Tensor4D x = images(n);
        int size = C * H * W;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Object v = i == badIndex ? badValue : Arrays.copyOfRange(x.data(), i * size, (i + 1) * size);
            rows.add(RowFactory.create("img-" + i, v));
        }
        StructType schema = new StructType().add("id", DataTypes.StringType)
                .add("x", DataTypes.createArrayType(DataTypes.FloatType, true));
        return spark.createDataFrame(rows, schema).coalesce(1);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    @Test
    void wrongLengthFailsNamingRowIdAndColumn() {
        Dataset<Row> df = withBadRow(new float[5], 6, 9);
        SparkException e = assertThrows(SparkException.class,
                () -> transformer("x").setIdCol("id").transform(df).collectAsList());
        String m = rootMessage(e);
        assertTrue(m.contains("row 6 of partition 0 (id = \"img-6\")"), m);
        assertTrue(m.contains("column \"x\": expected 84 values (C*H*W for shape (2, 7, 6)), got 5"), m);
    }

    @Test
    void nullRowFailsNamingRowAndColumn() {
        SparkException e = assertThrows(SparkException.class,
                () -> transformer("x").transform(withBadRow(null, 2, 4)).collectAsList());
        String m = rootMessage(e);
        assertTrue(m.contains("row 2 of partition 0: column \"x\": expected a value, got null"), m);
    }

    @Test
    void nonFiniteValuesFailOnlyWhenChecked() {
        float[] nan = new float[C * H * W];
        nan[H * W + 8] = Float.NaN; // c=1, h=1, w=2
        Dataset<Row> df = withBadRow(nan, 1, 3);
        List<Row> unchecked = transformer("x").transform(df).collectAsList();
        assertEquals(3, unchecked.size());
        SparkException e = assertThrows(SparkException.class,
                () -> transformer("x").setCheckFinite(true).transform(df).collectAsList());
        String m = rootMessage(e);
        assertTrue(m.contains("row 1 of partition 0: column \"x\": expected finite values (checkFinite is on), "
                + "got NaN at index 50 (c=1, h=1, w=2)"), m);
    }

    @Test
    void routedBadRowsAreKeptWithTheirMessageAndGoodRowsAreStillRight() {
        Tensor4D x = images(6);
        int size = C * H * W;
        Float[] withNull = new Float[size];
        Arrays.fill(withNull, 1f);
        withNull[3] = null;
        float[] inf = new float[size];
        inf[0] = Float.POSITIVE_INFINITY;
        Object[] values = new Object[9];
        for (int i = 0; i < 6; i++) {
            values[i] = Arrays.copyOfRange(x.data(), i * size, (i + 1) * size);
        }
        values[6] = new float[3];
        values[7] = null;
        values[8] = inf;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            rows.add(RowFactory.create("img-" + i, values[i]));
        }
        rows.add(RowFactory.create("img-9", (Object) withNull));
        StructType schema = new StructType().add("id", DataTypes.StringType)
                .add("x", DataTypes.createArrayType(DataTypes.FloatType, true));
        Dataset<Row> df = spark.createDataFrame(rows, schema).coalesce(1);
        List<Row> out = transformer("x").setErrorPolicy(Conv2dTransformer.ROUTE).setErrorCol("err").setIdCol("id")
                .setCheckFinite(true).transform(df).collectAsList();
        assertEquals(10, out.size(), "no row dropped");
        List<Row> good = new ArrayList<>();
        for (Row r : out) {
            int i = Integer.parseInt(r.getString(0).substring(4));
            String err = r.getString(r.fieldIndex("err"));
            if (i < 6) {
                assertNull(err);
                good.add(r);
            } else {
                assertTrue(r.isNullAt(r.fieldIndex("y")), "bad row " + i + " has no output");
                assertNotNull(err);
                assertTrue(err.startsWith("row " + i + " of partition 0 (id = \"img-" + i + "\"): column \"x\""), err);
            }
        }
        assertMatchesReference(x, good, PARAMS);
        // rows keep their order
        for (int i = 0; i < out.size(); i++) {
            assertEquals("img-" + i, out.get(i).getString(0));
        }
    }

    @Test
    void badParamsFailOnTheDriverNamingTheParam() {
        Dataset<Row> df = floatRows(images(2), 1);
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> transformer("x").setInputShape(3, H, W).transform(df));
        assertTrue(shape.getMessage().startsWith("weight:"), shape.getMessage());
        IllegalArgumentException col = assertThrows(IllegalArgumentException.class,
                () -> transformer("nope").transform(df));
        assertTrue(col.getMessage().startsWith("column \"nope\""), col.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> transformer("id").transform(df));
        assertTrue(type.getMessage().contains("got string"), type.getMessage());
        IllegalArgumentException policy = assertThrows(IllegalArgumentException.class,
                () -> transformer("x").setErrorPolicy("drop").transform(df));
        assertTrue(policy.getMessage().startsWith("errorPolicy:"), policy.getMessage());
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                () -> transformer("x").setBatchSize(0).transform(df));
        assertTrue(batch.getMessage().startsWith("batchSize:"), batch.getMessage());
    }

    // ---- persistence ----

    @Test
    void saveAndLoadRoundTripAlsoInsideAPipeline(@TempDir Path dir) throws Exception {
        Conv2dTransformer t = transformer("x").setIdCol("id").setBackend("direct")
                .setConvParams(PARAMS.toBuilder().dilation(1, 2).paddingMode(PaddingMode.REPLICATE).build());
        String path = dir.resolve("conv").toString();
        t.write().overwrite().save(path);
        Conv2dTransformer loaded = Conv2dTransformer.load(path);
        assertEquals(t.uid(), loaded.uid());
        assertEquals(t.getConvParams(), loaded.getConvParams());
        assertEquals("direct", loaded.getBackend());
        assertArrayEquals(WEIGHT.data(), loaded.getSpec().weight().data(), 0f);
        assertArrayEquals(BIAS, loaded.getSpec().bias(), 0f);

        Dataset<Row> df = floatRows(images(5), 2).orderBy("id");
        List<Row> before = t.transform(df).collectAsList();
        List<Row> after = loaded.transform(df).collectAsList();
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(floats(before.get(i).get(2)), floats(after.get(i).get(2)), 0f);
        }

        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {t}).fit(df);
        String pipelinePath = dir.resolve("pipeline").toString();
        model.write().overwrite().save(pipelinePath);
        List<Row> viaPipeline = PipelineModel.load(pipelinePath).transform(df).collectAsList();
        for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(floats(before.get(i).get(2)), floats(viaPipeline.get(i).get(2)), 0f);
        }
        assertTrue(Files.exists(dir.resolve("conv").resolve("metadata")));
    }
}
