package org.conv4j.bench.calibrate;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** A cost-profile file ({@link org.conv4j.spi.CostProfile}) as the calibrate and fit commands read and write it. */
final class ProfileFile {

    /** The file both commands write when no {@code --out} is given, in the working directory. */
    static final String DEFAULT_NAME = "conv4j-profile.properties";

    private ProfileFile() {
    }

    /** The file's values, sorted by key; none if it does not exist. */
    static Map<String, String> read(Path file) throws IOException {
        Map<String, String> values = new TreeMap<>();
        if (!Files.exists(file)) {
            return values;
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        for (String k : p.stringPropertyNames()) {
            values.put(k, p.getProperty(k).trim());
        }
        return values;
    }

    /** Writes {@code values} sorted by key under a comment line. */
    static void write(Path file, Map<String, String> values, String comment) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("# conv4j cost profile (org.conv4j.spi.CostProfile): " + comment);
        new TreeMap<>(values).forEach((k, v) -> lines.add(k + "=" + v));
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }
}
