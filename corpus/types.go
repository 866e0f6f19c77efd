// Package corpus is ketnoi's domain model and system of record: research results (the supply) and
// enterprises' technology needs (the demand), the controlled vocabularies they use, their validation, the
// JSON/JSONL/CSV record formats, and the on-disk store from which the search index is derived.
package corpus

import (
	"encoding/json"
	"strconv"
)

// Kinds of record.
const (
	KindResult = "result"
	KindNeed   = "need"
)

// Confidentiality levels of a need.
const (
	ConfPublic     = "public"
	ConfAnonymised = "anonymised"
	ConfBrokerOnly = "broker_only"
)

// Range is an amount range in VND; {0,0} means not stated, Max 0 means no upper bound stated.
type Range struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

// IsZero reports whether the range is not stated.
func (r Range) IsZero() bool { return r.Min == 0 && r.Max == 0 }

// Result is a research result or technology offer: the supply side.
type Result struct {
	ID            string   `json:"id"`
	Kind          string   `json:"kind"`
	Title         string   `json:"title"`
	Summary       string   `json:"summary,omitempty"`
	SummaryEN     string   `json:"summary_en,omitempty"`
	Body          string   `json:"body,omitempty"`
	Keywords      []string `json:"keywords,omitempty"`
	Applications  string   `json:"applications,omitempty"`
	Advantages    string   `json:"advantages,omitempty"`
	FieldCodes    []string `json:"field_codes,omitempty"`
	Sectors       []string `json:"sectors,omitempty"`
	TRL           int      `json:"trl,omitempty"`
	IPStatus      string   `json:"ip_status,omitempty"`
	TransferForms []string `json:"transfer_forms,omitempty"`
	PriceVND      Range    `json:"price_vnd"`
	Organization  string   `json:"organization,omitempty"`
	Authors       []string `json:"authors,omitempty"`
	Year          int      `json:"year,omitempty"`
	// Province is the current province; LegacyProvince the one before the 2025 merger, when known.
	Province       string `json:"province,omitempty"`
	LegacyProvince string `json:"legacy_province,omitempty"`
	Locality       string `json:"locality,omitempty"`
	Language       string `json:"language,omitempty"`
	UpdatedAt      string `json:"updated_at,omitempty"`
	// Source is the OAI-PMH repository a harvested result came from (its base URL) and SourceID the result's
	// identifier there; Links are web addresses of the result (its page elsewhere, related documents).
	Source   string   `json:"source,omitempty"`
	SourceID string   `json:"source_id,omitempty"`
	Links    []string `json:"links,omitempty"`
	// Pages is the body page by page when it was extracted from a paged document.
	Pages []string `json:"pages,omitempty"`
	// Extraction says how the text of a result made from a file (PDF, DOCX...) was obtained.
	Extraction *Extraction `json:"extraction,omitempty"`
	// Edited names the fields staff corrected by hand: a re-extraction of the same file keeps them.
	Edited []string `json:"edited,omitempty"`
	// Extra keeps fields this version does not know, so that nothing an import brings is lost.
	Extra map[string]json.RawMessage `json:"-"`
}

// Extraction records how a result's text came out of its file: what staff need to judge it (and what
// the statistics count).
type Extraction struct {
	File     string         `json:"file"`   // the file's name when first indexed
	SHA256   string         `json:"sha256"` // the content the text came from
	Format   string         `json:"format"` // pdf, docx, odt, text
	Pages    int            `json:"pages"`
	Rungs    map[string]int `json:"rungs,omitempty"` // pages per rung: plain, rows, pdftotext, ocr, direct
	NeedsOCR bool           `json:"needs_ocr,omitempty"`
	Encoding string         `json:"encoding,omitempty"` // legacy encoding converted from
	Warnings []string       `json:"warnings,omitempty"`
}

// Need is an enterprise's technology need: the demand side.
type Need struct {
	ID              string                     `json:"id"`
	Kind            string                     `json:"kind"`
	Title           string                     `json:"title"`
	Description     string                     `json:"description,omitempty"`
	Enterprise      string                     `json:"enterprise,omitempty"`
	EnterpriseSize  string                     `json:"enterprise_size,omitempty"` // household, cooperative, micro… (enterprise_sizes.tsv)
	Scale           string                     `json:"scale,omitempty"`           // the scale of production, in the enterprise's words
	Sectors         []string                   `json:"sectors,omitempty"`
	FieldCodes      []string                   `json:"field_codes,omitempty"`
	MinTRL          int                        `json:"min_trl,omitempty"`
	BudgetVND       Range                      `json:"budget_vnd"`
	TransferForms   []string                   `json:"transfer_forms,omitempty"`
	Province        string                     `json:"province,omitempty"`
	LegacyProvince  string                     `json:"legacy_province,omitempty"`
	Locality        string                     `json:"locality,omitempty"`
	Confidentiality string                     `json:"confidentiality,omitempty"`
	Contact         string                     `json:"contact,omitempty"`
	Deadline        string                     `json:"deadline,omitempty"`
	UpdatedAt       string                     `json:"updated_at,omitempty"`
	Extra           map[string]json.RawMessage `json:"-"`

	// Standing needs are matched again whenever results are added or changed; new good matches become
	// alerts (package alerts).
	Standing bool `json:"standing,omitempty"`
	// Broker is who follows the need for the enterprise: the name of a broker's API key. The alerts of a
	// broker's needs make up that broker's feed.
	Broker string `json:"broker,omitempty"`
}

// Record is either a *Result or a *Need.
type Record interface {
	RecordID() string
	RecordKind() string
	RecordTitle() string
}

func (r *Result) RecordID() string    { return r.ID }
func (r *Result) RecordKind() string  { return KindResult }
func (r *Result) RecordTitle() string { return r.Title }
func (n *Need) RecordID() string      { return n.ID }
func (n *Need) RecordKind() string    { return KindNeed }
func (n *Need) RecordTitle() string   { return n.Title }

// EffectiveConfidentiality is the need's confidentiality: public when not stated, and the most restrictive
// level when the value is not one we know (a need must never leak because of a typo).
func (n *Need) EffectiveConfidentiality() string {
	switch n.Confidentiality {
	case "":
		return ConfPublic
	case ConfPublic, ConfAnonymised, ConfBrokerOnly:
		return n.Confidentiality
	}
	return ConfBrokerOnly
}

// Anonymised returns the need as the public may see it: the enterprise and its contact hidden when the need
// is anonymised, and the broker who follows it (internal work) always.
func (n *Need) Anonymised() *Need {
	c := *n
	c.Broker = ""
	if n.EffectiveConfidentiality() != ConfPublic {
		c.Enterprise = ""
		c.Contact = ""
	}
	return &c
}

// MarshalJSON writes the known fields, then the kept unknown ones.
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return marshalWithExtra((*plain)(r), r.Extra)
}

// MarshalJSON writes the known fields, then the kept unknown ones.
func (n *Need) MarshalJSON() ([]byte, error) {
	type plain Need
	return marshalWithExtra((*plain)(n), n.Extra)
}

func marshalWithExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, raw := range extra {
		if _, known := m[k]; !known {
			m[k] = raw
		}
	}
	return json.Marshal(m)
}

// TRLText is "TRL n" or "" when not stated.
func TRLText(n int) string {
	if n <= 0 {
		return ""
	}
	return "TRL " + strconv.Itoa(n)
}
