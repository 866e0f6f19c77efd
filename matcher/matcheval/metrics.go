package matcheval

import (
	"math"
	"sort"
	"time"
)

// Gain is the value of a result of a grade in nDCG: 2^grade − 1 (1, 3, 7), so one result that answers the
// need outweighs two that only could help, as a broker would weigh them.
func Gain(grade int) float64 {
	if grade <= 0 {
		return 0
	}
	return math.Exp2(float64(grade)) - 1
}

// NDCG is the normalised discounted cumulative gain of the first k ranked ids with graded gains. ok is false
// when no result is judged relevant (the ideal ranking has no gain), where nDCG means nothing.
func NDCG(ranked []string, rel map[string]int, k int) (v float64, ok bool) {
	dcg := 0.0
	for i, id := range ranked[:min(k, len(ranked))] {
		dcg += Gain(rel[id]) / math.Log2(float64(i+2))
	}
	grades := make([]int, 0, len(rel))
	for _, g := range rel {
		if g > 0 {
			grades = append(grades, g)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(grades)))
	ideal := 0.0
	for i, g := range grades[:min(k, len(grades))] {
		ideal += Gain(g) / math.Log2(float64(i+2))
	}
	if ideal == 0 {
		return 0, false
	}
	return dcg / ideal, true
}

// Precision is the share of the first k positions holding a result of at least minGrade (positions the
// ranking did not fill count as misses). ok is false when no result reaches minGrade: no ranking could
// score, and the need says nothing about precision.
func Precision(ranked []string, rel map[string]int, k, minGrade int) (v float64, ok bool) {
	if relevantCount(rel, minGrade) == 0 || k <= 0 {
		return 0, false
	}
	return float64(hits(ranked, rel, k, minGrade)) / float64(k), true
}

// Recall is the share of the results of at least minGrade found in the first k. ok is false when there are
// none.
func Recall(ranked []string, rel map[string]int, k, minGrade int) (v float64, ok bool) {
	n := relevantCount(rel, minGrade)
	if n == 0 {
		return 0, false
	}
	return float64(hits(ranked, rel, k, minGrade)) / float64(n), true
}

func relevantCount(rel map[string]int, minGrade int) int {
	n := 0
	for _, g := range rel {
		if g >= minGrade {
			n++
		}
	}
	return n
}

// hits counts the distinct ids of at least minGrade among the first k.
func hits(ranked []string, rel map[string]int, k, minGrade int) int {
	n := 0
	seen := map[string]bool{}
	for _, id := range ranked[:min(k, len(ranked))] {
		if rel[id] >= minGrade && !seen[id] {
			seen[id] = true
			n++
		}
	}
	return n
}

// Percentile is the p-th percentile (0–100, nearest rank) of durations; 0 for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}
