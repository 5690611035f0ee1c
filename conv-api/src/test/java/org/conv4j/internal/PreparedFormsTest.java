package org.conv4j.internal;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The facade's prepared passes' shared part: one choice per pass and form, one prepared pass per backend. */
class PreparedFormsTest {

    /** A backend's prepared pass: which backend, and whether it was closed (and how often). */
    private static final class Prepared {
        final ConvBackend backend;
        int closed;

        Prepared(ConvBackend backend) {
            this.backend = backend;
        }
    }

    /** Chooses by a fixed map from forms to backends, and records what it prepares. */
    private static final class Forms extends PreparedForms<Prepared> {
        final List<Prepared> made = new ArrayList<>();

        Forms(Map<Integer, ConvBackend> byForms) {
            super("prepared test", ConvShape.forward(Tensor4D.zeros(1, 1, 4, 4), Tensor4D.zeros(1, 1, 3, 3), null,
                    ConvParams.DEFAULT), false, (shape, pass, forms, conversions) -> byForms.get(forms),
                    p -> p.backend, p -> p.closed++);
        }

        @Override
        protected Prepared prepare(ConvBackend backend) {
            Prepared p = new Prepared(backend);
            made.add(p);
            return p;
        }

    Prepared call(ConvPass pass, int forms) {
            return forForm(pass, forms, b -> 0, p -> { });
        }
    }

    @Test
    void aBackendChosenForSeveralFormsIsPreparedOnceAndClosedOnce() {
        ConvBackend a = FakeBackend.estimated("a", 1);
        ConvBackend b = FakeBackend.estimated("b", 1);
        Forms forms = new Forms(Map.of(0, a, 1, b, 2, a));
        Prepared first = forms.call(ConvPass.BACKWARD, 0);
        assertSame(first, forms.call(ConvPass.BACKWARD, 2), "another form, the same backend");
        assertSame(first, forms.call(ConvPass.INPUT_GRADIENT, 0), "another pass, the same backend");
        Prepared second = forms.call(ConvPass.BACKWARD, 1);
        assertSame(b, second.backend);
        assertSame(b, forms.lastBackend(ConvPass.BACKWARD));
        assertEquals(2, forms.made.size());
        forms.close();
        forms.close();
        assertEquals(1, first.closed);
        assertEquals(1, second.closed);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> forms.call(ConvPass.BACKWARD, 0));
        assertTrue(e.getMessage().startsWith("prepared test ") && e.getMessage().endsWith(": closed"),
                e.getMessage());
    }
}
