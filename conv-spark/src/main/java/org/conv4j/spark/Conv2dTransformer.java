package org.conv4j.spark;

import java.util.Arrays;
import java.util.Locale;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.conv4j.api.ConvParams;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;

/**
 * A Spark ML {@link Transformer} that applies one 2D convolution (a filter bank with fixed weights: Sobel,
 * Gabor, learned filters ...) to every row of a column, with conv4j.
 *
 * <pre>{@code
 * Conv2dTransformer conv = new Conv2dTransformer()
 *         .setInputCol("image").setOutputCol("edges")
 *         .setInputShape(3, 224, 224)                       // C, H, W of every row
 *         .setWeights(filters).setBias(bias)                // (K, C/groups, kH, kW), K values
 *         .setConvParams(ConvParams.builder().padding(1).build())
 *         .setBatchSize(32);
 * Dataset<Row> out = conv.transform(images);                // adds "edges": array<float>, (K, outH, outW)
 * }</pre>
 *
 * <p><b>Input.</b> The input column holds one tensor of the declared {@linkplain #setInputShape shape}
 * {@code (C, H, W)} per row: {@code array<float>}, {@code array<double>} or an ML {@code Vector} of
 * {@code C*H*W} values in CHW order ({@code index = (c*H + h)*W + w}), or Spark's {@code image} struct (the
 * {@code image} data source: 8-bit BGR(A) pixels, read as float CHW in the stored channel order, each byte
 * times {@link #setImageScale imageScale}). The output column is {@code array<float>} of
 * {@code K*outH*outW} values in {@code (k, oh, ow)} order; its metadata holds the shape under {@code shape}.
 *
 * <p><b>Batching and broadcast.</b> The layer ({@link ConvSpec}) is broadcast once per {@link #transform}
 * call, so each executor receives the weights once. Each partition reads up to {@link #setBatchSize
 * batchSize} rows into one {@code (n, C, H, W)} tensor and runs one convolution for them, so the backend sees
 * real batches; one batch is held in memory at a time. Rows keep their order.
 *
 * <p><b>Bad rows</b> (null, wrong length or image size, null elements, or NaN/infinity when
 * {@link #setCheckFinite checkFinite} is on) are never dropped: with {@link #setErrorPolicy errorPolicy}
 * {@code "error"} (the default) the job fails with an {@link IllegalArgumentException} naming the row (its
 * index in its partition, the partition, and the {@link #setIdCol idCol} value if set), the column, and what
 * was expected and found; with {@code "route"} the row is kept with a null output and the message in
 * {@link #setErrorCol errorCol} (null for good rows).
 *
 * <p><b>Backend.</b> {@link #setBackend backend} pins a conv4j backend by name on the executors (it must be
 * on their class path); otherwise {@link #setAutotune autotune} chooses between autotuning and the facade's
 * estimate-based choice. Saved and loaded with ML persistence ({@link #write()}, {@link #load}); the weights
 * are stored in the parameter metadata (JSON), which suits filter banks up to a few MB.
 */
public final class Conv2dTransformer extends Transformer implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    /** {@link #setErrorPolicy} value: fail the job on the first bad row. */
    public static final String FAIL = "error";
    /** {@link #setErrorPolicy} value: keep bad rows with a null output and a message in the error column. */
    public static final String ROUTE = "route";

    /** This transformer's unique id; every param's parent. */
    private final String uid;
    /** Name of the input column. */
    private final Param<String> inputCol;
    /** Name of the output column added by {@link #transform}. */
    private final Param<String> outputCol;
    /** Each row's input shape {@code (C, H, W)}. */
    private final IntArrayParam inputShape;
    /** The filters' values, flat in {@code (K, C/groups, kH, kW)} order. */
    private final DoubleArrayParam weights;
    /** The filters' shape {@code (K, C/groups, kH, kW)}. */
    private final IntArrayParam weightShape;
    /** One bias per filter ({@code K} values), or empty for none. */
    private final DoubleArrayParam bias;
    /** Stride {@code (strideH, strideW)}. */
    private final IntArrayParam stride;
    /** Padding {@code (top, bottom, left, right)}. */
    private final IntArrayParam padding;
    /** Dilation {@code (dilationH, dilationW)}. */
    private final IntArrayParam dilation;
    /** Number of channel groups. */
    private final IntParam groups;
    /** What the padding holds, the lower-case name of a {@link PaddingMode}. */
    private final Param<String> paddingMode;
    /** Rows per convolution call within a partition. */
    private final IntParam batchSize;
    /** Name of the backend pinned on the executors, or empty for conv4j's choice. */
    private final Param<String> backend;
    /** Whether to autotune the backend when none is pinned. */
    private final BooleanParam autotune;
    /** Bad-row policy, {@link #FAIL} or {@link #ROUTE}. */
    private final Param<String> errorPolicy;
    /** Name of the column for bad-row messages (with {@link #ROUTE}). */
    private final Param<String> errorCol;
    /** Name of a column that identifies a row in error messages, or empty for none. */
    private final Param<String> idCol;
    /** Whether rows holding NaN or infinity are bad. */
    private final BooleanParam checkFinite;
    /** Factor applied to the bytes of Spark image structs. */
    private final DoubleParam imageScale;

    /** A transformer with a random uid ({@code conv2d_...}) and the default params. */
    public Conv2dTransformer() {
        this(Identifiable$.MODULE$.randomUID("conv2d"));
    }

    /**
     * With a given uid (ML persistence and {@link #copy} use this constructor).
     *
     * @param uid the transformer's unique id
     */
    public Conv2dTransformer(String uid) {
        // The uid is set first: every Param takes its parent's uid when it is created.
        this.uid = uid;
        inputCol = new Param<>(this, "inputCol", "input column: array<float>, array<double>, ML Vector "
                + "(C*H*W values, CHW order) or Spark's image struct");
        outputCol = new Param<>(this, "outputCol", "output column: array<float> of K*outH*outW values, (k, oh, ow) order");
        inputShape = new IntArrayParam(this, "inputShape", "each row's input shape (C, H, W)");
        weights = new DoubleArrayParam(this, "weights", "the filters, flat in (K, C/groups, kH, kW) order");
        weightShape = new IntArrayParam(this, "weightShape", "the filters' shape (K, C/groups, kH, kW)");
        bias = new DoubleArrayParam(this, "bias", "one bias per filter (K values), or empty for none");
        stride = new IntArrayParam(this, "stride", "stride (strideH, strideW)");
        padding = new IntArrayParam(this, "padding", "padding (top, bottom, left, right)");
        dilation = new IntArrayParam(this, "dilation", "dilation (dilationH, dilationW)");
        groups = new IntParam(this, "groups", "groups (C and K divisible by it)");
        paddingMode = new Param<>(this, "paddingMode", "what the padding holds: zeros, reflect, replicate, circular");
        batchSize = new IntParam(this, "batchSize", "rows per convolution call within a partition (>= 1)");
        backend = new Param<>(this, "backend", "conv4j backend to pin on the executors (e.g. im2col, direct), "
                + "or empty for conv4j's own choice");
        autotune = new BooleanParam(this, "autotune", "if no backend is pinned: time the eligible backends on the "
                + "first batch of each executor and keep the fastest");
        errorPolicy = new Param<>(this, "errorPolicy", "bad rows: 'error' fails the job naming the row, 'route' "
                + "keeps them with a null output and the message in errorCol");
        errorCol = new Param<>(this, "errorCol", "column for bad-row messages when errorPolicy is 'route'");
        idCol = new Param<>(this, "idCol", "optional column whose value names a row in error messages");
        checkFinite = new BooleanParam(this, "checkFinite", "treat rows holding NaN or infinity as bad");
        imageScale = new DoubleParam(this, "imageScale", "factor applied to image bytes (0..255), e.g. 1/255");
        setDefault(outputCol, "convOutput");
        setDefault(bias, new double[0]);
        setDefault(stride, new int[] {1, 1});
        setDefault(padding, new int[] {0, 0, 0, 0});
        setDefault(dilation, new int[] {1, 1});
        setDefault(groups, (Object) 1);
        setDefault(paddingMode, "zeros");
        setDefault(batchSize, (Object) 32);
        setDefault(backend, "");
        setDefault(autotune, (Object) false);
        setDefault(errorPolicy, FAIL);
        setDefault(errorCol, "convError");
        setDefault(idCol, "");
        setDefault(checkFinite, (Object) false);
        setDefault(imageScale, (Object) 1.0);
    }

    @Override
    public String uid() {
        return uid;
    }

    // ---- params (public no-argument accessors: Spark finds params by reflection on them) ----

    /** @return the input column's name: array, ML Vector or image struct, one {@code (C, H, W)} tensor a row */
    public Param<String> inputCol() { return inputCol; }
    /** @return the output column's name (default {@code "convOutput"}) */
    public Param<String> outputCol() { return outputCol; }
    /** @return each row's input shape {@code (C, H, W)} */
    public IntArrayParam inputShape() { return inputShape; }
    /** @return the filters' values, flat in {@code (K, C/groups, kH, kW)} order */
    public DoubleArrayParam weights() { return weights; }
    /** @return the filters' shape {@code (K, C/groups, kH, kW)} */
    public IntArrayParam weightShape() { return weightShape; }
    /** @return the bias, {@code K} values or empty for none (the default) */
    public DoubleArrayParam bias() { return bias; }
    /** @return the stride {@code (strideH, strideW)} (default {@code (1, 1)}) */
    public IntArrayParam stride() { return stride; }
    /** @return the padding {@code (top, bottom, left, right)} (default zeros) */
    public IntArrayParam padding() { return padding; }
    /** @return the dilation {@code (dilationH, dilationW)} (default {@code (1, 1)}) */
    public IntArrayParam dilation() { return dilation; }
    /** @return the number of groups; {@code C} and {@code K} are divisible by it (default 1) */
    public IntParam groups() { return groups; }
    /** @return the padding mode: zeros (the default), reflect, replicate or circular */
    public Param<String> paddingMode() { return paddingMode; }
    /** @return the rows per convolution call within a partition (default 32) */
    public IntParam batchSize() { return batchSize; }
    /** @return the name of the backend pinned on the executors, empty (the default) for conv4j's choice */
    public Param<String> backend() { return backend; }
    /** @return whether to autotune on each executor when no backend is pinned (default false) */
    public BooleanParam autotune() { return autotune; }
    /** @return the bad-row policy, {@link #FAIL} (the default) or {@link #ROUTE} */
    public Param<String> errorPolicy() { return errorPolicy; }
    /** @return the column for bad-row messages with {@link #ROUTE} (default {@code "convError"}) */
    public Param<String> errorCol() { return errorCol; }
    /** @return the column whose value names a row in error messages, empty (the default) for none */
    public Param<String> idCol() { return idCol; }
    /** @return whether rows holding NaN or infinity are bad (default false) */
    public BooleanParam checkFinite() { return checkFinite; }
    /** @return the factor applied to image bytes (0..255) of Spark image structs (default 1) */
    public DoubleParam imageScale() { return imageScale; }

    // ---- setters ----

    /**
     * Sets the {@linkplain #inputCol() input column}.
     *
     * @param value the column's name
     * @return this transformer
     */
    public Conv2dTransformer setInputCol(String value) { set(inputCol, value); return this; }

    /**
     * Sets the {@linkplain #outputCol() output column}, which must not exist in the dataset.
     *
     * @param value the column's name
     * @return this transformer
     */
    public Conv2dTransformer setOutputCol(String value) { set(outputCol, value); return this; }

    /**
     * Each row's shape {@code (C, H, W)}.
     *
     * @param c channels
     * @param h height
     * @param w width
     * @return this transformer
     */
    public Conv2dTransformer setInputShape(int c, int h, int w) {
        set(inputShape, new int[] {c, h, w});
        return this;
    }

    /**
     * The filters {@code (K, C/groups, kH, kW)} (copied); sets both the weights and their shape.
     *
     * @param w the filter bank, shape {@code (K, C/groups, kH, kW)}
     * @return this transformer
     */
    public Conv2dTransformer setWeights(Tensor4D w) {
        float[] d = w.data();
        double[] v = new double[d.length];
        for (int i = 0; i < d.length; i++) {
            v[i] = d[i]; // float -> double -> float is exact: the weights round-trip unchanged
        }
        set(weights, v);
        set(weightShape, w.shape());
        return this;
    }

    /**
     * One bias per filter, or null for none (copied).
     *
     * @param b {@code K} values, or null for none
     * @return this transformer
     */
    public Conv2dTransformer setBias(float[] b) {
        double[] v = new double[b == null ? 0 : b.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = b[i];
        }
        set(bias, v);
        return this;
    }

    /**
     * Stride, padding, dilation, groups and padding mode from one {@link ConvParams} (output padding must be 0).
     *
     * @param p the convolution's parameters
     * @return this transformer
     * @throws IllegalArgumentException if {@code p} has a non-zero output padding
     */
    public Conv2dTransformer setConvParams(ConvParams p) {
        if (p.outputPaddingH() != 0 || p.outputPaddingW() != 0) {
            throw new IllegalArgumentException("params: expected output padding 0x0 (a regular convolution), got "
                    + p.outputPaddingH() + "x" + p.outputPaddingW());
        }
        set(stride, new int[] {p.strideH(), p.strideW()});
        set(padding, new int[] {p.padTop(), p.padBottom(), p.padLeft(), p.padRight()});
        set(dilation, new int[] {p.dilationH(), p.dilationW()});
        set(groups, (Object) p.groups());
        set(paddingMode, p.paddingMode().name().toLowerCase(Locale.ROOT));
        return this;
    }

    /**
     * The whole layer at once: input shape, weights, bias and parameters.
     *
     * @param spec the layer
     * @return this transformer
     */
    public Conv2dTransformer setSpec(ConvSpec spec) {
        int[] s = spec.inputShape();
        setInputShape(s[0], s[1], s[2]);
        setWeights(spec.weight());
        setBias(spec.bias());
        return setConvParams(spec.params());
    }

    /**
     * Rows per convolution call within a partition (default 32); one batch is held in memory at a time.
     *
     * @param value the batch size, {@code >= 1}
     * @return this transformer
     */
    public Conv2dTransformer setBatchSize(int value) { set(batchSize, (Object) value); return this; }

    /**
     * Pins a conv4j backend by name on the executors (it must be on their class path).
     *
     * @param value the backend's name (e.g. {@code "im2col"}, {@code "direct"}), or null or empty for conv4j's
     *              choice
     * @return this transformer
     */
    public Conv2dTransformer setBackend(String value) { set(backend, value == null ? "" : value); return this; }

    /**
     * Whether, when no backend is pinned, each executor times the eligible backends on its first batch and keeps
     * the fastest (otherwise the facade's estimate-based choice).
     *
     * @param value true to autotune (default false)
     * @return this transformer
     */
    public Conv2dTransformer setAutotune(boolean value) { set(autotune, (Object) value); return this; }

    /**
     * What to do with bad rows.
     *
     * @param value {@link #FAIL} ({@code "error"}, the default) or {@link #ROUTE} ({@code "route"})
     * @return this transformer
     */
    public Conv2dTransformer setErrorPolicy(String value) { set(errorPolicy, value); return this; }

    /**
     * The column that receives bad-row messages with {@link #ROUTE} (null for good rows); it must not exist in
     * the dataset.
     *
     * @param value the column's name (default {@code "convError"})
     * @return this transformer
     */
    public Conv2dTransformer setErrorCol(String value) { set(errorCol, value); return this; }

    /**
     * A column whose value names a row in error messages.
     *
     * @param value one of the dataset's columns, or null or {@code ""} for none
     * @return this transformer
     */
    public Conv2dTransformer setIdCol(String value) { set(idCol, value == null ? "" : value); return this; }

    /**
     * Whether rows holding NaN or infinity are bad rows.
     *
     * @param value true to check (default false)
     * @return this transformer
     */
    public Conv2dTransformer setCheckFinite(boolean value) { set(checkFinite, (Object) value); return this; }

    /**
     * The factor applied to each byte (0..255) of a Spark image struct, e.g. {@code 1.0 / 255}.
     *
     * @param value the factor (default 1)
     * @return this transformer
     */
    public Conv2dTransformer setImageScale(double value) { set(imageScale, (Object) value); return this; }

    // ---- getters ----

    /** @return the input column's name (the param must be set) */
    public String getInputCol() { return getOrDefault(inputCol); }
    /** @return the output column's name */
    public String getOutputCol() { return getOrDefault(outputCol); }
    /** @return the rows per convolution call within a partition */
    public int getBatchSize() { return (Integer) getOrDefault(batchSize); }
    /** @return the pinned backend's name, or {@code ""} for conv4j's choice */
    public String getBackend() { return getOrDefault(backend); }
    /** @return whether to autotune when no backend is pinned */
    public boolean getAutotune() { return (Boolean) getOrDefault(autotune); }
    /** @return the bad-row policy, {@link #FAIL} or {@link #ROUTE} */
    public String getErrorPolicy() { return getOrDefault(errorPolicy); }
    /** @return the column for bad-row messages with {@link #ROUTE} */
    public String getErrorCol() { return getOrDefault(errorCol); }
    /** @return the column naming rows in error messages, or {@code ""} for none */
    public String getIdCol() { return getOrDefault(idCol); }
    /** @return whether rows holding NaN or infinity are bad */
    public boolean getCheckFinite() { return (Boolean) getOrDefault(checkFinite); }
    /** @return the factor applied to image bytes */
    public double getImageScale() { return (Double) getOrDefault(imageScale); }

    /**
     * The convolution's parameters, from the stride, padding, dilation, groups and padding mode params.
     *
     * @return the parameters
     * @throws IllegalArgumentException if the params are invalid (naming the param when one has the wrong length
     *                                  or an unknown padding mode)
     */
    public ConvParams getConvParams() {
        int[] s = getOrDefault(stride);
        int[] p = getOrDefault(padding);
        int[] d = getOrDefault(dilation);
        require(s.length == 2, "stride", "2 values (strideH, strideW)", Arrays.toString(s));
        require(p.length == 4, "padding", "4 values (top, bottom, left, right)", Arrays.toString(p));
        require(d.length == 2, "dilation", "2 values (dilationH, dilationW)", Arrays.toString(d));
        String mode = getOrDefault(paddingMode);
        PaddingMode pm;
        try {
            pm = PaddingMode.valueOf(mode.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("paddingMode: expected one of zeros, reflect, replicate, circular, got \""
                    + mode + "\"", e);
        }
        return ConvParams.builder().stride(s[0], s[1]).padding(p[0], p[1], p[2], p[3]).dilation(d[0], d[1])
                .groups((Integer) getOrDefault(groups)).paddingMode(pm).build();
    }

    /**
     * The layer these params describe, validated.
     *
     * @return the layer: input shape, weights, bias and parameters
     * @throws IllegalArgumentException naming the param if one is missing or they do not fit together
     */
    public ConvSpec getSpec() {
        require(isDefined(inputShape), "inputShape", "(C, H, W) set with setInputShape", "unset");
        require(isDefined(weights) && isDefined(weightShape), "weights", "a filter bank set with setWeights", "unset");
        int[] ws = getOrDefault(weightShape);
        require(ws.length == 4, "weightShape", "4 values (K, C/groups, kH, kW)", Arrays.toString(ws));
        double[] wv = getOrDefault(weights);
        long expected = (long) ws[0] * ws[1] * ws[2] * ws[3];
        require(wv.length == expected, "weights", expected + " values for weightShape " + Arrays.toString(ws),
                String.valueOf(wv.length));
        float[] w = new float[wv.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) wv[i];
        }
        double[] bv = getOrDefault(bias);
        float[] b = null;
        if (bv.length > 0) {
            b = new float[bv.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) bv[i];
            }
        }
        return new ConvSpec(getOrDefault(inputShape), Tensor4D.wrap(w, ws[0], ws[1], ws[2], ws[3]), b, getConvParams());
    }

    private static void require(boolean ok, String name, String expected, String got) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": expected " + expected + ", got " + got);
        }
    }

    private boolean routes() {
        String policy = getErrorPolicy();
        require(FAIL.equals(policy) || ROUTE.equals(policy), "errorPolicy", "\"" + FAIL + "\" or \"" + ROUTE + "\"",
                "\"" + policy + "\"");
        return ROUTE.equals(policy);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        require(isDefined(inputCol), "inputCol", "an input column set with setInputCol", "unset");
        RowReader.kindOf(schema, getInputCol(), true);
        ConvSpec spec = getSpec();
        require(getBatchSize() >= 1, "batchSize", ">= 1", String.valueOf(getBatchSize()));
        Math.multiplyExact(getBatchSize(), spec.inputSize() > spec.outputSize() ? spec.inputSize() : spec.outputSize());
        String out = getOutputCol();
        require(!Arrays.asList(schema.fieldNames()).contains(out), "outputCol",
                "a name not in the dataset", "\"" + out + "\", which exists");
        if (!getIdCol().isEmpty()) {
            require(Arrays.asList(schema.fieldNames()).contains(getIdCol()), "idCol",
                    "one of the dataset's columns " + Arrays.toString(schema.fieldNames()), "\"" + getIdCol() + "\"");
        }
        int[] o = spec.outputShape();
        Metadata meta = new MetadataBuilder().putLongArray("shape", new long[] {o[0], o[1], o[2]}).build();
        boolean route = routes();
        StructType result = schema.add(new StructField(out, DataTypes.createArrayType(DataTypes.FloatType, false),
                true, meta));
        if (route) {
            String err = getErrorCol();
            require(!Arrays.asList(result.fieldNames()).contains(err), "errorCol",
                    "a name not in the dataset", "\"" + err + "\", which exists");
            result = result.add(err, DataTypes.StringType, true);
        }
        return result;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType in = dataset.schema();
        StructType outSchema = transformSchema(in);
        ConvSpec spec = getSpec();
        RowReader.Kind kind = RowReader.kindOf(in, getInputCol(), true);
        RowReader reader = new RowReader(kind, getInputCol(), spec.inputShape(), getCheckFinite(),
                (float) getImageScale());
        String id = getIdCol().isEmpty() ? null : getIdCol();
        RowIdentity identity = new RowIdentity(id, id == null ? -1 : in.fieldIndex(id));
        Broadcast<ConvSpec> shared = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext())
                .broadcast(spec);
        PartitionConvolver work = new PartitionConvolver(shared, reader, in.fieldIndex(getInputCol()), identity,
                getBatchSize(), new BackendChoice(getBackend(), getAutotune()), routes());
        // mapPartitions keeps the types but not the column metadata: the output's shape is put back.
        return dataset.toDF().mapPartitions(work, Encoders.row(outSchema))
                .withMetadata(getOutputCol(), outSchema.apply(getOutputCol()).metadata());
    }

    @Override
    public Conv2dTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /**
     * Reads a transformer saved with {@code write().save(path)} (also used by {@code Pipeline} loading).
     *
     * @return a reader of saved transformers
     */
    public static MLReader<Conv2dTransformer> read() {
        return new DefaultParamsReader<>();
    }

    /**
     * {@code read().load(path)}.
     *
     * @param path the directory the transformer was saved to
     * @return the loaded transformer
     */
    public static Conv2dTransformer load(String path) {
        return read().load(path);
    }
}
