// Package market computes the statistics of the province's technology market from the store: what the
// supply (results) and the demand (needs) hold by field of science, sector, year, organisation, locality,
// TRL and IP status; where demand and supply part ways, sector by sector; and the programme's indicators
// year by year (results digitised, needs registered, matches proposed and accepted). The web page, the
// API and `ketnoi stats` all print one Report, so their numbers cannot drift apart.
package market

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"ketnoi/corpus"
)

// Count is one bar of a chart: a code, its Vietnamese label, and how many records have it.
type Count struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// Balance values of a sector.
const (
	DemandHeavy = "demand_heavy" // its share of the needs is well above its share of the results
	SupplyHeavy = "supply_heavy" // the reverse
	Even        = "even"
)

// imbalance is how many times one share must exceed the other for a sector to lean one way.
const imbalance = 1.5

// Sector is the supply–demand picture of one VSIC division: open needs against results.
type Sector struct {
	Key     string `json:"key"`
	Label   string `json:"label"`
	Needs   int    `json:"needs"`
	Results int    `json:"results"`
	// NeedShare and ResultShare are the sector's percentages of all open needs and of all results
	// (a record in two sectors counts in both, so shares need not add up to 100).
	NeedShare   float64 `json:"need_share"`
	ResultShare float64 `json:"result_share"`
	Balance     string  `json:"balance"`
}

// Year is the programme's indicators of one calendar year (Việt Nam's time).
type Year struct {
	Year int `json:"year"`
	// ResultsDigitised are the results that entered the store that year; Documents of them were read
	// from files (PDF, DOCX...), with Pages pages of extracted text.
	ResultsDigitised int `json:"results_digitised"`
	Documents        int `json:"documents"`
	Pages            int `json:"pages"`
	// NeedsRegistered are needs submitted on the form or by brokers, or imported as records.
	NeedsRegistered int `json:"needs_registered"`
	// MatchesProposed are need–result pairs first put to a broker that year: a standing need's alert, or
	// a pair a broker judged (batch proposals are not stored, so the ones never judged are not counted).
	MatchesProposed int `json:"matches_proposed"`
	// MatchesAccepted are pairs whose current decision is accept, by the year of that decision.
	MatchesAccepted int `json:"matches_accepted"`
}

// Report is every figure of the statistics page.
type Report struct {
	Results   int `json:"results"`
	Needs     int `json:"needs"`
	OpenNeeds int `json:"open_needs"`
	// Results by their top-level field of science, by year of the result, by organisation (the 20
	// largest), locality, TRL and IP status; each list largest first (years: oldest first).
	ByField        []Count `json:"results_by_field"`
	ByYear         []Count `json:"results_by_year"`
	ByOrganization []Count `json:"results_by_organization"`
	ByLocality     []Count `json:"results_by_locality"`
	ByTRL          []Count `json:"results_by_trl"`
	ByIPStatus     []Count `json:"results_by_ip_status"`
	// NeedsByField and NeedsByLocality are the open needs' fields and localities.
	NeedsByField    []Count `json:"needs_by_field"`
	NeedsByLocality []Count `json:"needs_by_locality"`
	// FieldTrends are the results of each top-level field by the result's year: the trend of the supply.
	FieldTrends []Trend `json:"results_by_field_and_year"`
	// Sectors is the supply–demand picture, most demanded first.
	Sectors []Sector `json:"sectors"`
	// Years are the programme's indicators, oldest first; Total sums them (Year 0).
	Years []Year `json:"years"`
	Total Year   `json:"total"`
}

// Trend is one field's results year by year (oldest first; years without results left out).
type Trend struct {
	Key    string  `json:"key"`
	Label  string  `json:"label"`
	ByYear []Count `json:"by_year"`
}

// TopOrganizations bounds the organisation list.
const TopOrganizations = 20

// Collect reads the store in a few read transactions and computes the report as of now.
func Collect(st *corpus.Store, now time.Time) (*Report, error) {
	r := &Report{}
	years := map[int]*Year{}
	year := func(t time.Time) *Year {
		y := t.In(corpus.Vietnam).Year()
		if years[y] == nil {
			years[y] = &Year{Year: y}
		}
		return years[y]
	}
	states, err := st.NeedStates(now)
	if err != nil {
		return nil, err
	}
	byField, byYear, byOrg, byLoc, byTRL, byIP := tally{}, tally{}, tally{}, tally{}, tally{}, tally{}
	needField, needLoc, sectorNeeds, sectorResults := tally{}, tally{}, tally{}, tally{}
	needCreated := map[string]time.Time{}
	fieldYear := map[string]tally{}
	err = st.Each(func(e *corpus.Entry) error {
		rec, err := e.Decode()
		if err != nil {
			return err
		}
		switch x := rec.(type) {
		case *corpus.Result:
			r.Results++
			y := year(e.Created)
			y.ResultsDigitised++
			if x.Extraction != nil {
				y.Documents++
				y.Pages += x.Extraction.Pages
			}
			byField.addAll(topFields(x.FieldCodes))
			// A result with no year or no TRL counts as not stated, as in every other chart: the bars of a
			// chart add up to the results.
			yk := numKey(x.Year)
			fs := topFields(x.FieldCodes)
			if len(fs) == 0 {
				fs = []string{""}
			}
			for _, f := range fs {
				if fieldYear[f] == nil {
					fieldYear[f] = tally{}
				}
				fieldYear[f].add(yk)
			}
			sectorResults.addAll(divisions(x.Sectors))
			byYear.add(yk)
			byOrg.add(x.Organization)
			byLoc.add(x.Locality)
			byTRL.add(numKey(x.TRL))
			byIP.add(x.IPStatus)
		case *corpus.Need:
			r.Needs++
			needCreated[x.ID] = e.Created
			if !corpus.NeedOpen(states[x.ID]) {
				return nil
			}
			r.OpenNeeds++
			needField.addAll(topFields(x.FieldCodes))
			needLoc.add(x.Locality)
			sectorNeeds.addAll(divisions(x.Sectors))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("đọc bản ghi cho thống kê: %w", err)
	}

	// Needs registered: every need the intake knows (submitted, rejected, published...) by its submission,
	// and the imported need records it does not know by their entry in the store.
	queue, err := st.NeedQueue()
	if err != nil {
		return nil, err
	}
	for _, q := range queue {
		year(q.Submitted()).NeedsRegistered++
		delete(needCreated, q.ID)
	}
	for _, t := range needCreated {
		year(t).NeedsRegistered++
	}

	if err := matches(st, year); err != nil {
		return nil, err
	}

	r.ByField = byField.counts(corpus.Fields.Label, 0)
	for _, f := range r.ByField { // the fields in the order of their size
		if ys := fieldYear[f.Key]; ys != nil {
			t := Trend{Key: f.Key, Label: f.Label, ByYear: ys.counts(nil, 0)}
			sortNumeric(t.ByYear)
			r.FieldTrends = append(r.FieldTrends, t)
		}
	}
	r.ByYear = byYear.counts(nil, 0)
	sortNumeric(r.ByYear)
	r.ByOrganization = byOrg.counts(nil, TopOrganizations)
	r.ByLocality = byLoc.counts(corpus.Localities.Label, 0)
	r.ByTRL = byTRL.counts(func(k string) string { n, _ := strconv.Atoi(k); return corpus.TRLText(n) }, 0)
	sortNumeric(r.ByTRL)
	r.ByIPStatus = byIP.counts(corpus.IPStatuses.Label, 0)
	r.NeedsByField = needField.counts(corpus.Fields.Label, 0)
	r.NeedsByLocality = needLoc.counts(corpus.Localities.Label, 0)
	r.Sectors = sectors(sectorNeeds, sectorResults, r.OpenNeeds, r.Results)

	for _, y := range years {
		r.Years = append(r.Years, *y)
		r.Total.ResultsDigitised += y.ResultsDigitised
		r.Total.Documents += y.Documents
		r.Total.Pages += y.Pages
		r.Total.NeedsRegistered += y.NeedsRegistered
		r.Total.MatchesProposed += y.MatchesProposed
		r.Total.MatchesAccepted += y.MatchesAccepted
	}
	slices.SortFunc(r.Years, func(a, b Year) int { return cmp.Compare(a.Year, b.Year) })
	return r, nil
}

// matches counts proposed pairs (the first alert or decision on each) and accepted ones (current
// decision accept) into their years.
func matches(st *corpus.Store, year func(time.Time) *Year) error {
	first := map[string]time.Time{}
	propose := func(need, result string, t time.Time) {
		k := need + "\x00" + result
		if f, ok := first[k]; !ok || t.Before(f) {
			first[k] = t
		}
	}
	err := st.EachFeedback("", func(f corpus.Feedback) error {
		propose(f.NeedID, f.ResultID, f.Time)
		if !f.Superseded && f.Decision == corpus.DecisionAccept {
			year(f.Time).MatchesAccepted++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("đọc quyết định ghép nối cho thống kê: %w", err)
	}
	for before := uint64(0); ; {
		page, err := st.Alerts(corpus.AlertQuery{Before: before, Limit: 1000})
		if err != nil {
			return err
		}
		for _, a := range page {
			propose(a.Need, a.Result, a.Created)
		}
		if len(page) < 1000 {
			break
		}
		before = page[len(page)-1].Seq
	}
	for _, t := range first {
		year(t).MatchesProposed++
	}
	return nil
}

// sectors is the supply–demand picture: every division with needs or results.
func sectors(needs, results tally, openNeeds, allResults int) []Sector {
	share := func(n, of int) float64 {
		if of == 0 {
			return 0
		}
		return float64(int(float64(n)*1000/float64(of)+0.5)) / 10 // one decimal, as printed
	}
	keys := map[string]bool{}
	for k := range needs {
		keys[k] = true
	}
	for k := range results {
		keys[k] = true
	}
	var out []Sector
	for k := range keys {
		l := NotStated
		if k != "" {
			l = corpus.SectorLabel(k)
		}
		s := Sector{Key: k, Label: l, Needs: needs[k], Results: results[k],
			NeedShare: share(needs[k], openNeeds), ResultShare: share(results[k], allResults), Balance: Even}
		switch {
		case s.NeedShare > 0 && s.NeedShare >= imbalance*s.ResultShare:
			s.Balance = DemandHeavy
		case s.ResultShare > 0 && s.ResultShare >= imbalance*s.NeedShare:
			s.Balance = SupplyHeavy
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Sector) int {
		return cmp.Or(cmp.Compare(b.Needs, a.Needs), cmp.Compare(b.Results, a.Results), cmp.Compare(a.Key, b.Key))
	})
	return out
}

// BalanceLabel is a balance's Vietnamese name.
func BalanceLabel(b string) string {
	switch b {
	case DemandHeavy:
		return "Cầu nhiều, cung ít"
	case SupplyHeavy:
		return "Cung nhiều, cầu ít"
	}
	return "Tương đối cân bằng"
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// numKey is the tally key of a number a record may leave out (year, TRL): "" (not stated) for 0.
func numKey(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// sortNumeric orders counts by their numeric keys (years, TRL levels), smallest first, with the records
// that state none last.
func sortNumeric(cs []Count) {
	last := func(c Count) int {
		if c.Key == "" {
			return 1
		}
		return 0
	}
	slices.SortFunc(cs, func(a, b Count) int {
		return cmp.Or(cmp.Compare(last(a), last(b)), cmp.Compare(atoi(a.Key), atoi(b.Key)))
	})
}

// topFields is the set of top-level fields of science of a record's field codes.
func topFields(codes []string) []string {
	var out []string
	for _, c := range codes {
		a := corpus.FieldAncestors(c)
		if t := a[len(a)-1]; !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// divisions is the set of VSIC divisions (two digits) of a record's sector codes; a section stays a
// section.
func divisions(codes []string) []string {
	var out []string
	for _, c := range codes {
		a := corpus.SectorAncestors(c)
		d := a[0]
		if len(a) == 3 {
			d = a[1]
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// tally counts keys; the empty key is "not stated".
type tally map[string]int

func (t tally) add(k string) { t[k]++ }

func (t tally) addAll(ks []string) {
	if len(ks) == 0 {
		t[""]++
	}
	for _, k := range ks {
		t[k]++
	}
}

// NotStated labels the records without a value.
const NotStated = "Chưa ghi"

// counts lists the tally largest first (then by key), labelled, at most limit entries when limit > 0.
func (t tally) counts(label func(string) string, limit int) []Count {
	out := make([]Count, 0, len(t))
	for k, n := range t {
		l := k
		switch {
		case k == "":
			l = NotStated
		case label != nil:
			l = label(k)
		}
		out = append(out, Count{Key: k, Label: l, Count: n})
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Key, b.Key)) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
