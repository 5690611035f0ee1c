package org.conv4j.spark.bench;

import java.util.Iterator;
import java.util.Locale;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.spark.Conv2dTransformer;

/**
 * Throughput of {@link Conv2dTransformer} in local mode against the same convolutions run by a plain loop in
 * the same JVM: {@code images} generated 8-bit BGR images {@code 3 x size x size} (Spark's image struct),
 * a {@code K}-filter 3x3 bank with padding 1, batches of {@code batch} images.
 *
 * <ul>
 *   <li><b>loop</b>: one thread; for each batch, make the images' bytes, convert them to float CHW, one
 *       {@code forwardInto} call, read one value per output image.</li>
 *   <li><b>spark</b>: {@code spark.range(images)} in {@code partitions} partitions, each generating the same
 *       images as image-struct rows, the transformer, and Spark's {@code noop} sink (every output row is
 *       built and serialised, nothing is stored).</li>
 * </ul>
 * Both run alternately {@code rounds} times after a warm-up; the best time of each is reported, and their
 * ratio (spark throughput / loop throughput).
 *
 * <p>Arguments (all optional, {@code name=value}): {@code images=10000 size=224 k=8 batch=32 partitions=2
 * master=local[2] rounds=3 warmup=400 backend=} (empty: conv4j's choice).
 */
public final class SparkThroughputBench {

    private SparkThroughputBench() {
    }

    public static void main(String[] args) {
        int images = 10000;
        int size = 224;
        int k = 8;
        int batch = 32;
        int partitions = 2;
        String master = "local[2]";
        int rounds = 3;
        int warmup = 400;
        String backend = "";
        for (String a : args) {
            String[] kv = a.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("argument: expected name=value, got \"" + a + "\"");
            }
            switch (kv[0]) {
                case "images": images = Integer.parseInt(kv[1]); break;
                case "size": size = Integer.parseInt(kv[1]); break;
                case "k": k = Integer.parseInt(kv[1]); break;
                case "batch": batch = Integer.parseInt(kv[1]); break;
                case "partitions": partitions = Integer.parseInt(kv[1]); break;
                case "master": master = kv[1]; break;
                case "rounds": rounds = Integer.parseInt(kv[1]); break;
                case "warmup": warmup = Integer.parseInt(kv[1]); break;
                case "backend": backend = kv[1]; break;
                default: throw new IllegalArgumentException("argument: unknown name \"" + kv[0] + "\"");
            }
        }
        Tensor4D weight = Tensor4D.random(17, k, 3, 3, 3);
        float[] bias = new float[k];
        ConvParams params = ConvParams.builder().padding(1).build();
        ConvBackend conv = backend.isEmpty() ? Conv2d.selecting() : Conv2d.backend(backend);

        SparkSession spark = SparkSession.builder().master(master).appName("conv4j SparkThroughputBench")
                .config("spark.ui.enabled", "false").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        Conv2dTransformer transformer = new Conv2dTransformer().setInputCol("image").setOutputCol("y")
                .setInputShape(3, size, size).setWeights(weight).setBias(bias).setConvParams(params)
                .setBatchSize(batch).setImageScale(1.0 / 255).setBackend(backend);
        System.out.printf(Locale.ROOT, "%d images 3x%dx%d, %d filters 3x3 pad 1, batch %d, backend %s, spark %s in %d "
                + "partitions, %d cores%n", images, size, size, k, batch, backend.isEmpty() ? "(conv4j's choice: "
                + Conv2d.plan(org.conv4j.api.ConvShape.forward(Tensor4D.zeros(batch, 3, size, size), weight, bias,
                params)).backend().name() + ")" : backend, master, partitions, Runtime.getRuntime().availableProcessors());

        loop(conv, weight, bias, params, warmup, size, batch);
        spark(spark, transformer, warmup, size, partitions);
        double bestLoop = Double.MAX_VALUE;
        double bestSpark = Double.MAX_VALUE;
        for (int r = 0; r < rounds; r++) {
            double l = loop(conv, weight, bias, params, images, size, batch);
            double s = spark(spark, transformer, images, size, partitions);
            System.out.printf(Locale.ROOT, "round %d: loop %.2f s (%.1f images/s), spark %.2f s (%.1f images/s)%n",
                    r + 1, l, images / l, s, images / s);
            bestLoop = Math.min(bestLoop, l);
            bestSpark = Math.min(bestSpark, s);
        }
        System.out.printf(Locale.ROOT, "best: loop %.1f images/s, spark %.1f images/s, spark/loop throughput %.3f%n",
                images / bestLoop, images / bestSpark, bestLoop / bestSpark);
        spark.stop();
    }

    /** Image {@code i}'s bytes (HWC, 3 channels), the same in the loop and on the executors. */
    static byte[] imageBytes(long i, int size) {
        byte[] b = new byte[size * size * 3];
        long s = i * 0x9E3779B97F4A7C15L + 1;
        for (int j = 0; j < b.length; j += 8) {
            s ^= s << 13;
            s ^= s >>> 7;
            s ^= s << 17;
            for (int q = 0; q < 8 && j + q < b.length; q++) {
                b[j + q] = (byte) (s >>> (8 * q));
            }
        }
        return b;
    }

    private static double loop(ConvBackend conv, Tensor4D weight, float[] bias, ConvParams params, int images,
                               int size, int batch) {
        long t0 = System.nanoTime();
        int plane = size * size;
        float[] block = new float[batch * 3 * plane];
        Tensor4D full = null;
        double sink = 0;
        for (int start = 0; start < images; start += batch) {
            int n = Math.min(batch, images - start);
            for (int m = 0; m < n; m++) {
                byte[] data = imageBytes(start + m, size);
                int off = m * 3 * plane;
                for (int ch = 0; ch < 3; ch++) {
                    for (int p = 0, q = ch; p < plane; p++, q += 3) {
                        block[off + ch * plane + p] = (data[q] & 0xFF) * (1f / 255);
                    }
                }
            }
            Tensor4D y;
            if (n == batch) {
                if (full == null) {
                    full = Tensor4D.zeros(batch, weight.n(), size, size);
                }
                y = conv.forwardInto(Tensor4D.wrap(block, batch, 3, size, size), weight, bias, params, full);
            } else {
                y = conv.forward(Tensor4D.wrap(java.util.Arrays.copyOf(block, n * 3 * plane), n, 3, size, size),
                        weight, bias, params);
            }
            int per = y.size() / n;
            for (int m = 0; m < n; m++) {
                sink += y.data()[m * per];
            }
        }
        if (sink == 42.4242) {
            System.out.println(sink);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double spark(SparkSession spark, Conv2dTransformer transformer, int images, int size,
                                int partitions) {
        StructType schema = new StructType().add("image", ImageSchema.columnSchema());
        long t0 = System.nanoTime();
        Dataset<Row> df = spark.range(0, images, 1, partitions).toDF()
                .mapPartitions((MapPartitionsFunction<Row, Row>) ids -> new Iterator<Row>() {
                    @Override
                    public boolean hasNext() {
                        return ids.hasNext();
                    }

                    @Override
                    public Row next() {
                        long i = ids.next().getLong(0);
                        return RowFactory.create(RowFactory.create("gen:" + i, size, size, 3, 16, imageBytes(i, size)));
                    }
                }, Encoders.row(schema));
        transformer.transform(df).write().format("noop").mode("overwrite").save();
        return (System.nanoTime() - t0) / 1e9;
    }
}
