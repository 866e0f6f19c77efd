package extract

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"ketnoi/corpus/vntext"
)

// A sidecar is a JSON record next to a file (report.pdf → report.json or report.pdf.json) in which
// staff state what the file itself gets wrong or lacks. For extraction it overrides any metadata field;
// its other fields (field_codes, trl, ...) are the indexing pipeline's, which reads the same file.

// SidecarPath returns the sidecar of file, or "" when there is none.
func SidecarPath(file string) string {
	ext := filepath.Ext(file)
	if strings.EqualFold(ext, ".json") {
		return ""
	}
	for _, p := range []string{strings.TrimSuffix(file, ext) + ".json", file + ".json"} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// sidecarFields are the record fields (docs/records.md) that carry metadata.
type sidecarFields struct {
	Title        string          `json:"title"`
	Authors      json.RawMessage `json:"authors"`
	Organization string          `json:"organization"`
	Code         string          `json:"code"`
	Place        string          `json:"place"`
	Year         json.RawMessage `json:"year"`
	Summary      string          `json:"summary"`
	Keywords     json.RawMessage `json:"keywords"`
}

// ReadSidecar reads the metadata fields of a sidecar record, with Sources "sidecar".
func ReadSidecar(path string) (Metadata, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Metadata{}, fmt.Errorf("không đọc được tệp kèm %s: %w", filepath.Base(path), err)
	}
	if len(b) > 4<<20 {
		return Metadata{}, fmt.Errorf("tệp kèm %s quá lớn (%d KB)", filepath.Base(path), len(b)>>10)
	}
	var f sidecarFields
	if err := json.Unmarshal(b, &f); err != nil {
		return Metadata{}, fmt.Errorf("tệp kèm %s không phải JSON hợp lệ: %v", filepath.Base(path), err)
	}
	m := Metadata{Sources: map[string]string{}}
	set := func(field string, ok bool) {
		if ok {
			m.Sources[field] = "sidecar"
		}
	}
	norm := func(s string) string { return strings.TrimSpace(vntext.Normalize(s)) }
	m.Title = norm(f.Title)
	set("title", m.Title != "")
	m.Organization = norm(f.Organization)
	set("organization", m.Organization != "")
	m.Code = norm(f.Code)
	set("code", m.Code != "")
	m.Place = norm(f.Place)
	set("place", m.Place != "")
	m.Abstract = norm(f.Summary)
	set("abstract", m.Abstract != "")
	m.Authors = stringList(f.Authors, norm)
	set("authors", len(m.Authors) > 0)
	m.Keywords = stringList(f.Keywords, norm)
	set("keywords", len(m.Keywords) > 0)
	if len(f.Year) > 0 {
		y, err := strconv.Atoi(strings.Trim(string(f.Year), `" `))
		if err != nil || y < 1900 || y > 2100 {
			return m, fmt.Errorf("tệp kèm %s: năm %s không hợp lệ", filepath.Base(path), f.Year)
		}
		m.Year = y
		set("year", true)
	}
	return m, nil
}

// stringList accepts a JSON list of strings or one string with ";" between items, as CSV records do.
func stringList(raw json.RawMessage, norm func(string) string) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		list = strings.Split(one, ";")
	}
	var out []string
	for _, s := range list {
		if s = norm(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
