package indexer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"ketnoi/corpus"
	"ketnoi/indexer/extract"
)

// ExtractionVersion changes when extraction gets better in a way that makes reading failed or OCR-less
// files again worthwhile; states written by an older version are retried.
const ExtractionVersion = 1

// DocID is a document's stable id: from its content hash, so the same report under two names, or
// uploaded twice, is one document.
func DocID(sha256hex string) string {
	if len(sha256hex) > 16 {
		sha256hex = sha256hex[:16]
	}
	return "tl-" + sha256hex
}

// sidecarRecord reads the sidecar of a document file as a record overlay (any record field, id
// included). Fields it does not set are left to extraction.
func sidecarRecord(path string) (map[string]json.RawMessage, *extract.Error) {
	sc := extract.SidecarPath(path)
	if sc == "" {
		return nil, nil
	}
	b, err := os.ReadFile(sc)
	if err != nil {
		return nil, extract.Errorf(extract.ReasonIO, "tệp kèm %s: %v", filepath.Base(sc), err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		why := "không phải một đối tượng JSON {...}"
		var se *json.SyntaxError
		if errors.As(err, &se) {
			why = fmt.Sprintf("JSON hỏng, lỗi cú pháp ở byte %d", se.Offset)
		}
		return nil, extract.Errorf(extract.ReasonMalformed, "tệp kèm %s: %s", filepath.Base(sc), why)
	}
	return m, nil
}

// sidecarID is the id a sidecar gives its document, or "".
func sidecarID(side map[string]json.RawMessage) string {
	var id string
	if raw, ok := side["id"]; ok && json.Unmarshal(raw, &id) == nil {
		return id
	}
	return ""
}

// sidecarClaims maps each id the sidecars of this run's files give to the one file that may have it:
// the file that gave it already, else the first to give it. Another file whose sidecar gives the same
// id fails rather than replace that document's text with its own.
func (p *Pipeline) sidecarClaims(cands []candidate) map[string]string {
	claims := map[string]string{}
	held := map[string]bool{} // the claim is the document's file already
	for _, c := range cands {
		if c.sidecar == 0 {
			continue
		}
		side, err := sidecarRecord(c.path)
		id := sidecarID(side)
		if err != nil || id == "" || held[id] {
			continue
		}
		st, found, _ := p.Store.FileState(c.key)
		if owner := claims[id]; owner == "" || found && st.DocID == id {
			claims[id], held[id] = c.path, found && st.DocID == id
		}
	}
	return claims
}

// recordFileOf returns the record file (JSON, JSONL, CSV, XLSX) that existing, the record a sidecar id
// names, was imported from, when it was not made from a document.
func (p *Pipeline) recordFileOf(existing *corpus.Result, sid string) string {
	if existing == nil || existing.Extraction != nil || sid == "" {
		return ""
	}
	e, err := p.Store.Get(sid)
	if err != nil {
		return ""
	}
	for _, src := range e.Sources {
		if corpus.FormatOf(src) != "" {
			return src
		}
	}
	return ""
}

// docRecord makes the result record of an extracted document: metadata from the cover (and the
// sidecar, which also gives any other record field), text page by page, how it was extracted; then the
// fields staff corrected by hand on the existing record win.
func docRecord(doc *extract.Document, name string, side map[string]json.RawMessage, existing *corpus.Result) (*corpus.Result, corpus.Problems) {
	m := doc.Metadata
	r := &corpus.Result{
		ID: DocID(doc.SHA256), Kind: corpus.KindResult,
		Title: m.Title, Summary: m.Abstract, Authors: m.Authors, Organization: m.Organization,
		Year: m.Year, Keywords: m.Keywords, Language: "vi",
	}
	if r.Title == "" {
		r.Title = strings.TrimSuffix(name, filepath.Ext(name))
	}
	ex := &corpus.Extraction{File: name, SHA256: doc.SHA256, Format: string(doc.Format),
		Pages: len(doc.Pages), Rungs: map[string]int{}}
	for _, p := range doc.Pages {
		r.Pages = append(r.Pages, p.Text)
		ex.Rungs[string(p.Rung)]++
		if p.Encoding != "" {
			ex.Encoding = p.Encoding
		}
	}
	for _, w := range doc.Warnings {
		if w.Code == extract.WarnNeedsOCR {
			ex.NeedsOCR = true
		}
		ex.Warnings = append(ex.Warnings, w.Code+": "+w.Message)
	}
	r.Extraction = ex
	var probs corpus.Problems
	if len(side) > 0 {
		// The sidecar is a record overlay: marshal what extraction made, lay the sidecar's fields over
		// it, and read it back through the record decoder (which validates and keeps unknown fields).
		base, _ := json.Marshal(r)
		var merged map[string]json.RawMessage
		_ = json.Unmarshal(base, &merged)
		for k, v := range side {
			if k == "summary" || k == "title" || k == "authors" || k == "organization" || k == "year" || k == "keywords" {
				// Metadata fields already went through extract.ReadSidecar (and its checks) into doc.Metadata.
				if _, ok := merged[k]; ok {
					continue
				}
			}
			merged[k] = v
		}
		if _, ok := side["kind"]; !ok {
			merged["kind"] = json.RawMessage(`"result"`)
		}
		b, _ := json.Marshal(merged)
		p := corpus.DecodeRecord(b)
		probs = append(probs, p.Problems...)
		if res, ok := p.Record.(*corpus.Result); ok {
			r = res
			r.Extraction = ex
		} else if p.Record != nil {
			probs = append(probs, corpus.Problem{Severity: corpus.Warning, Code: corpus.ProblemBadValue, Field: "kind",
				Message: "tệp kèm của một báo cáo phải là kết quả (kind: result); bỏ qua tệp kèm"})
		}
	} else {
		probs = append(probs, corpus.Normalize(r)...)
	}
	if existing != nil && len(existing.Edited) > 0 {
		KeepEdited(r, existing)
	}
	return r, probs
}

// KeepEdited copies the fields staff corrected on existing into r (a re-extraction or a re-harvest
// of the record keeps them).
func KeepEdited(r, existing *corpus.Result) {
	var cur, old map[string]json.RawMessage
	b, _ := json.Marshal(r)
	_ = json.Unmarshal(b, &cur)
	b, _ = json.Marshal(existing)
	_ = json.Unmarshal(b, &old)
	for _, f := range existing.Edited {
		if v, ok := old[f]; ok {
			cur[f] = v
		} else {
			delete(cur, f) // staff cleared it
		}
	}
	edited := append([]string(nil), existing.Edited...)
	sort.Strings(edited)
	b, _ = json.Marshal(cur)
	var out corpus.Result
	if json.Unmarshal(b, &out) == nil {
		out.Extra = r.Extra
		out.Edited = edited
		*r = out
	}
}
