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

    private final String uid;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final IntArrayParam inputShape;
    private final DoubleArrayParam weights;
    private final IntArrayParam weightShape;
    private final DoubleArrayParam bias;
    private final IntArrayParam stride;
    private final IntArrayParam padding;
    private final IntArrayParam dilation;
    private final IntParam groups;
    private final Param<String> paddingMode;
    private final IntParam batchSize;
    private final Param<String> backend;
    private final BooleanParam autotune;
    private final Param<String> errorPolicy;
    private final Param<String> errorCol;
    private final Param<String> idCol;
    private final BooleanParam checkFinite;
    private final DoubleParam imageScale;

    public Conv2dTransformer() {
        this(Identifiable$.MODULE$.randomUID("conv2d"));
    }

    /** With a given uid (ML persistence and {@link #copy} use this constructor). */
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

    public Param<String> inputCol() { return inputCol; }
    public Param<String> outputCol() { return outputCol; }
    public IntArrayParam inputShape() { return inputShape; }
    public DoubleArrayParam weights() { return weights; }
    public IntArrayParam weightShape() { return weightShape; }
    public DoubleArrayParam bias() { return bias; }
    public IntArrayParam stride() { return stride; }
    public IntArrayParam padding() { return padding; }
    public IntArrayParam dilation() { return dilation; }
    public IntParam groups() { return groups; }
    public Param<String> paddingMode() { return paddingMode; }
    public IntParam batchSize() { return batchSize; }
    public Param<String> backend() { return backend; }
    public BooleanParam autotune() { return autotune; }
    public Param<String> errorPolicy() { return errorPolicy; }
    public Param<String> errorCol() { return errorCol; }
    public Param<String> idCol() { return idCol; }
    public BooleanParam checkFinite() { return checkFinite; }
    public DoubleParam imageScale() { return imageScale; }

    // ---- setters ----

    public Conv2dTransformer setInputCol(String value) { set(inputCol, value); return this; }
    public Conv2dTransformer setOutputCol(String value) { set(outputCol, value); return this; }

    /** Each row's shape {@code (C, H, W)}. */
    public Conv2dTransformer setInputShape(int c, int h, int w) {
        set(inputShape, new int[] {c, h, w});
        return this;
    }

    /** The filters {@code (K, C/groups, kH, kW)} (copied). */
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

    /** One bias per filter, or null for none (copied). */
    public Conv2dTransformer setBias(float[] b) {
        double[] v = new double[b == null ? 0 : b.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = b[i];
        }
        set(bias, v);
        return this;
    }

    /** Stride, padding, dilation, groups and padding mode from one {@link ConvParams} (output padding must be 0). */
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

    /** The whole layer at once: input shape, weights, bias and parameters. */
    public Conv2dTransformer setSpec(ConvSpec spec) {
        int[] s = spec.inputShape();
        setInputShape(s[0], s[1], s[2]);
        setWeights(spec.weight());
        setBias(spec.bias());
        return setConvParams(spec.params());
    }

    public Conv2dTransformer setBatchSize(int value) { set(batchSize, (Object) value); return this; }
    public Conv2dTransformer setBackend(String value) { set(backend, value == null ? "" : value); return this; }
    public Conv2dTransformer setAutotune(boolean value) { set(autotune, (Object) value); return this; }
    /** {@link #FAIL} ({@code "error"}, the default) or {@link #ROUTE} ({@code "route"}). */
    public Conv2dTransformer setErrorPolicy(String value) { set(errorPolicy, value); return this; }
    public Conv2dTransformer setErrorCol(String value) { set(errorCol, value); return this; }
    /** A column whose value names a row in error messages ({@code ""}: none). */
    public Conv2dTransformer setIdCol(String value) { set(idCol, value == null ? "" : value); return this; }
    public Conv2dTransformer setCheckFinite(boolean value) { set(checkFinite, (Object) value); return this; }
    public Conv2dTransformer setImageScale(double value) { set(imageScale, (Object) value); return this; }

    // ---- getters ----

    public String getInputCol() { return getOrDefault(inputCol); }
    public String getOutputCol() { return getOrDefault(outputCol); }
    public int getBatchSize() { return (Integer) getOrDefault(batchSize); }
    public String getBackend() { return getOrDefault(backend); }
    public boolean getAutotune() { return (Boolean) getOrDefault(autotune); }
    public String getErrorPolicy() { return getOrDefault(errorPolicy); }
    public String getErrorCol() { return getOrDefault(errorCol); }
    public String getIdCol() { return getOrDefault(idCol); }
    public boolean getCheckFinite() { return (Boolean) getOrDefault(checkFinite); }
    public double getImageScale() { return (Double) getOrDefault(imageScale); }

    /** The convolution's parameters. */
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

    /** Reads a transformer saved with {@code write().save(path)} (also used by {@code Pipeline} loading). */
    public static MLReader<Conv2dTransformer> read() {
        return new DefaultParamsReader<>();
    }

    /** {@code read().load(path)}. */
    public static Conv2dTransformer load(String path) {
        return read().load(path);
    }
}
