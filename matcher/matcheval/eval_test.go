package matcheval

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/matcher"
)

// fixedRanker answers each need with a fixed ranking.
type fixedRanker map[string][]string

func (f fixedRanker) Match(_ context.Context, need *corpus.Need, size int) ([]matcher.Match, error) {
	ids, ok := f[need.ID]
	if !ok {
		return nil, errors.New("không biết nhu cầu")
	}
	var out []matcher.Match
	for _, id := range ids[:min(size, len(ids))] {
		out = append(out, matcher.Match{ID: id})
	}
	return out, nil
}

func TestEvaluateAveragesWhereDefined(t *testing.T) {
	cases := []Case{
		{NeedID: "n1", Relevant: map[string]int{"a": 3, "b": 2, "c": 1}},
		{NeedID: "n2", Relevant: map[string]int{"d": 1}}, // no answer of grade 2: P@5 undefined
		{NeedID: "n3", Relevant: map[string]int{"e": 2, "f": 3}},
	}
	needs := []*corpus.Need{{ID: "n1", Title: "một"}, {ID: "n2"}, {ID: "n3"}}
	r := fixedRanker{
		"n1": ids("a b c"),     // ideal
		"n2": ids("x d"),       // nDCG 1/log2(3); R@20 1
		"n3": ids("x y z w v"), // nothing found
	}
	rep, err := Evaluate(context.Background(), r, cases, needs)
	if err != nil {
		t.Fatal(err)
	}
	o := rep.Overall
	wantNDCG := (1 + 1/math.Log2(3) + 0) / 3
	if math.Abs(o.NDCG5-wantNDCG) > 1e-9 || o.NNDCG5 != 3 {
		t.Errorf("nDCG@5 %.4f over %d, want %.4f over 3", o.NDCG5, o.NNDCG5, wantNDCG)
	}
	if math.Abs(o.P5-(0.4+0)/2) > 1e-9 || o.NP5 != 2 {
		t.Errorf("P@5 %.4f over %d, want 0.2 over 2 (n2 has nothing of grade 2)", o.P5, o.NP5)
	}
	if math.Abs(o.P5Max-(0.4+0.4)/2) > 1e-9 {
		t.Errorf("P@5 ceiling %.4f, want 0.4 (two results of grade ≥ 2 per answerable need)", o.P5Max)
	}
	if math.Abs(o.R20-(1+1+0)/3.0) > 1e-9 || o.NR20 != 3 {
		t.Errorf("R@20 %.4f over %d", o.R20, o.NR20)
	}
	if rep.Needs[1].P5 != nil || rep.Needs[1].NDCG5 == nil {
		t.Errorf("n2 measures: %+v", rep.Needs[1])
	}
	if got := rep.Needs[0]; got.Title != "một" || len(got.Top) != 3 || got.Top[0] != (Ranked{"a", 3}) {
		t.Errorf("n1 row: %+v", got)
	}
	if got := rep.Needs[2].Missed; len(got) != 2 || got[0] != (Ranked{"f", 3}) || got[1] != (Ranked{"e", 2}) {
		t.Errorf("n3 missed %v, want f(3) then e(2)", got)
	}
	if o.P95 < o.P50 {
		t.Errorf("latency p95 %v below p50 %v", o.P95, o.P50)
	}
	if _, err := Evaluate(context.Background(), r, cases, needs[:2]); err == nil {
		t.Error("needs and cases of different lengths accepted")
	}
	cases[0].NeedID, needs[0].ID = "n9", "n9"
	if _, err := Evaluate(context.Background(), r, cases, needs); err == nil || !strings.Contains(err.Error(), "n9") {
		t.Errorf("ranker error not reported with the need: %v", err)
	}
}

func TestAblationConfigs(t *testing.T) {
	base := matcher.DefaultWeights()
	cfgs := Ablation(base)
	byID := map[string]matcher.Weights{}
	for _, c := range cfgs {
		if _, dup := byID[c.ID]; dup {
			t.Errorf("config %s twice", c.ID)
		}
		byID[c.ID] = c.Weights
		if c.Name == "" {
			t.Errorf("config %s has no name", c.ID)
		}
	}
	text := byID["text"]
	if text.Text != base.Text || text.Synonyms || text.PRFTerms != 0 || text.Field+text.Sector+text.TRL+text.Transfer+
		text.Budget+text.Locality+text.Freshness+text.Completeness != 0 || text.Candidates != base.Candidates {
		t.Errorf("text alone: %+v", text)
	}
	if w := byID["text+synonyms"]; !w.Synonyms || w.PRFTerms != 0 || w.Field != 0 {
		t.Errorf("text+synonyms: %+v", w)
	}
	// PRF is off by default: it is measured at the probe settings, and added to the full configuration.
	if w := byID["text+prf"]; w.Synonyms || w.PRFTerms != probePRFTerms || w.PRFDocs != probePRFDocs || w.Sector != 0 {
		t.Errorf("text+prf: %+v", w)
	}
	if w := byID["full+prf"]; w.PRFTerms != probePRFTerms || !w.Synonyms || w.TRL != base.TRL {
		t.Errorf("full plus PRF: %+v", w)
	}
	if w := byID["text+structure"]; w.Synonyms || w.PRFTerms != 0 || w.TRL != base.TRL || w.Field != base.Field {
		t.Errorf("text+structure: %+v", w)
	}
	if byID["full"] != base {
		t.Errorf("full differs from base")
	}
	if w := byID["full-"+matcher.CompTRL]; w.TRL != 0 || w.Field != base.Field || !w.Synonyms {
		t.Errorf("full minus TRL: %+v", w)
	}
	if _, ok := byID["full-prf"]; ok {
		t.Errorf("full minus PRF listed though PRF is off")
	}
	on := base
	on.PRFTerms, on.PRFDocs = 6, 4
	for _, c := range Ablation(on) {
		if c.ID == "text+prf" && (c.Weights.PRFTerms != 6 || c.Weights.PRFDocs != 4) || c.ID == "full+prf" {
			t.Errorf("with PRF on in the base: %s %+v", c.ID, c.Weights)
		}
	}
	// A part already off in the base has no leave-one-out row.
	base.Budget = 0
	for _, c := range Ablation(base) {
		if c.ID == "full-"+matcher.CompBudget {
			t.Error("leave-one-out of a zero weight kept")
		}
	}
	if len(Ablation(base)) != len(cfgs)-1 {
		t.Errorf("%d configs after turning budget off, want %d", len(Ablation(base)), len(cfgs)-1)
	}
}
