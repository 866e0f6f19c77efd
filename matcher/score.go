package matcher

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

// neutral is the value of a component whose information is missing on either side: it neither helps nor
// excludes, and the explanation says what was missing.
const neutral = 0.5

// queryText is what the candidates were searched with: the text the terms came from (the need's, or the
// result's in reverse) and the expansions bridging added.
type queryText struct {
	text       string
	expansions []string
	reverse    bool
}

func (m *Matcher) score(need *corpus.Need, r *corpus.Result, h indexer.Hit, maxScore float64, qt queryText) Match {
	mt := Match{
		Kind: corpus.KindResult, ID: r.ID, Title: r.Title, Organization: r.Organization, Year: r.Year, TRL: r.TRL,
		Components: map[string]float64{}, MatchedTerms: matchedPhrases(qt.text, h.MatchedTerms, 12),
		Fragments: h.Fragments, Page: h.Page,
	}
	if qt.reverse {
		mt.Kind = corpus.KindNeed // before explain, whose topic sentence reads the other way round
		mt.Bridged = needBridged(need, qt.expansions)
	} else {
		mt.Bridged = bridged(r, qt.expansions)
	}
	set := func(name string, v float64, known bool) {
		mt.Components[name] = round3(v)
		if !known {
			mt.Missing = append(mt.Missing, name)
		}
	}
	if maxScore > 0 {
		set(CompText, h.Score/maxScore, true)
	} else {
		set(CompText, 0, true)
	}
	v, common, known := codeAgreement(need.FieldCodes, r.FieldCodes, corpus.FieldAncestors)
	set(CompField, v, known)
	mt.MatchedFields = common
	v, common, known = codeAgreement(need.Sectors, r.Sectors, corpus.SectorAncestors)
	set(CompSector, v, known)
	mt.MatchedSectors = common
	v, known = trlFit(need.MinTRL, r.TRL)
	set(CompTRL, v, known)
	if need.MinTRL > 0 && r.TRL > 0 && r.TRL < need.MinTRL {
		mt.TRLGap = need.MinTRL - r.TRL
		mt.CoDevelopment = true
	}
	v, known = transferFit(need.TransferForms, r.TransferForms)
	set(CompTransfer, v, known)
	v, known = budgetFit(need.BudgetVND, r.PriceVND)
	set(CompBudget, v, known)
	v, known = localityFit(need, r)
	set(CompLocality, v, known)
	v, known = freshness(r.Year, m.Now)
	set(CompFreshness, v, known)
	set(CompCompleteness, completeness(r), true)
	if qt.reverse {
		set(CompTopic, topicOverlap(r.Title, []string{need.Title, need.Description}, m.synonymsOn()), true)
	} else {
		set(CompTopic, topicOverlap(need.Title, append([]string{r.Title, r.Summary}, r.Keywords...), m.synonymsOn()), true)
	}

	mt.Score = round3(m.w.combine(mt.Components))
	mt.Reasons = m.explain(need, r, &mt)
	return mt
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// codeAgreement compares two code lists in a hierarchy by the deepest node they share: the same code 1;
// a shared division (VSIC two digits) 0.6; only a shared top level (a VSIC section, a field of science's
// first level) 0.35; nothing in common 0.
func codeAgreement(need, res []string, ancestors func(string) []string) (float64, []string, bool) {
	if len(need) == 0 || len(res) == 0 {
		return neutral, nil, false
	}
	best := 0.0
	var common []string
	for _, a := range need {
		aa := ancestors(a)
		for _, b := range res {
			bb := ancestors(b)
			for i, x := range aa {
				j := indexOf(bb, x)
				if j < 0 {
					continue
				}
				v := 1.0
				if i > 0 || j > 0 {
					// Depth of the shared node: 0 for a top level.
					v = [...]float64{0.35, 0.6, 0.8}[min(len(aa)-1-i, 2)]
				}
				best = max(best, v)
				if !slices.Contains(common, x) {
					common = append(common, x)
				}
				break // deeper shared nodes come first in aa
			}
		}
	}
	return best, common, true
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}

// trlFit: a result at or above the need's minimum TRL fits fully; below it, it stays as a co-development
// candidate with a value falling with the gap; without a minimum or a level, it is neutral.
func trlFit(minTRL, trl int) (float64, bool) {
	if minTRL <= 0 || trl <= 0 {
		// No requirement stated (or no level known): maturity says nothing about fit. Rewarding it put
		// finished products above the early-stage result that answered the need (measured on the labelled
		// set: see matcher/testdata).
		return neutral, false
	}
	if trl >= minTRL {
		return 1, true
	}
	return math.Max(0, 1-0.25*float64(minTRL-trl)), true
}

func transferFit(need, res []string) (float64, bool) {
	if len(need) == 0 || len(res) == 0 {
		return neutral, false
	}
	for _, a := range need {
		if slices.Contains(res, a) {
			return 1, true
		}
	}
	// Licences of either kind answer each other in part.
	lic := func(l []string) bool {
		return slices.Contains(l, "license_exclusive") || slices.Contains(l, "license_nonexclusive") || slices.Contains(l, "assignment")
	}
	if lic(need) && lic(res) {
		return 0.6, true
	}
	return 0.1, true
}

// budgetFit: overlapping ranges fit fully; a price above the budget fits less the further it is above.
func budgetFit(budget, price corpus.Range) (float64, bool) {
	if budget.IsZero() || price.IsZero() {
		return neutral, false
	}
	bMax := budget.Max
	if bMax == 0 {
		bMax = math.MaxInt64
	}
	pMin := price.Min
	if pMin == 0 {
		pMin = price.Max
	}
	if pMin <= bMax {
		return 1, true
	}
	return math.Max(0, float64(bMax)/float64(pMin)), true
}

func localityFit(need *corpus.Need, r *corpus.Result) (float64, bool) {
	switch {
	case need.Province == "" || (r.Province == "" && r.Locality == ""):
		return neutral, false
	case need.Locality != "" && need.Locality == r.Locality:
		return 1, true
	case need.LegacyProvince != "" && need.LegacyProvince == r.LegacyProvince:
		return 0.8, true
	case need.Province == r.Province:
		return 0.65, true
	}
	return 0.3, true
}

func freshness(year, now int) (float64, bool) {
	if year <= 0 {
		return neutral, false
	}
	age := float64(now - year)
	switch {
	case age <= 3:
		return 1, true
	case age >= 20:
		return 0.2, true
	}
	return 1 - 0.8*(age-3)/17, true
}

// completeness is the share of the fields a broker needs to act on a result that it states.
func completeness(r *corpus.Result) float64 {
	have := []bool{
		r.Summary != "", len(r.Keywords) > 0, r.Applications != "", r.Advantages != "",
		len(r.FieldCodes) > 0, len(r.Sectors) > 0, r.TRL > 0, r.IPStatus != "", len(r.TransferForms) > 0,
		!r.PriceVND.IsZero(), r.Organization != "", r.Year > 0,
	}
	n := 0
	for _, h := range have {
		if h {
			n++
		}
	}
	return float64(n) / float64(len(have))
}

// explain turns component values into sentences: the strongest weighted contributions first, then the weak
// ones and the missing information.
func (m *Matcher) explain(need *corpus.Need, r *corpus.Result, mt *Match) []string {
	type contrib struct {
		name string
		v, w float64
	}
	var cs []contrib
	for _, c := range m.w.Components() {
		if c.Weight > 0 {
			cs = append(cs, contrib{c.Name, mt.Components[c.Name], c.Weight})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].v*cs[i].w > cs[j].v*cs[j].w })
	var out []string
	for _, c := range cs {
		if slices.Contains(mt.Missing, c.name) {
			continue
		}
		if s := sentence(c.name, c.v, need, r, mt); s != "" {
			out = append(out, s)
		}
	}
	if len(mt.Missing) > 0 {
		var labels []string
		for _, name := range mt.Missing {
			labels = append(labels, componentLabel[name])
		}
		out = append(out, "Thiếu thông tin nên tính ở mức trung bình: "+strings.Join(labels, ", ")+".")
	}
	return out
}

var componentLabel = map[string]string{
	CompText: "nội dung văn bản", CompField: "lĩnh vực KH&CN", CompSector: "ngành kinh tế", CompTRL: "mức sẵn sàng công nghệ (TRL)",
	CompTransfer: "hình thức chuyển giao", CompBudget: "ngân sách – giá", CompLocality: "địa bàn",
	CompFreshness: "năm công bố", CompCompleteness: "độ đầy đủ hồ sơ", CompTopic: "đúng chủ đề",
}

// ComponentLabel is the Vietnamese name of a component.
func ComponentLabel(name string) string { return componentLabel[name] }

func sentence(name string, v float64, need *corpus.Need, r *corpus.Result, mt *Match) string {
	pct := int(math.Round(v * 100))
	switch name {
	case CompText:
		if len(mt.MatchedTerms) == 0 {
			if len(mt.Bridged) > 0 {
				return fmt.Sprintf("Nội dung gần với nhu cầu ở mức %d%%, qua các từ đồng nghĩa hoặc liên quan: %s.", pct, strings.Join(mt.Bridged, ", "))
			}
			return fmt.Sprintf("Nội dung gần với nhu cầu ở mức %d%%.", pct)
		}
		terms := mt.MatchedTerms
		if len(terms) > 8 {
			terms = terms[:8]
		}
		s := fmt.Sprintf("Nội dung khớp %d%% với nhu cầu, trùng các từ: %s.", pct, strings.Join(terms, ", "))
		if len(mt.Bridged) > 0 {
			s += " Cùng nói về: " + strings.Join(mt.Bridged, ", ") + " (từ đồng nghĩa hoặc từ khóa liên quan)."
		}
		return s
	case CompField:
		if v == 0 {
			return "Lĩnh vực KH&CN khác với nhu cầu."
		}
		return "Cùng lĩnh vực KH&CN: " + labels(mt.MatchedFields, corpus.Fields.Label) + "."
	case CompSector:
		if v == 0 {
			return "Ngành kinh tế khác với nhu cầu."
		}
		return "Cùng ngành kinh tế: " + labels(mt.MatchedSectors, corpus.SectorLabel) + "."
	case CompTRL:
		if mt.CoDevelopment {
			return fmt.Sprintf("TRL %d thấp hơn mức yêu cầu %d (thiếu %d bậc): ứng viên hợp tác hoàn thiện công nghệ.", r.TRL, need.MinTRL, mt.TRLGap)
		}
		return fmt.Sprintf("Đạt mức sẵn sàng TRL %d, không thấp hơn yêu cầu TRL %d.", r.TRL, need.MinTRL)
	case CompTransfer:
		if v >= 1 {
			return "Có hình thức chuyển giao mà doanh nghiệp mong muốn."
		}
		return "Hình thức chuyển giao chưa trùng với mong muốn của doanh nghiệp."
	case CompBudget:
		if v >= 1 {
			return "Giá chào nằm trong ngân sách dự kiến."
		}
		return fmt.Sprintf("Giá chào vượt ngân sách dự kiến (phù hợp %d%%).", pct)
	case CompLocality:
		switch {
		case v >= 1:
			return "Cùng địa bàn với doanh nghiệp."
		case v >= 0.65:
			return "Cùng tỉnh với doanh nghiệp."
		}
		return "Ở tỉnh khác."
	case CompFreshness:
		if v >= 0.8 {
			return fmt.Sprintf("Kết quả mới (năm %d).", r.Year)
		}
		return fmt.Sprintf("Kết quả đã có từ năm %d.", r.Year)
	case CompTopic:
		if mt.Kind == corpus.KindNeed {
			if v >= 0.5 {
				return fmt.Sprintf("Đúng chủ đề: nhu cầu nói đến %d%% những gì tiêu đề kết quả nêu.", pct)
			}
			return ""
		}
		if v >= 0.5 {
			return fmt.Sprintf("Đúng chủ đề: tiêu đề, tóm tắt hoặc từ khoá của kết quả nêu %d%% những gì tiêu đề nhu cầu nói đến.", pct)
		}
		if v == 0 {
			return "Tiêu đề và tóm tắt của kết quả không nói đến điều tiêu đề nhu cầu nêu; chỉ khớp trong nội dung."
		}
	case CompCompleteness:
		if v < 0.5 {
			return fmt.Sprintf("Hồ sơ kết quả còn sơ sài (%d%% thông tin cần thiết).", pct)
		}
	}
	return ""
}

func labels(codes []string, label func(string) string) string {
	var out []string
	for _, c := range codes {
		out = append(out, label(c))
	}
	return strings.Join(out, "; ")
}
