package matcher_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"ketnoi/corpus"
	"ketnoi/internal/corpustest"
	"ketnoi/matcher"
)

// sampleMatcher is a matcher over the sample corpus in a real store and bleve index, with its needs.
func sampleMatcher(t *testing.T) (*matcher.Matcher, []*corpus.Need, *corpus.Store) {
	t.Helper()
	_, st, idx := corpustest.Sample(t)
	var needs []*corpus.Need
	err := st.Each(func(e *corpus.Entry) error {
		if e.Kind == corpus.KindNeed {
			rec, err := e.Decode()
			needs = append(needs, rec.(*corpus.Need))
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return matcher.New(idx, st, matcher.DefaultWeights(), 2026), needs, st
}

func ids(ms []matcher.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// TestBatchIsMatchInParallel: a batch gives every need, in order, what Match gives it alone, whatever the
// number of workers; the minimum score filters; progress counts every need once.
func TestBatchIsMatchInParallel(t *testing.T) {
	m, needs, _ := sampleMatcher(t)
	needs = needs[:20]
	ctx := context.Background()
	want := make([][]matcher.Match, len(needs))
	for i, n := range needs {
		ms, err := m.Match(ctx, n, 5)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = ms
	}
	for _, tc := range []struct {
		workers  int
		minScore float64
	}{{1, 0}, {3, 0}, {0, 0}, {2, 0.6}} {
		var calls atomic.Int64
		var seen []int
		items, err := m.Batch(ctx, needs, 5, tc.minScore, tc.workers, func(done, total int) {
			calls.Add(1)
			seen = append(seen, done) // progress calls never overlap
			if total != len(needs) {
				t.Errorf("progress total %d", total)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Ints(seen)
		if int(calls.Load()) != len(needs) || seen[len(seen)-1] != len(needs) {
			t.Errorf("workers %d: %d progress calls, last %v", tc.workers, calls.Load(), seen)
		}
		for i, it := range items {
			var kept []matcher.Match
			for _, mt := range want[i] {
				if mt.Score >= tc.minScore {
					kept = append(kept, mt)
				}
			}
			if it.Need != needs[i] || it.Err != nil || it.Took <= 0 || !reflect.DeepEqual(ids(it.Matches), ids(kept)) {
				t.Errorf("workers %d min %v, need %s: %v (err %v), want %v", tc.workers, tc.minScore, needs[i].ID, ids(it.Matches), it.Err, ids(kept))
			}
			for j := range it.Matches {
				if it.Matches[j].Score != kept[j].Score {
					t.Errorf("need %s match %d: score %v alone, %v in a batch", needs[i].ID, j, kept[j].Score, it.Matches[j].Score)
				}
			}
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Batch(cctx, needs, 5, 0, 2, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled batch: %v", err)
	}
}

// TestPair: a candidate is scored as Match ranks it; a result the search did not find for the need is
// scored with no text relevance and rank 0.
func TestPair(t *testing.T) {
	m, needs, st := sampleMatcher(t)
	ctx := context.Background()
	need := needs[0]
	all, err := m.Match(ctx, need, 0)
	if err != nil || len(all) < 2 {
		t.Fatalf("match: %d, %v", len(all), err)
	}
	for _, rank := range []int{1, 3} {
		want := all[rank-1]
		res := mustResult(t, st, want.ID)
		got, r, err := m.Pair(ctx, need, res)
		if err != nil || r != rank || got.Score != want.Score || !reflect.DeepEqual(got.Components, want.Components) {
			t.Errorf("pair with rank %d: got rank %d score %v, want %v (%v)", rank, r, got.Score, want.Score, err)
		}
	}
	candidates := map[string]bool{}
	for _, mt := range all {
		candidates[mt.ID] = true
	}
	var outsider *corpus.Result
	st.Each(func(e *corpus.Entry) error {
		if e.Kind == corpus.KindResult && !candidates[e.ID] && outsider == nil {
			outsider = mustResult(t, st, e.ID)
		}
		return nil
	})
	if outsider == nil {
		t.Fatal("every result is a candidate")
	}
	got, r, err := m.Pair(ctx, need, outsider)
	if err != nil || r != 0 || got.Components[matcher.CompText] != 0 || got.Score <= 0 || len(got.Reasons) == 0 {
		t.Errorf("outsider %s: rank %d, %+v, %v", outsider.ID, r, got, err)
	}
	names := matcher.Components()
	if len(names) != len(got.Components) {
		t.Errorf("Components() %v, a match has %v", names, got.Components)
	}
	for _, n := range names {
		if _, ok := got.Components[n]; !ok || matcher.ComponentLabel(n) == "" {
			t.Errorf("component %s missing from a match or without a label", n)
		}
	}
}

func mustResult(t *testing.T, st *corpus.Store, id string) *corpus.Result {
	t.Helper()
	rec, err := st.Record(id)
	if err != nil {
		t.Fatal(err)
	}
	return rec.(*corpus.Result)
}

// TestReverseLeavesOutBeforeNormalising: the needs a reverse match leaves out (closed, expired) do not set
// the scale of the text component: the best need shown has all of it, as if the others did not exist.
func TestReverseLeavesOutBeforeNormalising(t *testing.T) {
	m, _, st := sampleMatcher(t)
	ctx := context.Background()
	for _, id := range []string{"kq-ts-050", "kq-ts-052", "kq-nn-017"} {
		rec, err := st.Record(id)
		if err != nil {
			t.Fatal(err)
		}
		r := rec.(*corpus.Result)
		all, _, err := m.Reverse(ctx, r, 0, matcher.ReverseOptions{})
		if err != nil || len(all) < 2 {
			t.Fatalf("%s: %d needs, %v", id, len(all), err)
		}
		best := all[0].ID
		for _, mt := range all {
			if mt.Components[matcher.CompText] == 1 {
				best = mt.ID // the text component's reference, which need not rank first
			}
		}
		closed := func(n *corpus.Need) bool { return n.ID == best }
		rest, _, err := m.Reverse(ctx, r, 0, matcher.ReverseOptions{Exclude: closed})
		if err != nil {
			t.Fatal(err)
		}
		top := 0.0
		for _, mt := range rest {
			if mt.ID == best {
				t.Fatalf("%s: the excluded need %s is listed", id, best)
			}
			top = max(top, mt.Components[matcher.CompText])
		}
		if top != 1 {
			t.Errorf("%s: with %s left out, the best text component shown is %v, want 1", id, best, top)
		}
	}
}

// TestTypographicPunctuation: quotes and ellipses that word processors put in a need's text are
// punctuation, as in the index: around a title, the need is about the same topic, with the same matched
// words, as without them.
func TestTypographicPunctuation(t *testing.T) {
	m, _, _ := sampleMatcher(t)
	ctx := context.Background()
	plain, err := m.Match(ctx, &corpus.Need{ID: "a", Kind: corpus.KindNeed, Title: "Máy sấy cá cơm"}, 5)
	if err != nil || len(plain) == 0 {
		t.Fatalf("%d matches, %v", len(plain), err)
	}
	for _, title := range []string{"“Máy sấy cá cơm”", "Máy sấy cá cơm…", "«Máy sấy cá cơm»", "(Máy sấy cá cơm)"} {
		typed, err := m.Match(ctx, &corpus.Need{ID: "a", Kind: corpus.KindNeed, Title: title}, 5)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ids(typed), ids(plain)) {
			t.Errorf("%q: matches %v, want %v", title, ids(typed), ids(plain))
			continue
		}
		for i := range typed {
			if got, want := typed[i].Components[matcher.CompTopic], plain[i].Components[matcher.CompTopic]; got != want {
				t.Errorf("%q, %s: topic %v, want %v", title, typed[i].ID, got, want)
			}
			if !reflect.DeepEqual(typed[i].MatchedTerms, plain[i].MatchedTerms) {
				t.Errorf("%q, %s: matched %q, want %q", title, typed[i].ID, typed[i].MatchedTerms, plain[i].MatchedTerms)
			}
		}
	}
}

// TestReverseTopicSentence: in reverse matching the topic component is how much of the result's title the
// need states, and its sentence says so; the forward sentences (about what the result's title states of
// the need's) are never given.
func TestReverseTopicSentence(t *testing.T) {
	m, _, st := sampleMatcher(t)
	seen := 0
	for _, id := range []string{"kq-cn-047", "kq-nn-001", "kq-ts-050"} {
		rec, err := st.Record(id)
		if err != nil {
			t.Fatal(err)
		}
		ms, _, err := m.Reverse(context.Background(), rec.(*corpus.Result), 20, matcher.ReverseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, mt := range ms {
			v := mt.Components[matcher.CompTopic]
			if v == 0 || v >= 0.5 {
				seen++
			}
			for _, r := range mt.Reasons {
				if strings.Contains(r, "tiêu đề nhu cầu") {
					t.Errorf("%s → %s (topic %v): forward sentence %q", id, mt.ID, v, r)
				}
			}
			if v >= 0.5 && !slices.ContainsFunc(mt.Reasons, func(r string) bool { return strings.Contains(r, "nhu cầu nói đến") }) {
				t.Errorf("%s → %s (topic %v): no topic sentence in %q", id, mt.ID, v, mt.Reasons)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no need with a topic of 0 or at least 0.5: the test checks nothing")
	}
}
