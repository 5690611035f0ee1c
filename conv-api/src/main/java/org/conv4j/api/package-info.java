/**
 * What a user of conv4j calls: the facades {@link org.conv4j.api.Conv1d}, {@link org.conv4j.api.Conv2d} and
 * {@link org.conv4j.api.Conv3d}; the tensors {@link org.conv4j.api.Tensor3D}, {@link org.conv4j.api.Tensor4D} and
 * {@link org.conv4j.api.Tensor5D} with their {@link org.conv4j.api.MemoryLayout}; the parameters
 * ({@link org.conv4j.api.ConvParams}, {@link org.conv4j.api.Conv1dParams}, {@link org.conv4j.api.Conv3dParams},
 * {@link org.conv4j.api.PaddingMode}) and the validated geometries they give ({@link org.conv4j.api.ConvShape},
 * {@link org.conv4j.api.TransposedShape}, {@link org.conv4j.api.Conv3dShape}, {@link org.conv4j.api.ConvAxis});
 * the results ({@link org.conv4j.api.ConvGradients} and its 1D and 3D counterparts); prepared passes
 * ({@link org.conv4j.api.PreparedConvolution}, {@link org.conv4j.api.PreparedBackward}); the backend decision ({@link org.conv4j.api.ConvPass},
 * {@link org.conv4j.api.ConvPlan}); the settings ({@link org.conv4j.api.Settings},
 * {@link org.conv4j.api.Workspace}).
 *
 * <p>{@link org.conv4j.api.ConvBackend} and {@link org.conv4j.api.Conv3dBackend} are here too: they are what a user
 * holds when pinning a backend ({@code Conv2d.backend("im2col")}), and the service type that backends provide and
 * {@code java.util.ServiceLoader} finds (through {@code META-INF/services/org.conv4j.api.ConvBackend} on the class
 * path, through {@code provides} in the backend's module descriptor on the module path). What a backend author
 * extends and calls besides is in {@link org.conv4j.spi}.
 */
package org.conv4j.api;
