package org.conv4j.onednn;

import org.conv4j.api.ConvPass;
import org.conv4j.spi.WorkspaceBudget;

/**
 * The images per part of one call, planned for the bytes the process-wide budget grants
 * ({@link WorkspaceBudget#acquirePlan}): the part for the backend's per-call limit
 * ({@link OnednnBackend#imagesPerPart}) when the budget grants its buffers, else the most images whose
 * buffers fit the grant (found by bisection between 1 and that part), at least one image. The same for 2D and 3D
 * layers: a part is the call's {@link Geometry} with fewer images ({@link Geometry#withBatch}).
 */
final class BudgetedParts {

    private BudgetedParts() {
    }

    /**
     * The part and its grant for a call of geometry {@code whole} (the whole batch); the caller returns the grant
     * with its context ({@link ContextPool#release}).
     */
    static WorkspaceBudget.Planned<Integer> acquire(OnednnBackend backend, Geometry whole, ConvPass pass) {
        int wanted = backend.imagesPerPart(whole, pass);
        return WorkspaceBudget.global().acquirePlan(
                bytes -> bytes >= backend.workspaceBytes() ? wanted : largestWithin(whole, pass, wanted, bytes),
                images -> OnednnBackend.workspaceBytes(pass, whole.withBatch(images)), backend.workspaceBytes());
    }

    /** The most images, 1 to {@code most}, whose buffers fit in {@code bytes} (1 if none does). */
    static int largestWithin(Geometry whole, ConvPass pass, int most, long bytes) {
        int fits = 1;
        int tooLarge = most + 1;
        while (tooLarge - fits > 1) {
            int mid = (fits + tooLarge) >>> 1;
            if (OnednnBackend.workspaceBytes(pass, whole.withBatch(mid)) <= bytes) {
                fits = mid;
            } else {
                tooLarge = mid;
            }
        }
        return fits;
    }
}
