package org.conv4j.internal;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.LruCache;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The facade's prepared passes' shared part: one choice per pass and form, timed among the candidates; one prepared
 * pass per backend.
 */
class PreparedFormsTest {

    /** A backend's prepared pass: which backend, and whether it was closed (and how often). */
    private static final class Prepared {
        final ConvBackend backend;
        int closed;

        Prepared(ConvBackend backend) {
            this.backend = backend;
        }
    }

    /**
     * What the prepared passes see: the candidates offered to the next choice, and a fake clock that each call of a
     * backend advances by that backend's time.
     */
    private static final class World {
        List<ConvBackend> next;
        long now;
        final Map<ConvBackend, Long> nanos = new HashMap<>();
        final Map<ConvBackend, Integer> calls = new HashMap<>();

        /** {@code b}'s calls take {@code ns} on the clock. */
        World with(ConvBackend b, long ns) {
            nanos.put(b, ns);
            return this;
        }

        void call(Prepared p) {
            now += nanos.getOrDefault(p.backend, 1L);
            calls.merge(p.backend, 1, Integer::sum);
        }
    }

    /** Prepared passes in a {@link World}, recording what they prepare. */
    private static final class Forms extends PreparedForms<Prepared> {
        final World world;
        final List<Prepared> made = new ArrayList<>();

        Forms(World world) {
            this(world, new LruCache<>(16));
        }

        Forms(World world, LruCache<PreparedForms.Decision, ConvBackend> decisions) {
            super("prepared test", ConvShape.forward(Tensor4D.zeros(1, 1, 4, 4), Tensor4D.zeros(1, 1, 3, 3), null,
                    ConvParams.DEFAULT), decisions, (pass, conversions) -> world.next, () -> world.now,
                    p -> p.backend, p -> p.closed++);
            this.world = world;
        }

        @Override
        protected Prepared prepare(ConvBackend backend) {
            Prepared p = new Prepared(backend);
            made.add(p);
            return p;
        }

        Prepared call(ConvPass pass, int forms, ConvBackend... candidates) {
            world.next = List.of(candidates);
            return forForm(pass, forms, b -> 0, world::call);
        }
    }

    @Test
    void aBackendChosenForSeveralFormsIsPreparedOnceAndClosedOnce() {
        ConvBackend a = FakeBackend.estimated("a", 1);
        ConvBackend b = FakeBackend.estimated("b", 1);
        Forms forms = new Forms(new World());
        Prepared first = forms.call(ConvPass.BACKWARD, 0, a);
        assertSame(first, forms.call(ConvPass.BACKWARD, 2, a), "another form, the same backend");
        assertSame(first, forms.call(ConvPass.INPUT_GRADIENT, 0, a), "another pass, the same backend");
        assertSame(first, forms.call(ConvPass.INPUT_GRADIENT, 0, b), "a form chooses once");
        Prepared second = forms.call(ConvPass.BACKWARD, 1, b);
        assertSame(b, second.backend);
        assertSame(b, forms.lastBackend(ConvPass.BACKWARD));
        assertEquals(2, forms.made.size());
        assertEquals(Map.of(), forms.world.calls, "a single candidate is not timed");
        forms.close();
        forms.close();
        assertEquals(1, first.closed);
        assertEquals(1, second.closed);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> forms.call(ConvPass.BACKWARD, 0, a));
        assertTrue(e.getMessage().startsWith("prepared test ") && e.getMessage().endsWith(": closed"),
                e.getMessage());
    }

    @Test
    void theFastestCandidateServesForGoodAndTheOthersAreClosed() {
        ConvBackend estimatedFirst = FakeBackend.estimated("estimated-first", 1);
        ConvBackend fastest = FakeBackend.estimated("fastest", 2);
        ConvBackend close = FakeBackend.estimated("close", 3);
        ConvBackend far = FakeBackend.estimated("far", 4);
        World world = new World().with(estimatedFirst, 1000).with(fastest, 700).with(close, 800)
                .with(far, 1100); // above Autotuner.RECHECK_RATIO times 700
        Forms forms = new Forms(world);
        Prepared chosen = forms.call(ConvPass.FORWARD, 0, estimatedFirst, fastest, close, far);
        assertSame(fastest, chosen.backend);
        assertEquals(4, forms.made.size());
        for (Prepared p : forms.made) {
            assertEquals(p == chosen ? 0 : 1, p.closed, p.backend.name());
        }
        // one warm-up call and TIMED_CALLS rounds of two each, except the far one: out after DROP_AFTER_ROUNDS rounds
        for (ConvBackend b : List.of(estimatedFirst, fastest, close)) {
            assertEquals(1 + 2 * PreparedForms.TIMED_CALLS, world.calls.get(b), b.name());
        }
        assertEquals(1 + 2 * PreparedForms.DROP_AFTER_ROUNDS, world.calls.get(far));

        world.with(close, 100); // faster now: the form keeps its choice, so its results stay the same
        for (int i = 0; i < 100; i++) {
            assertSame(chosen, forms.call(ConvPass.FORWARD, 0, estimatedFirst, close));
        }
        assertEquals(1 + 2 * PreparedForms.DROP_AFTER_ROUNDS, world.calls.get(far), "no more timing");
        assertEquals(1 + 2 * PreparedForms.TIMED_CALLS, world.calls.get(close), "no more timing");
    }

    @Test
    void aCandidateMeasuredFarSlowerInTwoRoundsIsTimedNoMore() {
        ConvBackend fast = FakeBackend.estimated("fast", 1);
        ConvBackend slow = FakeBackend.estimated("slow", 2);
        World world = new World().with(fast, 100).with(slow, 151); // above Autotuner.RECHECK_RATIO times the best
        Forms forms = new Forms(world);
        assertSame(fast, forms.call(ConvPass.FORWARD, 0, fast, slow).backend);
        assertEquals(1 + 2 * PreparedForms.TIMED_CALLS, world.calls.get(fast));
        assertEquals(1 + 2 * PreparedForms.DROP_AFTER_ROUNDS, world.calls.get(slow), "a warm-up call and two rounds");
    }

    @Test
    void aPassPreparedUpFrontAndNotChosenIsClosedAtTheFirstCall() {
        ConvBackend upFront = FakeBackend.estimated("up-front", 1);
        ConvBackend faster = FakeBackend.estimated("faster", 2);
        Forms forms = new Forms(new World().with(upFront, 500).with(faster, 100));
        forms.prepareNow(upFront);
        Prepared early = forms.made.get(0);
        Prepared chosen = forms.call(ConvPass.FORWARD, 0, upFront, faster);
        assertSame(faster, chosen.backend);
        assertEquals(1, early.closed, "closed when another was chosen");
        forms.close();
        assertEquals(1, early.closed, "and not closed again");
        assertEquals(1, chosen.closed);
    }

    @Test
    void preparedPassesOfOneLayerShareTheFirstOnesDecision() {
        ConvBackend fast = FakeBackend.estimated("fast", 1);
        ConvBackend slow = FakeBackend.estimated("slow", 2);
        World world = new World().with(fast, 100).with(slow, 120);
        LruCache<PreparedForms.Decision, ConvBackend> decisions = new LruCache<>(16);
        Forms first = new Forms(world, decisions);
        assertSame(fast, first.call(ConvPass.FORWARD, 0, fast, slow).backend);
        int timedCalls = world.calls.get(fast) + world.calls.get(slow);

        world.with(fast, 200); // slower now: a second pass of the same layer and form still runs the first's choice
        Forms second = new Forms(world, decisions);
        assertSame(fast, second.call(ConvPass.FORWARD, 0, fast, slow).backend);
        assertEquals(timedCalls, world.calls.get(fast) + world.calls.get(slow), "the second did not time");
        assertEquals(List.of(fast), second.made.stream().map(p -> p.backend).toList(), "and prepared only that one");
        assertSame(slow, second.call(ConvPass.FORWARD, 1, fast, slow).backend, "another form is timed anew");
    }
}
