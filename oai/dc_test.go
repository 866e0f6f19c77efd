package oai

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus"
)

// TestDublinCoreBothWays: the Dublin Core published for a result carries each of its fields as the mapping
// says, in NFC without characters XML cannot carry, escaped; read back by the harvester it gives the same
// result fields.
func TestDublinCoreBothWays(t *testing.T) {
	p := NewProvider(testStore(t), Config{})
	want := edgeResult()
	oaiID := "oai:ketnoi.example.vn:kq-%C4%91%E1%BA%B7c-bi%E1%BB%87t%25(1)"
	b, r := respond(t, p, "verb=GetRecord&metadataPrefix=oai_dc&identifier="+strings.ReplaceAll(oaiID, "%", "%25"))
	if r.Err() != nil || len(r.Records) != 1 || r.Records[0].DC == nil {
		t.Fatalf("GetRecord: %+v\n%s", r.Errors, b)
	}
	rec := r.Records[0]
	dc := rec.DC
	if rec.Identifier != oaiID || !slices.Equal(rec.SetSpecs, []string{"field:2:211", "field:2"}) {
		t.Errorf("header %q %v", rec.Identifier, rec.SetSpecs)
	}
	title := first(dc.Title)
	if title != "Máy <sấy> \"cá\" & mực Hoài Nhơn" || !norm.NFC.IsNormalString(title) {
		t.Errorf("title %q", title)
	}
	if !strings.Contains(string(b), "Máy &lt;sấy&gt; &#34;cá&#34; &amp; mực") {
		t.Errorf("title not escaped in the XML")
	}
	checks := []struct {
		name      string
		got, want []string
	}{
		{"creator", values(dc.Creator), want.Authors},
		{"subject", values(dc.Subject), []string{"sấy mực", "bơm nhiệt", "Kỹ thuật thực phẩm và đồ uống", "Khoa học kỹ thuật và công nghệ"}},
		{"publisher", values(dc.Publisher), []string{want.Organization}},
		{"date", values(dc.Date), []string{"2022"}},
		{"identifier", values(dc.Identifier), []string{testSite + "/ket-qua/kq-%C4%91%E1%BA%B7c-bi%E1%BB%87t%25%281%29", oaiID}},
		{"relation", values(dc.Relation), []string{"https://example.org/bao-cao.pdf", testSite + "/api/v1/results/kq-%C4%91%E1%BA%B7c-bi%E1%BB%87t%25%281%29/file"}},
		{"format", values(dc.Format), []string{"application/pdf"}},
		{"language", values(dc.Language), []string{"vi"}},
		{"coverage", values(dc.Coverage), []string{corpus.Localities.Label("hoai-nhon")}},
		{"rights", values(dc.Rights), []string{corpus.IPStatuses.Label("patent")}},
		{"type", values(dc.Type), []string{"Text", dcTypeResult}},
	}
	for _, c := range checks {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("dc:%s %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(dc.Description) != 2 || dc.Description[0].Lang != "vi" || dc.Description[1].Lang != "en" || dc.Description[1].Value != want.SummaryEN {
		t.Errorf("descriptions %+v", dc.Description)
	}

	back := dc.toResult(want.ID)
	if probs := corpus.Normalize(back); probs.Rejected() {
		t.Fatalf("read back: %v", probs)
	}
	if back.Title != title || back.Summary != want.Summary || back.SummaryEN != want.SummaryEN ||
		!slices.Equal(back.Authors, want.Authors) || back.Organization != want.Organization || back.Year != want.Year ||
		!slices.Equal(back.Keywords, want.Keywords) || !slices.Equal(back.FieldCodes, []string{"211", "2"}) ||
		back.IPStatus != want.IPStatus || back.Locality != want.Locality || back.Province != "gia-lai" || back.Language != "vi" {
		t.Errorf("read back:\n got %+v\nfrom %+v", back, want)
	}
	if !slices.Contains(back.Links, "https://example.org/bao-cao.pdf") || !slices.Contains(back.Links, testSite+"/ket-qua/kq-%C4%91%E1%BA%B7c-bi%E1%BB%87t%25%281%29") {
		t.Errorf("links %v", back.Links)
	}
	if got := fileCandidates(dc); len(got) != 2 || got[0] != "https://example.org/bao-cao.pdf" {
		t.Errorf("full-text candidates %v", got)
	}
}

// TestDeletedRecord: a deleted result answers with a header marked deleted, no metadata, and keeps its
// formats; Identify says deleted records are kept.
func TestDeletedRecord(t *testing.T) {
	p := NewProvider(testStore(t), Config{})
	_, r := respond(t, p, "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:ketnoi.example.vn:kq-ts-002")
	if r.Err() != nil || len(r.Records) != 1 || !r.Records[0].Deleted || r.Records[0].DC != nil {
		t.Errorf("deleted record: %+v %+v", r.Errors, r.Records)
	}
	_, f := respond(t, p, "verb=ListMetadataFormats&identifier=oai:ketnoi.example.vn:kq-ts-002")
	if !slices.Equal(f.Formats, []string{"oai_dc"}) {
		t.Errorf("formats of a deleted record: %v", f.Formats)
	}
	_, id := respond(t, p, "verb=Identify")
	if id.Identify == nil || id.Identify.DeletedRecord != "persistent" || id.Identify.RepositoryID != "ketnoi.example.vn" ||
		id.Identify.Granularity != "YYYY-MM-DDThh:mm:ssZ" || id.Identify.BaseURL != testSite+"/oai" {
		t.Errorf("Identify: %+v", id.Identify)
	}
}
