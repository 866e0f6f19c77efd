package market

import (
	"slices"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
)

func countOf(cs []Count, key string) int {
	for _, c := range cs {
		if c.Key == key {
			return c.Count
		}
	}
	return 0
}

func trendOf(r *Report, field, year string) int {
	for _, t := range r.FieldTrends {
		if t.Key == field {
			return countOf(t.ByYear, year)
		}
	}
	return -1
}

func sectorOf(r *Report, key string) Sector {
	for _, s := range r.Sectors {
		if s.Key == key {
			return s
		}
	}
	return Sector{}
}

// TestCollect builds a store holding each case the figures distinguish — a result in two fields of one
// top-level field, a result with no field, a need closed, a need waiting in the intake, a pair accepted
// then rejected, a pair accepted — and checks every figure against what the records say.
func TestCollect(t *testing.T) {
	st, err := corpus.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	recs := []corpus.Record{
		&corpus.Result{ID: "kq-1", Kind: corpus.KindResult, Title: "Máy sấy cá", FieldCodes: []string{"402", "405"}, Sectors: []string{"1020"},
			Year: 2021, TRL: 6, IPStatus: "none", Organization: "Trường Đại học Quy Nhơn", Locality: "quy-nhon"},
		&corpus.Result{ID: "kq-2", Kind: corpus.KindResult, Title: "Phần mềm quản lý kho", FieldCodes: []string{"101"}, Sectors: []string{"62"},
			Year: 2023, TRL: 9, Organization: "Trường Đại học Quy Nhơn"},
		&corpus.Result{ID: "kq-3", Kind: corpus.KindResult, Title: "Giống lúa chịu mặn", Year: 2023},
		&corpus.Need{ID: "nc-1", Kind: corpus.KindNeed, Title: "Cần máy sấy cá", FieldCodes: []string{"405"}, Sectors: []string{"03"}, Locality: "quy-nhon"},
		&corpus.Need{ID: "nc-2", Kind: corpus.KindNeed, Title: "Cần phần mềm kho", Sectors: []string{"62"}},
	}
	if _, err := st.Put(recs, "test"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetNeedState("nc-2", corpus.NeedClosed, corpus.ActorSystem, "đã đủ"); err != nil {
		t.Fatal(err)
	}
	waiting := &corpus.Need{Kind: corpus.KindNeed, Title: "Cần máy bóc vỏ điều", Enterprise: "Cơ sở A", Contact: "0909", Confidentiality: corpus.ConfPublic}
	if _, _, err := st.SubmitNeed(waiting, "web", corpus.ActorPublic, false); err != nil {
		t.Fatal(err)
	}
	for _, f := range []corpus.Feedback{
		{NeedID: "nc-1", ResultID: "kq-1", Decision: corpus.DecisionAccept},
		{NeedID: "nc-1", ResultID: "kq-1", Decision: corpus.DecisionReject, Reason: "price"},
		{NeedID: "nc-1", ResultID: "kq-3", Decision: corpus.DecisionAccept},
	} {
		if _, _, err := st.AddFeedback(f); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	r, err := Collect(st, now)
	if err != nil {
		t.Fatal(err)
	}
	thisYear := now.In(corpus.Vietnam).Year()
	if len(r.Years) != 1 || r.Years[0].Year != thisYear || r.Total.Year != 0 {
		t.Fatalf("years %+v, want only %d", r.Years, thisYear)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"results", r.Results, 3},
		{"needs (records)", r.Needs, 2},
		{"open needs (nc-2 closed)", r.OpenNeeds, 1},
		{"field 4 counts kq-1 once", countOf(r.ByField, "4"), 1},
		{"field 1", countOf(r.ByField, "1"), 1},
		{"results without field", countOf(r.ByField, ""), 1},
		{"year 2023", countOf(r.ByYear, "2023"), 2},
		{"organisation", countOf(r.ByOrganization, "Trường Đại học Quy Nhơn"), 2},
		{"organisation not stated", countOf(r.ByOrganization, ""), 1},
		{"TRL 9", countOf(r.ByTRL, "9"), 1},
		{"IP none", countOf(r.ByIPStatus, "none"), 1},
		{"locality", countOf(r.ByLocality, "quy-nhon"), 1},
		{"open needs by field 4", countOf(r.NeedsByField, "4"), 1},
		{"needs by locality", countOf(r.NeedsByLocality, "quy-nhon"), 1},
		{"sector 03 needs", sectorOf(r, "03").Needs, 1},
		{"sector 62 needs (closed one left out)", sectorOf(r, "62").Needs, 0},
		{"sector 62 results", sectorOf(r, "62").Results, 1},
		{"sector 10 results (from 1020)", sectorOf(r, "10").Results, 1},
		{"trend: field 4 in 2021", trendOf(r, "4", "2021"), 1},
		{"trend: field 1 in 2023", trendOf(r, "1", "2023"), 1},
		{"trend: no field in 2023", trendOf(r, "", "2023"), 1},
		{"trend: field 4 in 2023", trendOf(r, "4", "2023"), 0},
		{"results digitised", r.Total.ResultsDigitised, 3},
		{"needs registered: two records and one waiting", r.Total.NeedsRegistered, 3},
		{"matches proposed: two pairs", r.Total.MatchesProposed, 2},
		{"matches accepted: the pair rejected later is not", r.Total.MatchesAccepted, 1},
		{"year row equals total", r.Years[0].MatchesAccepted, r.Total.MatchesAccepted},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
	for key, want := range map[string]string{"03": DemandHeavy, "62": SupplyHeavy, "10": SupplyHeavy} {
		if got := sectorOf(r, key).Balance; got != want {
			t.Errorf("sector %s balance %s, want %s", key, got, want)
		}
	}
	if !slices.IsSortedFunc(r.ByYear, func(a, b Count) int { return strings.Compare(a.Key, b.Key) }) {
		t.Errorf("years not oldest first: %+v", r.ByYear)
	}
}
