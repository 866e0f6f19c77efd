package server

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"ketnoi/corpus"
	"ketnoi/matcher"
)

// topComponents is how many components the CSV names for each match.
const topComponents = 3

// WriteBatchCSV writes a batch as CSV for spreadsheets (UTF-8 with a byte order mark): one row per need and
// match, and one row for a need without any, so that no open need is missing from the file.
func WriteBatchCSV(w io.Writer, r *BatchReport) error {
	cw := newCSV(w)
	cw.Write([]string{"Mã nhu cầu", "Nhu cầu", "Doanh nghiệp", "Hạng", "Mã kết quả", "Kết quả nghiên cứu", "Tổ chức chủ trì",
		"Điểm", "Thành phần nổi bật", "Lý do", "Thiếu bậc TRL", "Quyết định của môi giới", "Lý do quyết định"})
	for i := range r.Needs {
		n := &r.Needs[i]
		need := []string{n.ID, n.Title, enterpriseText(n)}
		if len(n.Matches) == 0 {
			why := "Chưa tìm thấy kết quả phù hợp."
			switch {
			case n.Error != "":
				why = "Lỗi khi ghép nối: " + n.Error
			case n.Note != nil:
				why = n.Note.Message
			}
			cw.Write(append(need, "", "", "", "", "", "", why, "", "", ""))
			continue
		}
		for rank, m := range n.Matches {
			var parts []string
			top := componentViews(&m, r.Weights, true)
			for _, c := range top[:min(topComponents, len(top))] {
				parts = append(parts, fmt.Sprintf("%s %d%%", c.Label, c.Pct))
			}
			gap, decision, reason := "", "", ""
			if m.TRLGap > 0 {
				gap = strconv.Itoa(m.TRLGap)
			}
			if f := m.Feedback; f != nil {
				decision, reason = f.DecisionLabel, f.ReasonLabel
			}
			cw.Write(append(append([]string(nil), need...), strconv.Itoa(rank+1), m.ID, m.Title, m.Organization,
				fmt.Sprintf("%.3f", m.Score), strings.Join(parts, "; "), strings.Join(m.Reasons, " "), gap, decision, reason))
		}
	}
	return cw.Flush()
}

func enterpriseText(n *BatchNeed) string {
	if n.Confidentiality == corpus.ConfAnonymised {
		return "(ẩn danh)"
	}
	return n.Enterprise
}

type componentView struct {
	Name, Label string
	Pct         int
	Missing     bool
}

// componentViews lists a match's components: by weighted contribution (missing and unweighted ones left
// out) when byContribution, else in the documented order.
func componentViews(m *matchJSON, weights map[string]float64, byContribution bool) []componentView {
	var out []componentView
	for _, name := range matcher.Components() {
		v, ok := m.Components[name]
		missing := contains(m.Missing, name)
		if !ok || (byContribution && (missing || weights[name] == 0)) {
			continue
		}
		out = append(out, componentView{Name: name, Label: matcher.ComponentLabel(name), Pct: int(math.Round(v * 100)), Missing: missing})
	}
	if byContribution {
		sort.SliceStable(out, func(i, j int) bool {
			return float64(out[i].Pct)*weights[out[i].Name] > float64(out[j].Pct)*weights[out[j].Name]
		})
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// The printable report's view of a batch.
type reportView struct {
	R                    *BatchReport
	Date, Time, MinScore string
	Needs                []reportNeed
}

type reportNeed struct {
	N           *BatchNeed
	No          int
	Enterprise  string
	Description string
	Top         string // best score, or "" without matches
	Matches     []reportMatch
}

type reportMatch struct {
	M          *matchJSON
	Rank, Pct  int
	Score      string
	Components []componentView
	Snippet    template.HTML
	Page       int // of the snippet, when it is the body's
	Feedback   string
}

// WriteBatchHTML writes a batch as one self-contained printable HTML page (html/template: everything from
// the records is escaped): a header with the date and counts and a table of the needs, then each need on
// its own page with its ranked matches, score bars and reasons.
func WriteBatchHTML(w io.Writer, r *BatchReport) error {
	gen := r.Generated.In(corpus.Vietnam)
	v := reportView{R: r, Date: fmt.Sprintf("ngày %d tháng %d năm %d", gen.Day(), gen.Month(), gen.Year()), Time: gen.Format("15:04"),
		MinScore: decimal(r.MinScore)}
	for i := range r.Needs {
		n := &r.Needs[i]
		rn := reportNeed{N: n, No: i + 1, Enterprise: n.Enterprise, Description: clipRunes(n.Description, 600)}
		switch {
		case n.Confidentiality == corpus.ConfAnonymised:
			rn.Enterprise = "Doanh nghiệp ẩn danh"
		case rn.Enterprise == "":
			rn.Enterprise = "Chưa ghi tên doanh nghiệp"
		}
		for j := range n.Matches {
			m := &n.Matches[j]
			rm := reportMatch{M: m, Rank: j + 1, Pct: int(math.Round(m.Score * 100)), Score: decimal(m.Score),
				Components: componentViews(m, r.Weights, false), Snippet: markOnly(bestFragment(m.Highlights)),
				Page: snippetPage(m.Highlights, m.Page)}
			if m.Feedback != nil {
				rm.Feedback = FeedbackText(m.Feedback)
			}
			rn.Matches = append(rn.Matches, rm)
		}
		if len(n.Matches) > 0 {
			rn.Top = decimal(n.Matches[0].Score)
		}
		v.Needs = append(v.Needs, rn)
	}
	if err := pages.ExecuteTemplate(w, "match_report.html", v); err != nil {
		return fmt.Errorf("dựng báo cáo ghép nối: %w", err)
	}
	return nil
}

// FeedbackText says a decision in one Vietnamese sentence: "Đã từ chối – Giá … (Môi giới Bình, 27/11/2026)".
func FeedbackText(f *FeedbackJSON) string {
	s := "Đã " + f.DecisionLabel
	if f.ReasonLabel != "" {
		s += " – " + f.ReasonLabel
	}
	s += fmt.Sprintf(" (%s, %s)", f.Actor.Name, f.Time.In(corpus.Vietnam).Format("02/01/2006"))
	if f.Note != "" {
		s += ": " + f.Note
	}
	return s
}

// markOnly makes a highlighted fragment safe whatever its origin (the report may be rendered from JSON a
// server sent): everything is escaped, then <mark> and </mark> alone are put back.
func markOnly(s string) template.HTML {
	s = template.HTMLEscapeString(html.UnescapeString(s))
	return template.HTML(strings.NewReplacer("&lt;mark&gt;", "<mark>", "&lt;/mark&gt;", "</mark>").Replace(s))
}

// decimal writes a score the Vietnamese way: 0,82.
func decimal(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', 2, 64), ".", ",", 1)
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	if i := strings.LastIndexByte(string(r), ' '); i > len(string(r))/2 {
		return string(r)[:i] + " …"
	}
	return string(r) + "…"
}
