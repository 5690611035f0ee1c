package org.conv4j.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;

/**
 * Reads oneDNN's benchmark layer lists ({@code benchdnn}'s {@code tests/benchdnn/inputs/conv/shapes_*}): one
 * convolution per line, written as a descriptor such as
 * {@code g1mb50ic3ih224iw224oc64oh112ow112kh7kw7sh2sw2ph3pw3n"resnet_50:conv1"}.
 *
 * <p>The format, as this parser reads it:
 * <ul>
 *   <li>a line that is blank or starts with {@code #} is ignored; so is anything after a {@code #} that follows
 *       the descriptor;</li>
 *   <li>a descriptor is a run of {@code key value} pairs, a lower-case key followed by a non-negative integer;
 *       {@code _} between pairs is a separator and means nothing;</li>
 *   <li>keys: {@code mb} batch, {@code g} groups, {@code ic}/{@code oc} input/output channels (totals, not per
 *       group), {@code ih}/{@code iw} input size, {@code oh}/{@code ow} output size, {@code kh}/{@code kw} kernel,
 *       {@code sh}/{@code sw} stride, {@code ph}/{@code pw} padding (the same on both sides), {@code dh}/{@code dw}
 *       dilation counted from 0 (oneDNN's {@code d} is conv4j's and PyTorch's {@code d + 1});</li>
 *   <li>defaults: {@code g} 1, {@code mb} 2 (benchdnn's), {@code sh} 1, {@code ph} 0, {@code dh} 0; a missing
 *       width ({@code iw}, {@code ow}, {@code kw}, {@code sw}, {@code pw}, {@code dw}) copies the height; a missing
 *       output size is computed with {@link ConvShape#outputSize};</li>
 *   <li>{@code n"..."} ends the descriptor with the layer's name; {@code *N} at the end of the name says the
 *       layer occurs {@code N} times in the network (1 without it).</li>
 * </ul>
 * {@code ic}, {@code oc}, {@code ih} and {@code kh} are required. Depth keys ({@code id}, {@code kd}, ...) of 3-D
 * convolutions are rejected: conv4j is 2-D.
 */
public final class BenchdnnList {

    /** The classpath folder of the bundled lists (Apache-2.0, see the NOTICE file there). */
    static final String RESOURCE_DIR = "/org/conv4j/bench/benchdnn/";

    /** benchdnn's batch size when a descriptor gives none. */
    public static final int DEFAULT_BATCH = 2;

    private static final List<String> KEYS = List.of("mb", "g", "ic", "ih", "iw", "oc", "oh", "ow", "kh", "kw",
            "sh", "sw", "ph", "pw", "dh", "dw");

    private BenchdnnList() {
    }

    /**
     * One layer of a list, every default applied.
     *
     * @param name   the layer's name without the repeat count, e.g. {@code resnet_50:res2a_branch1}
     * @param count  how often the layer occurs in the network ({@code *N}; 1 without it)
     * @param dh     dilation as oneDNN counts it: 0 for a dense kernel
     * @param dw     likewise along the width
     */
    public record Layer(String name, int count, int mb, int g, int ic, int ih, int iw, int oc, int oh, int ow,
                        int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) {

        public Layer {
            Objects.requireNonNull(name, "name");
        }

        /** The layer's parameters in conv4j's terms: symmetric padding, dilation {@code d + 1}, groups. */
        public ConvParams params() {
            return ConvParams.builder().stride(sh, sw).padding(ph, pw).dilation(dh + 1, dw + 1).groups(g).build();
        }

        /** The part of {@link #name} after the network's {@code net:} prefix, e.g. {@code res2a_branch1}. */
        public String shortName() {
            int colon = name.lastIndexOf(':');
            return colon < 0 ? name : name.substring(colon + 1);
        }

        /**
         * This layer as a catalogue shape at {@code batch}: named {@code prefix + shortName + "-b" + batch}, with
         * {@code /}, {@code _} and blanks in the short name turned into {@code -} and upper case lowered.
         */
        public BenchShape toShape(String prefix, String group, String network, int batch) {
            String layer = shortName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
            String description = network + " " + shortName() + (count > 1 ? " (x" + count + ")" : "") + ": " + ic
                    + "->" + oc + " at " + ih + "x" + iw + ", " + kh + "x" + kw + (g > 1 ? ", groups " + g : "");
            return new BenchShape(prefix + layer + "-b" + batch, group, description, batch, ic, ih, iw, oc, kh, kw,
                    params());
        }
    }

    /**
     * Parses a whole list.
     *
     * @throws IllegalArgumentException naming the line number and what is wrong with it
     */
    public static List<Layer> parse(String text) {
        List<Layer> layers = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                layers.add(parseLine(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return layers;
    }

    /**
     * Parses one descriptor (no comment line).
     *
     * @throws IllegalArgumentException naming the key or the text that is wrong, with what was expected
     */
    public static Layer parseLine(String line) {
        Map<String, Integer> v = new LinkedHashMap<>();
        String name = "";
        int count = 1;
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c == '_' || c == ' ' || c == '\t') {
                i++;
                continue;
            }
            if (c == '#') {
                break; // a comment after the descriptor
            }
            if (c == 'n' && i + 1 < n && line.charAt(i + 1) == '"') {
                int close = line.indexOf('"', i + 2);
                if (close < 0) {
                    throw new IllegalArgumentException("name: expected a closing \" after n\", got \""
                            + line.substring(i) + "\"");
                }
                name = line.substring(i + 2, close);
                int star = name.lastIndexOf('*');
                if (star >= 0) {
                    String repeat = name.substring(star + 1);
                    if (!repeat.matches("[1-9][0-9]{0,5}")) {
                        throw new IllegalArgumentException("repeat count: expected a positive integer after *, got \""
                                + repeat + "\" in \"" + name + "\"");
                    }
                    count = Integer.parseInt(repeat);
                    name = name.substring(0, star);
                }
                i = close + 1;
                continue;
            }
            int keyStart = i;
            while (i < n && Character.isLetter(line.charAt(i))) {
                i++;
            }
            String key = line.substring(keyStart, i);
            int numStart = i;
            while (i < n && Character.isDigit(line.charAt(i))) {
                i++;
            }
            if (key.isEmpty() || numStart == i) {
                throw new IllegalArgumentException("descriptor: expected a key followed by a number at \""
                        + line.substring(keyStart) + "\"");
            }
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("key: expected one of " + KEYS + " (2-D convolutions), got \""
                        + key + "\"");
            }
            if (v.put(key, parseInt(key, line.substring(numStart, i))) != null) {
                throw new IllegalArgumentException(key + ": expected once, given twice");
            }
        }
        int ic = required(v, "ic");
        int oc = required(v, "oc");
        int ih = required(v, "ih");
        int kh = required(v, "kh");
        int mb = v.getOrDefault("mb", DEFAULT_BATCH);
        int g = v.getOrDefault("g", 1);
        int iw = v.getOrDefault("iw", ih);
        int kw = v.getOrDefault("kw", kh);
        int sh = v.getOrDefault("sh", 1);
        int sw = v.getOrDefault("sw", sh);
        int ph = v.getOrDefault("ph", 0);
        int pw = v.getOrDefault("pw", ph);
        int dh = v.getOrDefault("dh", 0);
        int dw = v.getOrDefault("dw", dh);
        if (mb < 1 || g < 1 || ic < 1 || oc < 1 || ih < 1 || iw < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1) {
            throw new IllegalArgumentException("descriptor: expected mb, g, ic, oc, ih, iw, kh, kw, sh, sw >= 1, got "
                    + v);
        }
        Integer ohGiven = v.get("oh");
        int oh = ohGiven != null ? ohGiven : ConvShape.outputSize(ih, kh, sh, ph, ph, dh + 1);
        int ow = v.containsKey("ow") ? v.get("ow")
                : ohGiven != null ? oh : ConvShape.outputSize(iw, kw, sw, pw, pw, dw + 1);
        return new Layer(name, count, mb, g, ic, ih, iw, oc, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw);
    }

    private static int required(Map<String, Integer> v, String key) {
        Integer value = v.get(key);
        if (value == null) {
            throw new IllegalArgumentException(key + ": expected in every descriptor, got none");
        }
        return value;
    }

    private static int parseInt(String key, String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected an int, got \"" + digits + "\"", e);
        }
    }

    /**
     * A bundled list, by file name ({@code shapes_resnet_50}, ...).
     *
     * @throws IllegalArgumentException if there is no such list
     */
    public static List<Layer> load(String file) {
        try (InputStream in = BenchdnnList.class.getResourceAsStream(RESOURCE_DIR + file)) {
            if (in == null) {
                throw new IllegalArgumentException("file: expected a bundled benchdnn list, got \"" + file + "\"");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
