package org.conv4j.api;

import org.conv4j.spi.WorkspaceBudget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SettingsTest {

    /** The repository's root: the test runs in conv-api. */
    private static final Path ROOT = Path.of("..");

    /** A property name in a Java string literal: {@code "conv4j.name"}. */
    private static final Pattern PROPERTY_LITERAL = Pattern.compile("\"(conv4j(?:\\.[A-Za-z]\\w*)+)\"");

    /** A row of the README's settings table: {@code | `name` | default | effect |}. */
    private static final Pattern README_ROW = Pattern.compile("^\\| `(conv4j\\.[^`]+)` \\| ([^|]*?) \\|.*");

    @Test
    void theReadmeTableListsEverySettingWithItsDefault() throws IOException {
        List<String> readme = readmeRows(Files.readAllLines(ROOT.resolve("README.md")));
        List<String> expected = Settings.all().stream()
                .map(s -> s.name() + " | " + (s.defaultValue() != null ? "`" + s.defaultValue() + "`" : s.whenUnset()))
                .collect(Collectors.toList());
        assertEquals(expected, readme, "README.md's \"Settings\" table (name | default, in order) differs from "
                + "Settings.all(): update one to match the other");
    }

    @Test
    void readmeRowsAreReadAsNameAndDefault() {
        List<String> rows = readmeRows(List.of("# x", "## Settings", "", "| property | default | effect |",
                "|---|---|---|", "| `conv4j.a` | `1` | one |", "| `conv4j.b` | a quarter of `x.y` | two |", "",
                "| `conv4j.c` | `3` | after the table |"));
        assertEquals(List.of("conv4j.a | `1`", "conv4j.b | a quarter of x.y"), rows);
    }

    /**
     * The rows of the table that follows the README's "## Settings" heading, each as {@code name | default},
     * backticks kept around a default that is one value and dropped inside a default in words.
     */
    static List<String> readmeRows(List<String> lines) {
        List<String> rows = new ArrayList<>();
        int at = lines.indexOf("## Settings");
        assertTrue(at >= 0, "README.md has no \"## Settings\" section");
        boolean inTable = false;
        for (String line : lines.subList(at + 1, lines.size())) {
            if (line.startsWith("|")) {
                inTable = true;
                Matcher m = README_ROW.matcher(line);
                if (m.matches()) {
                    String cell = m.group(2).trim();
                    boolean oneValue = cell.matches("`[^`]*`");
                    rows.add(m.group(1) + " | " + (oneValue ? cell : cell.replace("`", "")));
                }
            } else if (inTable) {
                break;
            }
        }
        return rows;
    }

    @Test
    void everyPropertyNameInMainCodeIsWrittenOnlyInSettings() throws IOException {
        List<String> elsewhere = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(ROOT, 12)) {
            sources = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> p.toString().replace('\\', '/').contains("/src/main/java/"))
                    .filter(p -> !p.toString().replace('\\', '/').contains("/conv-testkit/")) // test tools' own
                    .collect(Collectors.toList());
        }
        assertTrue(sources.size() > 50, "expected the modules' main sources under " + ROOT.toAbsolutePath());
        for (Path p : sources) {
            Matcher m = PROPERTY_LITERAL.matcher(Files.readString(p));
            while (m.find()) {
                String name = m.group(1);
                if (name.endsWith(".properties")) {
                    continue; // a resource file's name, not a property
                }
                if (!p.getFileName().toString().equals("Settings.java")) {
                    elsewhere.add(p + ": " + name);
                } else if (Settings.all().stream().noneMatch(s -> s.name().equals(name))) {
                    unknown.add(name);
                }
            }
        }
        assertEquals(List.of(), elsewhere, "name these properties in Settings and read them with Settings.value");
        assertEquals(List.of(), unknown, "Settings names these properties but does not list them in Settings.all()");
    }

    @Test
    void valueIsTrimmedAndBlankIsUnset() {
        restoringAfter(() -> {
            System.clearProperty(Settings.BACKEND);
            assertNull(Settings.value(Settings.BACKEND));
            System.setProperty(Settings.BACKEND, "   ");
            assertNull(Settings.value(Settings.BACKEND));
            System.setProperty(Settings.BACKEND, " naive ");
            assertEquals("naive", Settings.value(Settings.BACKEND));
        }, Settings.BACKEND);
    }

    @Test
    void valueOrDefaultFallsBackToTheListedDefault() {
        restoringAfter(() -> {
            System.clearProperty(Settings.AUTOTUNE);
            assertEquals("false", Settings.valueOrDefault(Settings.AUTOTUNE));
            System.setProperty(Settings.AUTOTUNE, "true");
            assertEquals("true", Settings.valueOrDefault(Settings.AUTOTUNE));
            System.clearProperty(Settings.ONEDNN_THREADS);
            assertNull(Settings.valueOrDefault(Settings.ONEDNN_THREADS), "no default value: null");
        }, Settings.AUTOTUNE, Settings.ONEDNN_THREADS);
    }

    @Test
    void anUnlistedNameIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Settings.value("conv4j.nope"));
        assertTrue(e.getMessage().contains("conv4j.nope") && e.getMessage().contains(Settings.BACKEND), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Settings.value("user.home"));
    }

    @Test
    void theListedDefaultsAreTheCodesDefaults() {
        assertEquals(Workspace.DEFAULT_LIMIT_BYTES,
                Workspace.parseBytes(Settings.setting(Settings.WORKSPACE_LIMIT).defaultValue()));
        assertFalse(Boolean.parseBoolean(Settings.setting(Settings.AUTOTUNE).defaultValue()));
        assertTrue(Settings.setting(Settings.WORKSPACE_TOTAL).whenUnset().contains("quarter")
                && WorkspaceBudget.DEFAULT_FRACTION == 0.25);
    }

    @Test
    void inEffectShowsSetValuesDefaultsAndUnsetOnes() {
        restoringAfter(() -> {
            System.clearProperty(Settings.BACKEND);
            System.setProperty(Settings.WORKSPACE_LIMIT, "64m");
            List<String> lines = Settings.inEffect();
            assertEquals(Settings.all().size(), lines.size());
            assertTrue(lines.contains("conv4j.workspace.limit=64m"), lines.toString());
            assertTrue(lines.contains("conv4j.backend unset"), lines.toString());
            System.clearProperty(Settings.WORKSPACE_LIMIT);
            List<String> unset = Settings.inEffect();
            assertTrue(unset.contains("conv4j.workspace.limit=256m (default)"), unset.toString());
        }, Settings.WORKSPACE_LIMIT, Settings.BACKEND);
    }

    @Test
    void aSettingHasExactlyOneKindOfDefault() {
        assertThrows(IllegalArgumentException.class, () -> new Settings.Setting("conv4j.x", "1", "one", "m"));
        assertThrows(IllegalArgumentException.class, () -> new Settings.Setting("conv4j.x", null, null, "m"));
        assertThrows(IllegalArgumentException.class, () -> new Settings.Setting("other.x", "1", null, "m"));
    }

    /** Runs {@code body}, then gives the properties {@code names} back the values they had before. */
    private static void restoringAfter(Runnable body, String... names) {
        Map<String, String> old = new HashMap<>();
        for (String name : names) {
            old.put(name, System.getProperty(name));
        }
        try {
            body.run();
        } finally {
            old.forEach((name, value) -> {
                if (value == null) {
                    System.clearProperty(name);
                } else {
                    System.setProperty(name, value);
                }
            });
        }
    }
}
