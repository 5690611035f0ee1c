package org.conv4j.onednn;

import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.WorkspaceBudget;

/**
 * The images per part of one call, planned for the bytes the process-wide budget grants
 * ({@link WorkspaceBudget#acquirePlan}): the part for the backend's per-call limit
 * ({@link OnednnBackend#imagesPerPart}) when the budget grants its buffers, else the most images whose
 * buffers fit the grant (found by bisection between 1 and that part), at least one image.
 */
final class BudgetedParts {

    private BudgetedParts() {
    }

    /** The part and its grant; the caller returns the grant with its context ({@link ContextPool#release}). */
    static WorkspaceBudget.Planned<Integer> acquire(OnednnBackend backend, ConvShape s, ConvPass pass,
                                                    boolean bias) {
        int wanted = backend.imagesPerPart(s, pass, bias);
        return WorkspaceBudget.global().acquirePlan(
                bytes -> bytes >= backend.workspaceBytes() ? wanted : largestWithin(s, pass, bias, wanted, bytes),
                images -> OnednnBackend.workspaceBytes(s, pass, bias, images), backend.workspaceBytes());
    }

    /** The most images, 1 to {@code most}, whose buffers fit in {@code bytes} (1 if none does). */
    static int largestWithin(ConvShape s, ConvPass pass, boolean bias, int most, long bytes) {
        int fits = 1;
        int tooLarge = most + 1;
        while (tooLarge - fits > 1) {
            int mid = (fits + tooLarge) >>> 1;
            if (OnednnBackend.workspaceBytes(s, pass, bias, mid) <= bytes) {
                fits = mid;
            } else {
                tooLarge = mid;
            }
        }
        return fits;
    }
}
