package market_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/internal/corpustest"
	"ketnoi/market"
)

// count is the count of key in cs, 0 when it has none.
func count(cs []market.Count, key string) int {
	if i := slices.IndexFunc(cs, func(c market.Count) bool { return c.Key == key }); i >= 0 {
		return cs[i].Count
	}
	return 0
}

func num(s string) int { n, _ := strconv.Atoi(s); return n }

// TestChartsAddUp: every chart of one value per result counts each result once, the ones that state no
// year or TRL under "not stated" (last, after the years and levels in order), so that its bars add up to
// the results; the trend's years agree with the year chart.
func TestChartsAddUp(t *testing.T) {
	_, st := corpustest.SampleStore(t,
		&corpus.Result{ID: "kq-khong-nam", Kind: corpus.KindResult, Title: "Máy sấy không ghi năm", TRL: 4, FieldCodes: []string{"402"}},
		&corpus.Result{ID: "kq-khong-gi", Kind: corpus.KindResult, Title: "Quy trình không ghi năm, TRL, lĩnh vực"})
	r, err := market.Collect(st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name         string
		counts       []market.Count
		notStated    int // at least: the sample has results without a TRL
		numericOrder bool
	}{
		{"year", r.ByYear, 2, true},
		{"TRL", r.ByTRL, 1 + 35, true},
		{"IP status", r.ByIPStatus, 0, false},
		{"locality", r.ByLocality, 0, false},
	} {
		sum := 0
		for _, x := range c.counts {
			sum += x.Count
		}
		if sum != r.Results {
			t.Errorf("%s: the bars add up to %d, %d results", c.name, sum, r.Results)
		}
		if n := count(c.counts, ""); n < c.notStated {
			t.Errorf("%s: %d not stated, want at least %d", c.name, n, c.notStated)
		}
		if !c.numericOrder {
			continue
		}
		if last := c.counts[len(c.counts)-1]; last.Key != "" || last.Label != market.NotStated {
			t.Errorf("%s: last bar %+v, want %q", c.name, last, market.NotStated)
		}
		if !slices.IsSortedFunc(c.counts[:len(c.counts)-1], func(a, b market.Count) int { return num(a.Key) - num(b.Key) }) {
			t.Errorf("%s: not in order: %+v", c.name, c.counts)
		}
	}
	for _, y := range r.ByYear {
		n := 0
		for _, tr := range r.FieldTrends {
			n += count(tr.ByYear, y.Key)
		}
		if n < y.Count { // a result in two fields counts in both
			t.Errorf("trend, year %q: %d results across the fields, %d in the year chart", y.Key, n, y.Count)
		}
	}
	trend := func(field string) int {
		for _, tr := range r.FieldTrends {
			if tr.Key == field {
				return count(tr.ByYear, "")
			}
		}
		return 0
	}
	if a, b := trend("4"), trend(""); a != 1 || b != 1 {
		t.Errorf("trend: %d results of field 4 and %d of no field without a year, want 1 and 1", a, b)
	}
}
