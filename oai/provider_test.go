package oai

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus"
	"ketnoi/internal/corpustest"
	"ketnoi/internal/tooltest"
)

const testSite = "http://ketnoi.example.vn"

// edgeResult has what a published record must survive: an id outside the identifier's safe characters,
// markup and a control character in the text, decomposed (NFD) Vietnamese, an English summary, links, a
// kept file, every coded field the Dublin Core carries.
func edgeResult() *corpus.Result {
	return &corpus.Result{ID: "kq-đặc-biệt%(1)", Kind: corpus.KindResult,
		Title:   "Máy <sấy> \"cá\" & mực\x01 " + norm.NFD.String("Hoài Nhơn"),
		Summary: "Sấy mực một nắng bằng bơm nhiệt.", SummaryEN: "Heat-pump drying of squid.",
		Keywords: []string{"sấy mực", "bơm nhiệt"}, FieldCodes: []string{"211", "2"}, IPStatus: "patent",
		Organization: "Trường Đại học Quy Nhơn", Authors: []string{"Nguyễn Văn A", "Trần Thị B"}, Year: 2022,
		Locality: "hoai-nhon", Province: "gia-lai", Language: "vi", Links: []string{"https://example.org/bao-cao.pdf"},
		Extraction: &corpus.Extraction{File: "bao-cao.pdf", SHA256: strings.Repeat("ab", 32), Format: "pdf", Pages: 3}}
}

// testStore is a store with the sample corpus, the edge result (with a kept original), and one deleted
// sample result (kq-ts-002).
func testStore(t *testing.T) *corpus.Store {
	t.Helper()
	_, st := corpustest.SampleStore(t)
	if _, err := st.PutFrom([]corpus.Record{edgeResult()}, "test", strings.Repeat("ab", 32)); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete([]string{"kq-ts-002"}); err != nil {
		t.Fatal(err)
	}
	return st
}

// validate checks a response against the protocol's XML schema (OAI-PMH, oai_dc, oai-identifier; see
// testdata/schema) with xmllint.
func validate(t *testing.T, body []byte) {
	t.Helper()
	if out, err := xmllint(t, body); err != nil {
		t.Fatalf("response does not validate against the OAI-PMH schema: %v\n%s\n%s", err, out, clipBytes(body))
	}
}

func xmllint(t *testing.T, body []byte) ([]byte, error) {
	t.Helper()
	bin := tooltest.Need(t, "xmllint", "validating OAI-PMH responses against the protocol's XML schema")
	cmd := exec.Command(bin, "--noout", "--nonet", "--schema", "testdata/schema/all.xsd", "-")
	cmd.Stdin = bytes.NewReader(body)
	return cmd.CombinedOutput()
}

func clipBytes(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "…"
	}
	return string(b)
}

func respond(t *testing.T, p *Provider, query string) ([]byte, *Response) {
	t.Helper()
	args, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Respond(args, testSite)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	validate(t, b)
	r, err := parseResponse(b)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return b, r
}

// requestAttrs reads the <request> element's attributes.
func requestAttrs(t *testing.T, b []byte) []xml.Attr {
	var env struct {
		Request struct {
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"request"`
	}
	if err := xml.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	return env.Request.Attrs
}

// TestSchemaCatchesFaults: the schema check is not vacuous: a valid response validates, and each fault
// slipped into it makes it fail.
func TestSchemaCatchesFaults(t *testing.T) {
	p := NewProvider(testStore(t), Config{PageSize: 5})
	good, _ := respond(t, p, "verb=ListRecords&metadataPrefix=oai_dc")
	faults := []struct{ name, from, to string }{
		{"datestamp without Z", "Z</datestamp>", "</datestamp>"},
		{"unknown Dublin Core element", "<dc:title>", "<dc:titel>"},
		{"metadata outside any namespace", "<oai_dc:dc ", "<dc "},
		{"bad setSpec", "<setSpec>field:", "<setSpec>field :"},
		{"unknown verb in request", `verb="ListRecords"`, `verb="ListAll"`},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			bad := bytes.Replace(good, []byte(f.from), []byte(f.to), 1)
			if bytes.Equal(bad, good) {
				t.Fatalf("fault %q not found in the response", f.from)
			}
			if f.name == "metadata outside any namespace" {
				bad = bytes.Replace(bad, []byte("</oai_dc:dc>"), []byte("</dc>"), 1)
			}
			if out, err := xmllint(t, bad); err == nil {
				t.Errorf("a response with %s validates:\n%s", f.name, out)
			}
		})
	}
}

// TestErrorCodes: each way a request can be wrong gets the protocol's error code (all of them that can
// arise here: noMetadataFormats cannot, every result having Dublin Core, nor noSetHierarchy, the
// repository having sets), a valid response, and, for badVerb and badArgument, a request element
// without attributes.
func TestErrorCodes(t *testing.T) {
	p := NewProvider(testStore(t), Config{PageSize: 5})
	const lr = "verb=ListRecords&metadataPrefix=oai_dc"
	const gr = "verb=GetRecord&metadataPrefix=oai_dc&identifier="
	cases := []struct {
		name, query string
		codes       []string
	}{
		{"no verb", "", []string{ErrBadVerb}},
		{"unknown verb", "verb=Harvest", []string{ErrBadVerb}},
		{"verb twice", "verb=Identify&verb=Identify", []string{ErrBadVerb}},
		{"Identify with an argument", "verb=Identify&set=field", []string{ErrBadArgument}},
		{"unknown argument", lr + "&format=x", []string{ErrBadArgument}},
		{"repeated argument", lr + "&metadataPrefix=oai_dc", []string{ErrBadArgument}},
		{"empty argument", "verb=GetRecord&metadataPrefix=oai_dc&identifier=", []string{ErrBadArgument}},
		{"GetRecord without metadataPrefix", "verb=GetRecord&identifier=oai:ketnoi.example.vn:kq-ts-001", []string{ErrBadArgument}},
		{"ListRecords without metadataPrefix", "verb=ListRecords", []string{ErrBadArgument}},
		{"token with other arguments", lr + "&resumptionToken=abc", []string{ErrBadArgument}},
		{"from not a date", lr + "&from=2024-13-01", []string{ErrBadArgument}},
		{"from with fractional seconds", lr + "&from=2024-01-01T00:00:00.5Z", []string{ErrBadArgument}},
		{"from with an offset", lr + "&from=2024-01-01T00:00:00+07:00", []string{ErrBadArgument}},
		{"from and until of different granularity", lr + "&from=2024-01-01&until=2024-01-02T00:00:00Z", []string{ErrBadArgument}},
		{"from after until", lr + "&from=2024-02-01&until=2024-01-01", []string{ErrBadArgument}},
		{"set with a space", lr + "&set=field%202", []string{ErrBadArgument}},
		{"metadataPrefix with a space", "verb=ListRecords&metadataPrefix=oai%20dc", []string{ErrBadArgument}},
		{"metadataPrefix with markup", "verb=ListIdentifiers&metadataPrefix=%3Cx%3E%26", []string{ErrBadArgument}},
		{"GetRecord in a format with a letter beyond ASCII", "verb=GetRecord&metadataPrefix=%C3%A9&identifier=oai:ketnoi.example.vn:kq-ts-001", []string{ErrBadArgument}},
		{"identifier with a broken escape", gr + "oai:ketnoi.example.vn:kq%25zz", []string{ErrBadArgument}},
		{"identifier ending in a percent sign", gr + "oai:ketnoi.example.vn:kq%25", []string{ErrBadArgument}},
		{"identifier with two fragments", gr + "oai:ketnoi.example.vn:a%23b%23c", []string{ErrBadArgument}},
		{"identifier with brackets", gr + "oai:ketnoi.example.vn:kq[1]", []string{ErrBadArgument}},
		{"identifier without a scheme", gr + ":kq-ts-001", []string{ErrBadArgument}},
		{"identifier with a port that is not a number", gr + "oai://ketnoi.example.vn:x/kq", []string{ErrBadArgument}},
		{"formats of an identifier with a broken escape", "verb=ListMetadataFormats&identifier=%25", []string{ErrBadArgument}},
		{"until in year 0000", "verb=ListIdentifiers&metadataPrefix=oai_dc&until=0000-01-01", []string{ErrBadArgument}},
		{"identifier with spaces and letters beyond ASCII", gr + "oai:ketnoi.example.vn:kq%20kh%C3%B4ng%20c%C3%B3", []string{ErrIDDoesNotExist}},
		{"identifier in another scheme", gr + "http://[::1]:8080/ket-qua/kq-ts-001#a", []string{ErrIDDoesNotExist}},
		{"unknown format", "verb=ListIdentifiers&metadataPrefix=marc21", []string{ErrCannotDisseminateFormat}},
		{"GetRecord in an unknown format", "verb=GetRecord&metadataPrefix=marc21&identifier=oai:ketnoi.example.vn:kq-ts-001", []string{ErrCannotDisseminateFormat}},
		{"unknown id", gr + "oai:ketnoi.example.vn:kq-khong-co", []string{ErrIDDoesNotExist}},
		{"another repository's id", gr + "oai:kho.example.org:kq-ts-001", []string{ErrIDDoesNotExist}},
		{"needs are not published", gr + "oai:ketnoi.example.vn:nc-001", []string{ErrIDDoesNotExist}},
		{"unknown id and format", "verb=GetRecord&metadataPrefix=marc21&identifier=oai:ketnoi.example.vn:x", []string{ErrIDDoesNotExist, ErrCannotDisseminateFormat}},
		{"formats of an unknown id", "verb=ListMetadataFormats&identifier=oai:ketnoi.example.vn:x", []string{ErrIDDoesNotExist}},
		{"unknown set", lr + "&set=field:9", []string{ErrNoRecordsMatch}},
		{"nothing since", lr + "&from=2999-01-01", []string{ErrNoRecordsMatch}},
		{"nothing until", "verb=ListIdentifiers&metadataPrefix=oai_dc&until=1999-12-31T23:59:59Z", []string{ErrNoRecordsMatch}},
		{"garbage token", "verb=ListRecords&resumptionToken=%21%21%21", []string{ErrBadResumptionToken}},
		{"ListSets token", "verb=ListSets&resumptionToken=abc", []string{ErrBadResumptionToken}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, r := respond(t, p, c.query)
			var got []string
			for _, e := range r.Errors {
				got = append(got, e.Code)
				if e.Message == "" {
					t.Errorf("error %s without a message", e.Code)
				}
			}
			if !slices.Equal(got, c.codes) {
				t.Fatalf("errors %v, want %v\n%s", got, c.codes, b)
			}
			attrs := requestAttrs(t, b)
			if bare := c.codes[0] == ErrBadVerb || c.codes[0] == ErrBadArgument; bare != (len(attrs) == 0) {
				t.Errorf("request attributes %v with error %s", attrs, c.codes[0])
			}
		})
	}
}

// TestTokens: a token is refused with another verb and after it expires, and the token of a page leads to
// the next one.
func TestTokens(t *testing.T) {
	p := NewProvider(testStore(t), Config{PageSize: 10, TokenTTL: time.Hour})
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	p.Now = func() time.Time { return now }
	_, first := respond(t, p, "verb=ListIdentifiers&metadataPrefix=oai_dc")
	if first.Token == "" || first.Cursor != 0 || len(first.Records) != 10 || !first.TokenExpires.Equal(now.Add(time.Hour)) {
		t.Fatalf("first page: token %q cursor %d, %d headers, expires %v", first.Token, first.Cursor, len(first.Records), first.TokenExpires)
	}
	_, other := respond(t, p, "verb=ListRecords&resumptionToken="+url.QueryEscape(first.Token))
	if e := other.Err(); e == nil || e.Code != ErrBadResumptionToken {
		t.Errorf("ListIdentifiers token used with ListRecords: %+v", other.Errors)
	}
	_, next := respond(t, p, "verb=ListIdentifiers&resumptionToken="+url.QueryEscape(first.Token))
	if next.Err() != nil || next.Cursor != 10 || len(next.Records) != 10 || next.Records[0].Identifier == first.Records[0].Identifier {
		t.Errorf("second page: %+v cursor %d", next.Errors, next.Cursor)
	}
	now = now.Add(61 * time.Minute)
	_, late := respond(t, p, "verb=ListIdentifiers&resumptionToken="+url.QueryEscape(first.Token))
	if e := late.Err(); e == nil || e.Code != ErrBadResumptionToken {
		t.Errorf("expired token: %+v", late.Errors)
	}
}
