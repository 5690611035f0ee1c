/**
 * The runtime behind the facades, internal to conv-api: which backend runs a call ({@code BackendSelector}, over a
 * geometry of any rank, {@code Selectable}) or which one autotuning found fastest ({@code Autotuner}, with its cache
 * file {@code AutotuneFile} and key {@code PlanKey}); the facade's prepared passes ({@code PreparedForms}, with
 * {@code PreparedByForm} forward and {@code PreparedBackwardByForm} backward);
 * the conversions at a call's edge ({@code LayoutEdge}, {@code LayoutCopy}); the padding modes done by copying
 * ({@code ModePadding}); the transposed passes' output padding and bias ({@code TransposedPasses}); and small checks
 * the tensors and shapes share ({@code HeapCheck}).
 *
 * <p>Its classes are public only so that {@code org.conv4j.api} and {@code org.conv4j.spi} can call them: the module
 * descriptor does not export this package, so no other module can, and on the class path nothing here is part of
 * the API (names and signatures change without notice). {@code Access} is the bridge through which conv-api's
 * packages reach each other's members that are deliberately not public.
 */
package org.conv4j.internal;
