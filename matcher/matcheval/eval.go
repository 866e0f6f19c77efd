package matcheval

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"ketnoi/corpus"
	"ketnoi/matcher"
)

// Cut-offs and the grade from which a result counts for precision. Recall counts every judged result
// (GradeRelated): the candidates a broker scrolls through should hold whatever could help.
const (
	NDCGAt         = 5
	PrecisionAt    = 5
	RecallAt       = 20
	PrecisionGrade = GradePartial
	RecallGrade    = GradeRelated
)

// Ranker ranks results for a need: a *matcher.Matcher.
type Ranker interface {
	Match(ctx context.Context, need *corpus.Need, size int) ([]matcher.Match, error)
}

// NeedScore is one need's measures. A nil measure is undefined for the need (no judged result reaches its
// grade) and is left out of the averages.
type NeedScore struct {
	ID      string        `json:"id"`
	Title   string        `json:"title"`
	NDCG5   *float64      `json:"ndcg5"`
	P5      *float64      `json:"p5"`
	R20     *float64      `json:"r20"`
	Latency time.Duration `json:"-"`
	// LatencyMS is Latency in milliseconds, for JSON.
	LatencyMS float64 `json:"latency_ms"`
	// Top are the first ids ranked, with their grade (0: not judged relevant).
	Top []Ranked `json:"top"`
	// Missed are the best-graded results not in the first RecallAt.
	Missed []Ranked `json:"missed,omitempty"`
}

// Ranked is a result id with its grade for the need.
type Ranked struct {
	ID    string `json:"id"`
	Grade int    `json:"grade"`
}

// Summary averages the measures over the needs where each is defined.
type Summary struct {
	NDCG5 float64 `json:"ndcg5"`
	P5    float64 `json:"p5"`
	R20   float64 `json:"r20"`
	// NNDCG5, NP5 and NR20 are how many needs each average is over.
	NNDCG5 int `json:"n_ndcg5"`
	NP5    int `json:"n_p5"`
	NR20   int `json:"n_r20"`
	// P5Max is the best average P@5 any ranking could reach: a need with two results of grade 2 or more
	// scores at most 0.4.
	P5Max float64       `json:"p5_max"`
	P50   time.Duration `json:"-"`
	P95   time.Duration `json:"-"`
	P50MS float64       `json:"latency_p50_ms"`
	P95MS float64       `json:"latency_p95_ms"`
}

// Report is one run over a labelled set.
type Report struct {
	Needs   []NeedScore `json:"needs"`
	Overall Summary     `json:"overall"`
}

// topShown is how many ranked ids a NeedScore keeps.
const topShown = 5

// Evaluate ranks results for every case's need (needs[i] is cases[i]'s) and scores the rankings.
func Evaluate(ctx context.Context, r Ranker, cases []Case, needs []*corpus.Need) (Report, error) {
	if len(needs) != len(cases) {
		return Report{}, fmt.Errorf("%d nhu cầu cho %d trường hợp", len(needs), len(cases))
	}
	var rep Report
	var lat []time.Duration
	var sum Summary
	for i, c := range cases {
		start := time.Now()
		ms, err := r.Match(ctx, needs[i], RecallAt)
		d := time.Since(start)
		if err != nil {
			return rep, fmt.Errorf("ghép nhu cầu %s: %w", c.NeedID, err)
		}
		lat = append(lat, d)
		ids := make([]string, len(ms))
		for j, m := range ms {
			ids[j] = m.ID
		}
		ns := NeedScore{ID: c.NeedID, Title: needs[i].Title, Latency: d, LatencyMS: millis(d)}
		if v, ok := NDCG(ids, c.Relevant, NDCGAt); ok {
			ns.NDCG5 = &v
			sum.NDCG5 += v
			sum.NNDCG5++
		}
		if v, ok := Precision(ids, c.Relevant, PrecisionAt, PrecisionGrade); ok {
			ns.P5 = &v
			sum.P5 += v
			sum.NP5++
			sum.P5Max += float64(min(relevantCount(c.Relevant, PrecisionGrade), PrecisionAt)) / PrecisionAt
		}
		if v, ok := Recall(ids, c.Relevant, RecallAt, RecallGrade); ok {
			ns.R20 = &v
			sum.R20 += v
			sum.NR20++
		}
		for _, id := range ids[:min(topShown, len(ids))] {
			ns.Top = append(ns.Top, Ranked{id, c.Relevant[id]})
		}
		ns.Missed = missed(ids, c.Relevant)
		rep.Needs = append(rep.Needs, ns)
	}
	sum.NDCG5 = mean(sum.NDCG5, sum.NNDCG5)
	sum.P5, sum.P5Max = mean(sum.P5, sum.NP5), mean(sum.P5Max, sum.NP5)
	sum.R20 = mean(sum.R20, sum.NR20)
	sum.P50, sum.P95 = Percentile(lat, 50), Percentile(lat, 95)
	sum.P50MS, sum.P95MS = millis(sum.P50), millis(sum.P95)
	rep.Overall = sum
	return rep, nil
}

// missed lists the judged results of grade 2 or more absent from the ranking, best first.
func missed(ids []string, rel map[string]int) []Ranked {
	in := map[string]bool{}
	for _, id := range ids {
		in[id] = true
	}
	var out []Ranked
	for g := GradeDirect; g >= GradePartial; g-- {
		for _, id := range slices.Sorted(maps.Keys(rel)) {
			if rel[id] == g && !in[id] {
				out = append(out, Ranked{id, g})
			}
		}
	}
	return out
}

func mean(total float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return total / float64(n)
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
