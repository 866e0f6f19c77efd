package oai

import (
	"net/url"
	"strconv"
	"strings"

	"ketnoi/corpus"
)

// Dublin Core of a result, both ways. Published: title; creator = authors; publisher = organisation;
// date = year; subject = keywords, then the fields' labels; description = summary (vi) and summary_en (en);
// type = "Text" (DCMI type) and our kind; format = the file's media type; identifier = the record's page
// and its OAI identifier; source = the repository it was harvested from; language; relation = its links
// and its file; coverage = locality or province; rights = its intellectual-property status. Harvested:
// the same fields read back (see toResult).

// dcTypeResult is the dc:type naming what our records are.
const dcTypeResult = "Kết quả nghiên cứu khoa học và công nghệ"

// mediaTypes are the media types of the formats the indexing pipeline reads.
var mediaTypes = map[string]string{
	"pdf":  "application/pdf",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"odt":  "application/vnd.oasis.opendocument.text",
	"text": "text/plain",
}

// site are the addresses a published record points to.
type site struct {
	root         string // the site's URL without a trailing slash
	repositoryID string
}

func (s site) pageURL(id string) string { return s.root + "/ket-qua/" + url.PathEscape(id) }
func (s site) fileURL(id string) string {
	return s.root + "/api/v1/results/" + url.PathEscape(id) + "/file"
}

// resultDC is the oai_dc record of a result; hasFile says the store keeps its original file.
func resultDC(r *corpus.Result, s site, hasFile bool) *dcEl {
	d := newDC()
	d.add(&d.Title, "title", "", r.Title)
	d.add(&d.Creator, "creator", "", r.Authors...)
	d.add(&d.Subject, "subject", "", r.Keywords...)
	for _, code := range r.FieldCodes {
		if t, ok := corpus.Fields.Lookup(code); ok {
			d.add(&d.Subject, "subject", "", t.LabelVI)
		}
	}
	d.add(&d.Description, "description", "vi", r.Summary)
	d.add(&d.Description, "description", "en", r.SummaryEN)
	d.add(&d.Publisher, "publisher", "", r.Organization)
	if r.Year > 0 {
		d.add(&d.Date, "date", "", strconv.Itoa(r.Year))
	}
	d.add(&d.Type, "type", "", "Text", dcTypeResult)
	d.add(&d.Identifier, "identifier", "", s.pageURL(r.ID), Identifier(s.repositoryID, r.ID))
	d.add(&d.Source, "source", "", r.Source)
	lang := r.Language
	if lang == "" {
		lang = "vi"
	}
	d.add(&d.Language, "language", "", lang)
	d.add(&d.Relation, "relation", "", r.Links...)
	if hasFile && r.Extraction != nil {
		d.add(&d.Format, "format", "", mediaTypes[r.Extraction.Format])
		d.add(&d.Relation, "relation", "", s.fileURL(r.ID))
	}
	switch {
	case r.Locality != "":
		d.add(&d.Coverage, "coverage", "", corpus.Localities.Label(r.Locality))
	case r.Province != "":
		d.add(&d.Coverage, "coverage", "", corpus.Provinces.Label(r.Province))
	}
	if r.IPStatus != "" {
		d.add(&d.Rights, "rights", "", corpus.IPStatuses.Label(r.IPStatus))
	}
	return d
}

// harvestedDC is a Dublin Core record as a harvester reads it, whatever the prefixes the remote used.
type harvestedDC struct {
	Title       []langValue `xml:"http://purl.org/dc/elements/1.1/ title"`
	Creator     []langValue `xml:"http://purl.org/dc/elements/1.1/ creator"`
	Subject     []langValue `xml:"http://purl.org/dc/elements/1.1/ subject"`
	Description []langValue `xml:"http://purl.org/dc/elements/1.1/ description"`
	Publisher   []langValue `xml:"http://purl.org/dc/elements/1.1/ publisher"`
	Contributor []langValue `xml:"http://purl.org/dc/elements/1.1/ contributor"`
	Date        []langValue `xml:"http://purl.org/dc/elements/1.1/ date"`
	Type        []langValue `xml:"http://purl.org/dc/elements/1.1/ type"`
	Format      []langValue `xml:"http://purl.org/dc/elements/1.1/ format"`
	Identifier  []langValue `xml:"http://purl.org/dc/elements/1.1/ identifier"`
	Language    []langValue `xml:"http://purl.org/dc/elements/1.1/ language"`
	Relation    []langValue `xml:"http://purl.org/dc/elements/1.1/ relation"`
	Coverage    []langValue `xml:"http://purl.org/dc/elements/1.1/ coverage"`
	Rights      []langValue `xml:"http://purl.org/dc/elements/1.1/ rights"`
}

type langValue struct {
	Lang  string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Value string `xml:",chardata"`
}

func values(l []langValue) []string {
	var out []string
	for _, v := range l {
		if s := strings.TrimSpace(v.Value); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func first(l []langValue) string {
	if v := values(l); len(v) > 0 {
		return v[0]
	}
	return ""
}

// toResult maps a harvested Dublin Core record to a result (not yet normalised): subjects that name a
// field of science become field codes, the rest keywords; the earliest year of the dates; the first
// publisher (or contributor) as organisation; English descriptions as summary_en; web addresses among the
// identifiers and relations as links; coverage as locality or province; rights as IP status when they
// name one.
func (d *harvestedDC) toResult(id string) *corpus.Result {
	r := &corpus.Result{ID: id, Kind: corpus.KindResult, Title: first(d.Title), Authors: values(d.Creator)}
	for _, s := range values(d.Subject) {
		if code, ok := corpus.Fields.Resolve(s); ok && !isDigitsOnly(s) {
			r.FieldCodes = append(r.FieldCodes, code)
			continue
		}
		r.Keywords = append(r.Keywords, s)
	}
	var vi, en []string
	for _, v := range d.Description {
		s := strings.TrimSpace(v.Value)
		if s == "" {
			continue
		}
		if strings.HasPrefix(strings.ToLower(v.Lang), "en") {
			en = append(en, s)
		} else {
			vi = append(vi, s)
		}
	}
	r.Summary, r.SummaryEN = strings.Join(vi, "\n\n"), strings.Join(en, "\n\n")
	if r.Organization = first(d.Publisher); r.Organization == "" {
		r.Organization = first(d.Contributor)
	}
	for _, s := range values(d.Date) {
		if y := leadingYear(s); y > 0 && (r.Year == 0 || y < r.Year) {
			r.Year = y
		}
	}
	for _, s := range append(values(d.Identifier), values(d.Relation)...) {
		if isWebURL(s) {
			r.Links = appendNew(r.Links, s)
		}
	}
	r.Language = languageCode(first(d.Language))
	for _, s := range values(d.Coverage) {
		if code, ok := corpus.Localities.Resolve(s); ok {
			r.Locality = code
			break
		}
		if code, ok := corpus.Provinces.Resolve(s); ok && r.Province == "" {
			r.Province = code
		}
	}
	for _, s := range values(d.Rights) {
		if code, ok := corpus.IPStatuses.Resolve(s); ok {
			r.IPStatus = code
			break
		}
	}
	return r
}

func isDigitsOnly(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

// leadingYear is the year a date starts with ("2021", "2021-05-03", "2021-05-03T02:54:58Z"), or 0.
func leadingYear(s string) int {
	if len(s) < 4 || (len(s) > 4 && s[4] != '-') {
		return 0
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y < 1000 {
		return 0
	}
	return y
}

// languageCode maps a dc:language to the record's two-letter code where it is one we know.
func languageCode(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "vi", "vie", "vi-vn", "vi_vn", "tiếng việt", "vietnamese":
		return "vi"
	case "en", "eng", "en-us", "en_us", "en-gb", "english", "tiếng anh":
		return "en"
	}
	return strings.TrimSpace(s)
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func appendNew(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}
