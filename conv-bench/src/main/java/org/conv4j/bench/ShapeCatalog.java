package org.conv4j.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.conv4j.api.ConvParams;

/**
 * The benchmark suite: every named shape, shared by the JMH benchmarks ({@code -p shape=NAME}) and the
 * comparison command ({@code --shapes NAME,GROUP}). Names end in {@code -b1} / {@code -b8} for the batch
 * size where the layer is run at both.
 *
 * <table>
 *   <caption>Groups</caption>
 *   <tr><th>group</th><th>shapes</th></tr>
 *   <tr><td>{@code single-channel-2x2}</td><td>the single-channel scaling case: 1 channel, one 2x2 filter, input
 *       10x10 to 500x500 (no padding, stride 1), named {@code single-channel-2x2-<n>}</td></tr>
 *   <tr><td>{@code small-6x6x10}</td><td>the 6x6x10 example: 6x6 input with 10 channels, 6 filters of 3x3x10</td></tr>
 *   <tr><td>{@code alexnet}</td><td>AlexNet conv1: 3x227x227, 96 filters 11x11, stride 4</td></tr>
 *   <tr><td>{@code resnet50}</td><td>ResNet-50: conv1 7x7/2 pad 3 on 3x224x224; 3x3 64->64 at 56x56; 3x3 128->128
 *       stride 2 (56x56 -> 28x28); 1x1 256->64 at 56x56; 3x3 512->512 at 7x7</td></tr>
 *   <tr><td>{@code vgg19}</td><td>VGG-19's nine 3x3 layers (stride 1, pad 1), {@code vgg19-CINtoCOUT-SIZE}</td></tr>
 *   <tr><td>{@code mobilenet}</td><td>MobileNet v1's first depthwise layer: 32 channels, 3x3, 112x112, groups 32</td></tr>
 *   <tr><td>{@code large-kernel}</td><td>16->16 channels at 128x128 with 15x15 and 31x31 kernels, "same" padding
 *       (the FFT backend's target layer)</td></tr>
 *   <tr><td>{@code kernel-sweep}</td><td>32->32 channels at 64x64, batch 4, "same" padding, kernel 3, 5, 7, 11, 15,
 *       21, 31: where FFT overtakes GEMM</td></tr>
 *   <tr><td>{@code resnet50-net}, {@code mobilenet-net}, {@code mobilenet-dw-net}, {@code vgg19-net},
 *       {@code googlenet-v3-net}</td><td>whole networks: every distinct layer of oneDNN's benchmark lists
 *       ({@link BenchdnnList}) at batch 1 and 8, named {@code <group>-<layer>-b<batch>}; the selectors
 *       {@code <group>-b1} and {@code <group>-b8} take one batch size, {@code networks}, {@code networks-b1} and
 *       {@code networks-b8} every network. {@link #networks()} gives each layer's occurrence count.</td></tr>
 * </table>
 * Selectors: {@code default} (the comparison command's subset of about three minutes, {@link #DEFAULT_SUBSET}),
 * {@code headline} (the JMH headline comparison), {@code stride1-3x3} (every 3x3 stride-1 layer of ResNet-50 and
 * VGG-19 at batch 1 and 8, the {@code winograd} backend's targets: the two {@code resnet50} ones above, 128->128 at
 * 28x28, 256->256 at 14x14, and {@code vgg19}), {@code all}.
 */
public final class ShapeCatalog {

    // Names used in JMH @Param defaults must be compile-time constants; ShapeCatalogTest checks each exists.
    public static final String SMALL_6X6X10_B1 = "small-6x6x10-b1";
    public static final String ALEXNET_CONV1_B1 = "alexnet-conv1-b1";
    public static final String RESNET50_CONV1_B1 = "resnet50-conv1-b1";
    public static final String RESNET50_3X3_64_B1 = "resnet50-3x3-64-b1";
    public static final String RESNET50_3X3_64_B8 = "resnet50-3x3-64-b8";
    public static final String RESNET50_3X3_128_S2_B8 = "resnet50-3x3-128-s2-b8";
    public static final String RESNET50_1X1_256_64_B8 = "resnet50-1x1-256to64-b8";
    public static final String RESNET50_3X3_512_B8 = "resnet50-3x3-512-b8";
    public static final String MOBILENET_DW_B8 = "mobilenet-dw-3x3-b8";
    public static final String LARGE_15X15_B1 = "large-15x15-b1";
    public static final String LARGE_31X31_B1 = "large-31x31-b1";
    public static final String SINGLE_CHANNEL_2X2_100 = "single-channel-2x2-100";

    /** Input sizes of the single-channel scaling case (square, 1 channel, 2x2 kernel). */
    public static final int[] SCALING_SIZES = {10, 25, 50, 100, 150, 200, 250, 300, 400, 500};

    /** The scaling sizes in the comparison command's default selection (a shorter run, same curve). */
    public static final int[] DEFAULT_SCALING_SIZES = {10, 50, 100, 200, 300, 500};

    /** Kernel sizes of the kernel sweep. */
    public static final int[] SWEEP_KERNELS = {3, 5, 7, 11, 15, 21, 31};

    /** VGG-19's 3x3 layers (all stride 1, pad 1): input channels, size, output channels. */
    private static final int[][] VGG19_3X3 = {{3, 224, 64}, {64, 224, 64}, {64, 112, 128}, {128, 112, 128},
        {128, 56, 256}, {256, 56, 256}, {256, 28, 512}, {512, 28, 512}, {512, 14, 512}};

    /** The comparison command's default selection, sized for about three minutes on 2 cores. */
    public static final List<String> DEFAULT_SUBSET;

    /** The headline JMH comparison: ResNet 3x3 batch 8 and the 31x31 large-kernel layer. */
    public static final List<String> HEADLINE = List.of(RESNET50_3X3_64_B8, LARGE_31X31_B1);

    /** Batch sizes the networks run at (the lists' own batch is for machines with many more cores). */
    public static final int[] NETWORK_BATCHES = {1, 8};

    /** Group names of the whole networks; usable as JMH {@code @Param} values. */
    public static final String RESNET50_NET = "resnet50-net";
    public static final String MOBILENET_NET = "mobilenet-net";
    public static final String MOBILENET_DW_NET = "mobilenet-dw-net";
    public static final String VGG19_NET = "vgg19-net";
    public static final String GOOGLENET_V3_NET = "googlenet-v3-net";

    /** Each network's group, bundled list file and title, in the order they are catalogued. */
    private static final String[][] NETWORK_FILES = {
            {RESNET50_NET, "shapes_resnet_50", "ResNet-50"},
            {MOBILENET_NET, "shapes_mobilenet", "MobileNet v1 (pointwise and first layer)"},
            {MOBILENET_DW_NET, "shapes_mobilenet_dw", "MobileNet v1 depthwise"},
            {VGG19_NET, "shapes_vgg_19", "VGG-19"},
            {GOOGLENET_V3_NET, "shapes_googlenet_v3", "GoogLeNet v3"},
    };

    private static final Map<String, BenchShape> BY_NAME;
    private static final Map<String, List<String>> GROUPS;
    private static final Map<String, Network> NETWORKS;

    static {
        List<BenchShape> all = new ArrayList<>();
        for (int n : SCALING_SIZES) {
            all.add(new BenchShape("single-channel-2x2-" + n, "single-channel-2x2",
                    "single-channel scaling case: 1 channel " + n + "x" + n + ", one 2x2 filter", 1, 1, n, n, 1, 2, 2,
                    ConvParams.DEFAULT));
        }
        for (int b : new int[] {1, 8}) {
            String bs = "-b" + b;
            all.add(square("small-6x6x10", "small-6x6x10", "the 6x6x10 example: 10x6x6 input, 6 filters of 3x3x10", b,
                    10, 6, 6, 3, ConvParams.DEFAULT));
            all.add(square("alexnet-conv1", "alexnet", "AlexNet conv1: 3x227x227, 96 filters 11x11, stride 4", b, 3,
                    227, 96, 11, ConvParams.builder().stride(4).build()));
            all.add(square("resnet50-conv1", "resnet50", "ResNet-50 conv1: 3x224x224, 64 filters 7x7, stride 2, pad 3",
                    b, 3, 224, 64, 7, ConvParams.builder().stride(2).padding(3).build()));
            all.add(square("resnet50-3x3-64", "resnet50", "ResNet-50 conv2_x 3x3: 64->64 at 56x56, pad 1", b, 64, 56,
                    64, 3, ConvParams.builder().padding(1).build()));
            all.add(square("resnet50-3x3-128-s2", "resnet50",
                    "ResNet-50 conv3_1 3x3: 128->128, stride 2, 56x56 -> 28x28, pad 1", b, 128, 56, 128, 3,
                    ConvParams.builder().stride(2).padding(1).build()));
            all.add(square("resnet50-1x1-256to64", "resnet50", "ResNet-50 conv2_x 1x1: 256->64 at 56x56", b, 256, 56,
                    64, 1, ConvParams.DEFAULT));
            all.add(square("resnet50-3x3-512", "resnet50", "ResNet-50 conv5_x 3x3: 512->512 at 7x7, pad 1", b, 512, 7,
                    512, 3, ConvParams.builder().padding(1).build()));
            all.add(square("mobilenet-dw-3x3", "mobilenet",
                    "MobileNet v1 depthwise 3x3: 32 channels at 112x112, pad 1, groups 32", b, 32, 112, 32, 3,
                    ConvParams.builder().padding(1).groups(32).build()));
            for (int k : new int[] {15, 31}) {
                all.add(new BenchShape("large-" + k + "x" + k + bs, "large-kernel",
                        "large kernel: 16->16 at 128x128, " + k + "x" + k + ", same padding", b, 16, 128, 128, 16, k, k,
                        ConvParams.builder().samePadding(128, 128, k, k).build()));
            }
        }
        // The 3x3 stride-1 layers of ResNet-50 and VGG-19 not listed above (oneDNN's benchdnn lists, batch 1 and 8).
        for (int b : new int[] {1, 8}) {
            String bs = "-b" + b;
            for (int[] l : new int[][] {{128, 28}, {256, 14}}) {
                all.add(new BenchShape("resnet50-3x3-" + l[0] + bs, "stride1-3x3",
                        "ResNet-50 3x3: " + l[0] + "->" + l[0] + " at " + l[1] + "x" + l[1] + ", pad 1", b, l[0], l[1],
                        l[1], l[0], 3, 3, ConvParams.builder().padding(1).build()));
            }
            for (int[] l : VGG19_3X3) {
                all.add(new BenchShape("vgg19-" + l[0] + "to" + l[2] + "-" + l[1] + bs, "vgg19",
                        "VGG-19 3x3: " + l[0] + "->" + l[2] + " at " + l[1] + "x" + l[1] + ", pad 1", b, l[0], l[1], l[1],
                        l[2], 3, 3, ConvParams.builder().padding(1).build()));
            }
        }
        for (int k : SWEEP_KERNELS) {
            all.add(new BenchShape("ksweep-k" + k, "kernel-sweep",
                    "kernel sweep: 32->32 at 64x64, batch 4, " + k + "x" + k + ", same padding", 4, 32, 64, 64, 32, k, k,
                    ConvParams.builder().samePadding(64, 64, k, k).build()));
        }

        Map<String, Network> networks = new LinkedHashMap<>();
        for (String[] net : NETWORK_FILES) {
            List<BenchdnnList.Layer> layers = BenchdnnList.load(net[1]);
            for (int b : NETWORK_BATCHES) {
                List<Network.Layer> entries = new ArrayList<>();
                for (BenchdnnList.Layer l : layers) {
                    BenchShape s = l.toShape(net[0] + "-", net[0], net[2], b);
                    all.add(s);
                    entries.add(new Network.Layer(s, l.count()));
                }
                String name = net[0] + "-b" + b;
                networks.put(name, new Network(name, net[0], net[2], b, entries));
            }
        }
        NETWORKS = Collections.unmodifiableMap(networks);

        Map<String, BenchShape> byName = new LinkedHashMap<>();
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (BenchShape s : all) {
            if (byName.put(s.name(), s) != null) {
                throw new IllegalStateException("duplicate shape name " + s.name());
            }
            groups.computeIfAbsent(s.group(), g -> new ArrayList<>()).add(s.name());
        }
        BY_NAME = Collections.unmodifiableMap(byName);

        List<String> defaults = new ArrayList<>();
        for (int n : DEFAULT_SCALING_SIZES) {
            defaults.add("single-channel-2x2-" + n);
        }
        defaults.addAll(List.of(SMALL_6X6X10_B1, ALEXNET_CONV1_B1, RESNET50_CONV1_B1, RESNET50_3X3_64_B1,
                "resnet50-3x3-128-s2-b1", "resnet50-1x1-256to64-b1", "resnet50-3x3-512-b1", "mobilenet-dw-3x3-b1",
                LARGE_31X31_B1));
        DEFAULT_SUBSET = List.copyOf(defaults);
        groups.replaceAll((k, v) -> List.copyOf(v));
        for (int b : NETWORK_BATCHES) {
            List<String> batch = new ArrayList<>();
            for (Network n : networks.values()) {
                if (n.batch() == b) {
                    List<String> names = n.layers().stream().map(l -> l.shape().name()).toList();
                    groups.put(n.name(), names);
                    batch.addAll(names);
                }
            }
            groups.put("networks-b" + b, List.copyOf(batch));
        }
        List<String> allNetworks = new ArrayList<>();
        for (String[] net : NETWORK_FILES) {
            allNetworks.addAll(groups.get(net[0]));
        }
        groups.put("networks", List.copyOf(allNetworks));
        groups.put("default", DEFAULT_SUBSET);
        groups.put("headline", HEADLINE);
        List<String> stride1 = new ArrayList<>();
        for (String bs : new String[] {"-b1", "-b8"}) {
            for (int c : new int[] {64, 128, 256, 512}) {
                stride1.add("resnet50-3x3-" + c + bs);
            }
            for (int[] l : VGG19_3X3) {
                stride1.add("vgg19-" + l[0] + "to" + l[2] + "-" + l[1] + bs);
            }
        }
        groups.put("stride1-3x3", List.copyOf(stride1));
        groups.put("all", List.copyOf(byName.keySet()));
        GROUPS = Collections.unmodifiableMap(groups);
    }

    private ShapeCatalog() {
    }

    /**
     * The shape {@code name-b<batch>} with a square {@code size x size} input of {@code c} channels and {@code k}
     * square {@code kernel x kernel} filters.
     */
    private static BenchShape square(String name, String group, String description, int batch, int c, int size, int k,
                                     int kernel, ConvParams params) {
        return new BenchShape(name + "-b" + batch, group, description, batch, c, size, size, k, kernel, kernel, params);
    }

    /** Every network at every batch size ({@code resnet50-net-b1}, {@code resnet50-net-b8}, ...), in catalogue order. */
    public static List<Network> networks() {
        return List.copyOf(NETWORKS.values());
    }

    /**
     * The network called {@code name} ({@code resnet50-net-b1}, ...), or its family and a batch size
     * ({@code network("resnet50-net", 8)} is {@code network("resnet50-net-b8")}).
     *
     * @throws IllegalArgumentException naming the unknown network and listing the known ones
     */
    public static Network network(String name) {
        Network n = NETWORKS.get(name.trim().toLowerCase(Locale.ROOT));
        if (n == null) {
            throw new IllegalArgumentException("network: expected one of " + NETWORKS.keySet() + ", got \"" + name
                    + "\"");
        }
        return n;
    }

    /** The network of {@code family} ({@code resnet50-net}, ...) at {@code batch}. */
    public static Network network(String family, int batch) {
        return network(family + "-b" + batch);
    }

    /** Every shape, in catalogue order. */
    public static List<BenchShape> all() {
        return List.copyOf(BY_NAME.values());
    }

    /** Group and selector names ({@code single-channel-2x2}, ..., {@code default}, {@code headline}, {@code all}). */
    public static Set<String> groupNames() {
        return GROUPS.keySet();
    }

    /** The shape names of a group or selector. */
    public static List<String> group(String group) {
        List<String> names = GROUPS.get(group);
        if (names == null) {
            throw new IllegalArgumentException("group: expected one of " + GROUPS.keySet() + ", got \"" + group + "\"");
        }
        return names;
    }

    /**
     * The shape called {@code name}.
     *
     * @throws IllegalArgumentException naming the unknown shape and listing the groups
     */
    public static BenchShape byName(String name) {
        BenchShape s = BY_NAME.get(name);
        if (s == null) {
            throw new IllegalArgumentException("shape: expected a shape name (see --list) or a group "
                    + GROUPS.keySet() + ", got \"" + name + "\"");
        }
        return s;
    }

    /**
     * Resolves a comma-separated list of shape names and group names into shapes, in the order given,
     * without repeats. Case-insensitive; blanks around commas are ignored.
     *
     * @throws IllegalArgumentException for an unknown name or an empty selection
     */
    public static List<BenchShape> select(String spec) {
        Set<String> names = new LinkedHashSet<>();
        for (String token : spec.split(",")) {
            String t = token.trim().toLowerCase(Locale.ROOT);
            if (t.isEmpty()) {
                continue;
            }
            if (GROUPS.containsKey(t)) {
                names.addAll(GROUPS.get(t));
            } else {
                names.add(byName(t).name());
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("shapes: expected at least one shape or group name, got \"" + spec + "\"");
        }
        List<BenchShape> shapes = new ArrayList<>();
        for (String n : names) {
            shapes.add(byName(n));
        }
        return shapes;
    }
}
