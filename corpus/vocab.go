package corpus

import (
	"bufio"
	"embed"
	"fmt"
	"strconv"
	"strings"

	"ketnoi/corpus/vntext"
)

//go:embed vocab/*.tsv
var vocabFS embed.FS

// Term is one entry of a controlled vocabulary.
type Term struct {
	Code    string `json:"code"`
	LabelVI string `json:"label_vi"`
	LabelEN string `json:"label_en,omitempty"`
	// Parent is the code one level up in a hierarchy (a field of science's top level, a VSIC division's
	// section, a legacy province's current province, a locality's legacy province).
	Parent string `json:"parent,omitempty"`
	// Extra holds the columns after the third, which some vocabularies have (see their file headers).
	Extra []string `json:"-"`
}

// Vocabulary is an immutable controlled vocabulary: codes with Vietnamese (and English) labels.
type Vocabulary struct {
	Name  string
	terms []Term
	index map[string]int
	// byLabel finds a code from its folded Vietnamese label ("binh dinh" → "binh-dinh"), so that records
	// written by hand may use names.
	byLabel map[string]string
}

// Vocabularies of the domain model, loaded from the embedded vocab/*.tsv files (their sources are named in
// each file's header).
var (
	TRLs              = mustLoad("trl", 0)
	IPStatuses        = mustLoad("ip_status", 0)
	TransferForms     = mustLoad("transfer_forms", 0)
	Confidentialities = mustLoad("confidentiality", 0)
	EnterpriseSizes   = mustLoad("enterprise_sizes", 0)
	Fields            = mustLoad("fields", 0)
	Sectors           = mustLoad("vsic", 0)
	Provinces         = mustLoad("provinces", 3)
	Localities        = mustLoad("localities", 3)
	FeedbackReasons   = mustLoad("feedback_reasons", 0)
)

func mustLoad(name string, parentCol int) *Vocabulary {
	v, err := loadVocabulary(name, parentCol)
	if err != nil {
		panic(err) // embedded data: a broken file is a build defect, caught by every test run
	}
	return v
}

// loadVocabulary reads vocab/NAME.tsv: code, label_vi, then label_en or (parentCol=3) a parent code.
func loadVocabulary(name string, parentCol int) (*Vocabulary, error) {
	f, err := vocabFS.Open("vocab/" + name + ".tsv")
	if err != nil {
		return nil, fmt.Errorf("vocabulary %s: %w", name, err)
	}
	defer f.Close()
	v := &Vocabulary{Name: name, index: map[string]int{}, byLabel: map[string]string{}}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) < 2 {
			return nil, fmt.Errorf("vocabulary %s line %d: want at least 2 columns", name, line)
		}
		t := Term{Code: cols[0], LabelVI: cols[1]}
		if parentCol == 3 {
			if len(cols) > 2 {
				t.Parent = cols[2]
			}
		} else if len(cols) > 2 {
			t.LabelEN = cols[2]
		}
		if len(cols) > 3 {
			t.Extra = cols[3:]
		}
		if _, dup := v.index[t.Code]; dup {
			return nil, fmt.Errorf("vocabulary %s line %d: duplicate code %q", name, line, t.Code)
		}
		v.index[t.Code] = len(v.terms)
		v.terms = append(v.terms, t)
		v.byLabel[labelKey(t.LabelVI)] = t.Code
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("vocabulary %s: %w", name, err)
	}
	v.linkParents()
	return v, nil
}

// linkParents derives the hierarchy of the two coded classifications from the codes themselves.
func (v *Vocabulary) linkParents() {
	switch v.Name {
	case "fields":
		for i, t := range v.terms {
			if len(t.Code) == 3 {
				v.terms[i].Parent = t.Code[:1]
			}
		}
	case "vsic":
		section := ""
		for i, t := range v.terms {
			if len(t.Code) == 1 {
				section = t.Code
			} else {
				v.terms[i].Parent = section
			}
		}
	}
}

func labelKey(s string) string {
	k := vntext.FoldKey(s)
	for _, p := range []string{"tp. ", "thanh pho ", "tinh ", "huyen ", "thi xa "} {
		k = strings.TrimPrefix(k, p)
	}
	return strings.Join(strings.FieldsFunc(k, func(r rune) bool { return r == ' ' || r == '-' || r == '.' || r == '–' }), " ")
}

// Terms returns the vocabulary's entries in file order.
func (v *Vocabulary) Terms() []Term { return append([]Term(nil), v.terms...) }

// Lookup returns the entry for a code.
func (v *Vocabulary) Lookup(code string) (Term, bool) {
	i, ok := v.index[code]
	if !ok {
		return Term{}, false
	}
	return v.terms[i], true
}

// Label is the Vietnamese label of a code, or the code itself when it is not in the vocabulary.
func (v *Vocabulary) Label(code string) string {
	if t, ok := v.Lookup(code); ok {
		return t.LabelVI
	}
	return code
}

// Resolve maps a code or a Vietnamese label (with or without diacritics, "Bình Định", "binh dinh") to a code.
func (v *Vocabulary) Resolve(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if _, ok := v.index[s]; ok {
		return s, true
	}
	if _, ok := v.index[strings.ToLower(s)]; ok {
		return strings.ToLower(s), true
	}
	code, ok := v.byLabel[labelKey(s)]
	return code, ok
}

// FieldAncestors returns a field-of-science code with its parent: "405" → ["405", "4"]. Unknown codes are
// returned alone.
func FieldAncestors(code string) []string {
	if t, ok := Fields.Lookup(code); ok && t.Parent != "" {
		return []string{code, t.Parent}
	}
	return []string{code}
}

// SectorAncestors returns a VSIC code with every level above it: "1020" → ["1020", "10", "C"],
// "10" → ["10", "C"]. Unknown codes are returned alone.
func SectorAncestors(code string) []string {
	out := []string{code}
	div := code
	if len(code) > 2 && isDigits(code) {
		div = code[:2]
		out = append(out, div)
	}
	if t, ok := Sectors.Lookup(div); ok && t.Parent != "" {
		out = append(out, t.Parent)
	}
	return out
}

// sectorKnown reports whether a VSIC code is a section, a division, or a 3–5 digit code under a division.
func sectorKnown(code string) bool {
	if _, ok := Sectors.Lookup(code); ok {
		return true
	}
	if len(code) >= 3 && len(code) <= 5 && isDigits(code) {
		_, ok := Sectors.Lookup(code[:2])
		return ok
	}
	return false
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// CurrentProvince maps a province code (current or legacy) to the current province it belongs to.
func CurrentProvince(code string) string {
	if t, ok := Provinces.Lookup(code); ok && t.Parent != "" {
		return t.Parent
	}
	return code
}

// TRLLabel is the Vietnamese label of a TRL level.
func TRLLabel(trl int) string { return TRLs.Label(strconv.Itoa(trl)) }

// SectorLabel labels any VSIC code: a section or division by its own label, a 3–5 digit code (whose
// labels we do not ship) by its code and its division's label.
func SectorLabel(code string) string {
	if t, ok := Sectors.Lookup(code); ok {
		return t.LabelVI
	}
	if sectorKnown(code) {
		return "Mã " + code + " – " + Sectors.Label(code[:2])
	}
	return code
}
