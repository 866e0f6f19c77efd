package matcher_test

import (
	"context"
	"testing"

	"ketnoi/corpus"
	"ketnoi/matcher"
)

// TestNoSearchableWord: a need (or a result, the other way) whose text has no word to search by — only
// function words, punctuation, numbers — matches nothing and says why, instead of getting the newest
// records with scores; a number beside a word still counts.
func TestNoSearchableWord(t *testing.T) {
	m, _, _ := sampleMatcher(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, title, desc string
		empty             bool
	}{
		{"function words", "Cần các và của những", "", true},
		{"unaccented function words", "can cac va cua nhung", "", true},
		{"punctuation", "!!! ... ??? – «»", "(—)", true},
		{"numbers", "2024", "123 456, 30–40", true},
		{"single letters", "a b c", "", true},
		{"a word and a year", "2024 máy sấy cá cơm", "", false},
		{"the word in the description", "Cần các", "máy sấy cá cơm", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			need := &corpus.Need{ID: "nc-tam", Kind: corpus.KindNeed, Title: tc.title, Description: tc.desc}
			ms, plan, err := m.MatchPlan(ctx, need, 5)
			if err != nil {
				t.Fatal(err)
			}
			checkEmpty(t, "need → results", ms, plan, tc.empty)

			r := &corpus.Result{ID: "kq-tam", Kind: corpus.KindResult, Title: tc.title, Summary: tc.desc}
			rs, rplan, err := m.Reverse(ctx, r, 5, matcher.ReverseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkEmpty(t, "result → needs", rs, rplan, tc.empty)

			items, err := m.Batch(ctx, []*corpus.Need{need}, 5, 0, 1, nil)
			if err != nil || items[0].Err != nil {
				t.Fatal(err, items[0].Err)
			}
			checkEmpty(t, "batch", items[0].Matches, matcher.Plan{Note: items[0].Note, Terms: plan.Terms}, tc.empty)

			sim, err := m.Similar(ctx, r, 5)
			if err != nil || (len(sim) == 0) != tc.empty {
				t.Errorf("similar: %d results, %v", len(sim), err)
			}
		})
	}
}

func checkEmpty(t *testing.T, what string, ms []matcher.Match, plan matcher.Plan, empty bool) {
	t.Helper()
	if !empty {
		if len(ms) == 0 || plan.Note != nil {
			t.Errorf("%s: %d matches, note %+v; want matches", what, len(ms), plan.Note)
		}
		return
	}
	if len(ms) != 0 || len(plan.Terms) != 0 {
		t.Errorf("%s: %d matches (searched for %v), want none", what, len(ms), plan.Terms)
	}
	if plan.Note == nil || plan.Note.Code != matcher.NoteNoTerms || plan.Note.Message == "" {
		t.Errorf("%s: note %+v, want %s with a message", what, plan.Note, matcher.NoteNoTerms)
	}
}
