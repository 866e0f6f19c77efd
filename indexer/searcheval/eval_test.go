package searcheval

import (
	"context"
	"math"
	"testing"

	"ketnoi/corpus"
)

func TestScore(t *testing.T) {
	tests := []struct {
		ids, rel             []string
		p1, rr, recall, ndcg float64
	}{
		{[]string{"a", "b"}, []string{"a"}, 1, 1, 1, 1},
		{[]string{"x", "a"}, []string{"a"}, 0, 0.5, 1, 1 / math.Log2(3)},
		{[]string{"x", "y"}, []string{"a"}, 0, 0, 0, 0},
		{[]string{"a", "x", "b"}, []string{"a", "b"}, 1, 1, 1, (1 + 1/math.Log2(4)) / (1 + 1/math.Log2(3))},
		{[]string{"x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "a"}, []string{"a"}, 0, 0, 0, 0}, // rank 11 does not count
	}
	for _, tt := range tests {
		p1, rr, rec, ndcg := score(tt.ids, tt.rel)
		if p1 != tt.p1 || rr != tt.rr || rec != tt.recall || math.Abs(ndcg-tt.ndcg) > 1e-9 {
			t.Errorf("score(%v, %v) = %v %v %v %v; want %v %v %v %v", tt.ids, tt.rel, p1, rr, rec, ndcg, tt.p1, tt.rr, tt.recall, tt.ndcg)
		}
	}
}

func TestSQLiteBaseline(t *testing.T) {
	sq, err := OpenSQLite(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	recs := []corpus.Record{
		&corpus.Result{ID: "a", Title: "Máy sấy cá cơm", Summary: "bơm nhiệt"},
		&corpus.Result{ID: "b", Title: "Giống lúa chịu hạn", Summary: "Duyên hải Nam Trung Bộ"},
		&corpus.Need{ID: "n", Title: "Cần máy sấy"},
	}
	if err := sq.Load(recs); err != nil {
		t.Fatal(err)
	}
	m, err := Evaluate(context.Background(), sq, []Query{
		{ID: "1", Query: "may say ca", Relevant: []string{"a"}},
		{ID: "2", Query: "lúa hạn?", Relevant: []string{"b"}},
		{ID: "3", Query: `"" OR *`, Relevant: []string{"b"}},
	}, func(s string) string { return s })
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 3 || m.P1 < 0.66 || m.P1 > 0.67 {
		t.Errorf("metrics %+v: want the two real queries answered first, the junk one not", m)
	}
}
