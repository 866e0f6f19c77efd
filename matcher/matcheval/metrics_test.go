package matcheval

import (
	"math"
	"strings"
	"testing"
	"time"
)

// graded is the judgement the hand-computed values below use: gains 7, 3, 1; the ideal DCG@5 is
// 7 + 3/log2(3) + 1/2 = 9.392789.
var graded = map[string]int{"a": 3, "b": 2, "c": 1}

func ids(s string) []string { return strings.Fields(s) }

func TestNDCG(t *testing.T) {
	tests := []struct {
		name   string
		ranked string
		rel    map[string]int
		k      int
		want   float64
		wantOK bool
	}{
		{"ideal order", "a b c", graded, 5, 1, true},
		{"reversed", "c b a", graded, 5, 0.680606, true},         // (1 + 3/log2 3 + 7/2) / 9.392789
		{"best second", "x a", graded, 5, 0.470202, true},        // (7/log2 3) / 9.392789
		{"unjudged ahead", "b a x y", graded, 5, 0.789596, true}, // (3 + 7/log2 3) / 9.392789
		{"cut at k", "x y z w v a", map[string]int{"a": 3}, 5, 0, true},
		{"k shorter than judged", "b", graded, 1, 3.0 / 7, true}, // ideal@1 is the grade-3 result alone
		{"nothing ranked", "", map[string]int{"a": 1}, 5, 0, true},
		{"nothing judged", "a b", map[string]int{}, 5, 0, false},
	}
	for _, tt := range tests {
		got, ok := NDCG(ids(tt.ranked), tt.rel, tt.k)
		if ok != tt.wantOK || math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%s: NDCG = %.6f, %v; want %.6f, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestPrecisionRecall(t *testing.T) {
	tests := []struct {
		name     string
		measure  func([]string, map[string]int, int, int) (float64, bool)
		ranked   string
		rel      map[string]int
		k, grade int
		want     float64
		wantOK   bool
	}{
		{"P@5 counts grade 2 and 3", Precision, "a c x b y", graded, 5, 2, 0.4, true},
		{"P@5 with grade 1 too", Precision, "a c x b y", graded, 5, 1, 0.6, true},
		{"P@5 unfilled positions miss", Precision, "a", graded, 5, 2, 0.2, true},
		{"P@2 cut", Precision, "x y a b", graded, 2, 2, 0, true},
		{"P undefined without grade 2", Precision, "c", map[string]int{"c": 1}, 5, 2, 0, false},
		{"R@20 over every judged", Recall, "x c a", graded, 20, 1, 2.0 / 3, true},
		{"R@2 cut", Recall, "x c a", graded, 2, 1, 1.0 / 3, true},
		{"R grade 2 ignores grade 1", Recall, "c", graded, 20, 2, 0, true},
		{"R duplicates count once", Recall, "a a a", graded, 20, 1, 1.0 / 3, true},
		{"R undefined without judged", Recall, "a", map[string]int{}, 20, 1, 0, false},
	}
	for _, tt := range tests {
		got, ok := tt.measure(ids(tt.ranked), tt.rel, tt.k, tt.grade)
		if ok != tt.wantOK || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: got %.4f, %v; want %.4f, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, x := range n {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{ms(40, 10, 30, 20), 50, 20 * time.Millisecond},
		{ms(40, 10, 30, 20), 95, 40 * time.Millisecond},
		{ms(7), 95, 7 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21), 95, 20 * time.Millisecond},
		{nil, 50, 0},
	}
	for _, tt := range tests {
		if got := Percentile(tt.ds, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tt.ds, tt.p, got, tt.want)
		}
	}
}
