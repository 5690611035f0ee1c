package org.conv4j.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.conv4j.api.Tensor4D;

/**
 * Reads one row's tensor column into a float array in CHW order, or says why it cannot.
 *
 * <p>Accepted column types ({@link Kind}):
 * <ul>
 *   <li>{@code array<float>} or {@code array<double>}: {@code C*H*W} values in CHW order,
 *       {@code index(c, h, w) = (c*H + h)*W + w};</li>
 *   <li>an ML {@link Vector} (dense or sparse) of size {@code C*H*W}, same order;</li>
 *   <li>Spark's {@code image} struct ({@link ImageSchema#columnSchema()}): {@code height x width} pixels of
 *       {@code nChannels} unsigned bytes, stored row by row with the channels interleaved
 *       ({@code data[(h*width + w)*nChannels + c]}, OpenCV's BGR(A) order), mode {@code CV_8UC1/3/4}; read
 *       as float CHW in the same channel order (channel 0 is blue), each byte {@code 0..255} times a scale.</li>
 * </ul>
 * A row is bad when the value is null, has another length or image size, holds a null element, or (when
 * asked) holds a NaN or infinity; {@link #read} then returns a message and leaves the destination partly
 * written.
 */
final class RowReader implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The column types a tensor can be read from. */
    enum Kind { FLOAT_ARRAY, DOUBLE_ARRAY, VECTOR, IMAGE }

    private final Kind kind;
    private final String column;
    private final int channels;
    private final int height;
    private final int width;
    private final boolean checkFinite;
    private final float imageScale;

    RowReader(Kind kind, String column, int[] shape, boolean checkFinite, float imageScale) {
        this.kind = kind;
        this.column = column;
        this.channels = shape[0];
        this.height = shape[1];
        this.width = shape[2];
        this.checkFinite = checkFinite;
        this.imageScale = imageScale;
    }

    /**
     * The kind of a column's type, or an {@link IllegalArgumentException} naming the column and listing the
     * accepted types. {@code allowImage} is false for columns that hold gradients or targets.
     */
    static Kind kindOf(StructType schema, String column, boolean allowImage) {
        if (!Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException("column \"" + column + "\": expected one of the dataset's columns "
                    + Arrays.toString(schema.fieldNames()) + ", got none of that name");
        }
        DataType t = schema.apply(column).dataType();
        if (t instanceof ArrayType) {
            DataType e = ((ArrayType) t).elementType();
            if (e.equals(DataTypes.FloatType)) {
                return Kind.FLOAT_ARRAY;
            }
            if (e.equals(DataTypes.DoubleType)) {
                return Kind.DOUBLE_ARRAY;
            }
        }
        if (t.equals(SQLDataTypes.VectorType())) {
            return Kind.VECTOR;
        }
        if (allowImage && t instanceof StructType && isImage((StructType) t)) {
            return Kind.IMAGE;
        }
        throw new IllegalArgumentException("column \"" + column + "\": expected array<float>, array<double>, "
                + "an ML Vector" + (allowImage ? " or Spark's image struct" : "") + ", got " + t.simpleString());
    }

    /** Whether a struct has the image data source's fields with their types (nullability aside). */
    private static boolean isImage(StructType t) {
        StructType image = ImageSchema.columnSchema();
        if (t.fields().length != image.fields().length) {
            return false;
        }
        for (int i = 0; i < image.fields().length; i++) {
            if (!t.fields()[i].name().equals(image.fields()[i].name())
                    || !t.fields()[i].dataType().equals(image.fields()[i].dataType())) {
                return false;
            }
        }
        return true;
    }

    int size() {
        return channels * height * width;
    }

    /**
     * Writes the value at {@code field} of {@code row} into {@code dst[off .. off + C*H*W)}.
     *
     * @return null if the row is good, else what is wrong with it (without the row's identity)
     */
    String read(Row row, int field, float[] dst, int off) {
        if (row.isNullAt(field)) {
            return "column \"" + column + "\": expected a value, got null";
        }
        Object v = row.get(field);
        String problem;
        switch (kind) {
            case IMAGE:
                problem = readImage((Row) v, dst, off);
                break;
            case VECTOR:
                problem = readVector((Vector) v, dst, off);
                break;
            default:
                problem = readArray(v, dst, off);
        }
        if (problem == null && checkFinite && !Tensor4D.allFinite(dst, off, off + size())) {
            int bad = firstNonFinite(dst, off, off + size());
            problem = "column \"" + column + "\": expected finite values (checkFinite is on), got "
                    + dst[bad] + " at index " + (bad - off) + " " + chw(bad - off);
        }
        return problem;
    }

    private static int firstNonFinite(float[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(a[i])) {
                return i;
            }
        }
        return from;
    }

    private String chw(int i) {
        int plane = height * width;
        return "(c=" + i / plane + ", h=" + (i % plane) / width + ", w=" + i % width + ")";
    }

    private String lengthProblem(int got) {
        return "column \"" + column + "\": expected " + size() + " values (C*H*W for shape (" + channels + ", "
                + height + ", " + width + ")), got " + got;
    }

    private String readVector(Vector v, float[] dst, int off) {
        if (v.size() != size()) {
            return lengthProblem(v.size());
        }
        double[] a = v.toArray();
        for (int i = 0; i < a.length; i++) {
            dst[off + i] = (float) a[i];
        }
        return null;
    }

    /** An array column arrives as a Scala Seq; the common ones wrap a plain array that is copied directly. */
    private String readArray(Object v, float[] dst, int off) {
        Object raw = v;
        if (v instanceof scala.collection.mutable.ArraySeq) {
            raw = ((scala.collection.mutable.ArraySeq<?>) v).array();
        } else if (v instanceof scala.collection.immutable.ArraySeq) {
            raw = ((scala.collection.immutable.ArraySeq<?>) v).unsafeArray();
        }
        if (raw instanceof float[]) {
            float[] a = (float[]) raw;
            if (a.length != size()) {
                return lengthProblem(a.length);
            }
            System.arraycopy(a, 0, dst, off, a.length);
            return null;
        }
        if (raw instanceof double[]) {
            double[] a = (double[]) raw;
            if (a.length != size()) {
                return lengthProblem(a.length);
            }
            for (int i = 0; i < a.length; i++) {
                dst[off + i] = (float) a[i];
            }
            return null;
        }
        List<?> list;
        if (raw instanceof Object[]) {
            list = Arrays.asList((Object[]) raw);
        } else if (raw instanceof scala.collection.Seq) {
            list = scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) raw);
        } else if (raw instanceof List) {
            list = (List<?>) raw;
        } else {
            return "column \"" + column + "\": expected an array, got " + raw.getClass().getName();
        }
        if (list.size() != size()) {
            return lengthProblem(list.size());
        }
        int i = 0;
        for (Object e : list) {
            if (e == null) {
                return "column \"" + column + "\": expected no null elements, got null at index " + i + " " + chw(i);
            }
            dst[off + i] = ((Number) e).floatValue();
            i++;
        }
        return null;
    }

    private String readImage(Row image, float[] dst, int off) {
        int h = ImageSchema.getHeight(image);
        int w = ImageSchema.getWidth(image);
        int c = ImageSchema.getNChannels(image);
        int mode = ImageSchema.getMode(image);
        if (c != channels || h != height || w != width) {
            return "column \"" + column + "\": expected an image of " + channels + " channels, " + height + "x"
                    + width + " (height x width), got " + c + " channels, " + h + "x" + w + " (origin "
                    + ImageSchema.getOrigin(image) + ")";
        }
        // OpenCV type codes: depth in the low 3 bits (0 = CV_8U), channels - 1 above them.
        if ((mode & 7) != 0 || (mode >> 3) + 1 != c) {
            return "column \"" + column + "\": expected an 8-bit image mode (CV_8UC" + c + " = " + ((c - 1) << 3)
                    + "), got mode " + mode + " (origin " + ImageSchema.getOrigin(image) + ")";
        }
        byte[] data = ImageSchema.getData(image);
        int plane = h * w;
        if (data == null || data.length != plane * c) {
            return "column \"" + column + "\": expected " + plane * c + " image bytes (height*width*nChannels), got "
                    + (data == null ? "null" : data.length) + " (origin " + ImageSchema.getOrigin(image) + ")";
        }
        // Interleaved HWC bytes to planar CHW floats: channel ch of pixel p is data[p*c + ch].
        float s = imageScale;
        for (int ch = 0; ch < c; ch++) {
            int o = off + ch * plane;
            for (int p = 0, q = ch; p < plane; p++, q += c) {
                dst[o + p] = (data[q] & 0xFF) * s;
            }
        }
        return null;
    }
}
