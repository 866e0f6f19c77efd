package oai

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/bleveidx"
)

func TestLocalIDs(t *testing.T) {
	src := &source{base: "https://kho.example.edu.vn/oai/request", repoID: "kho.example.edu.vn"}
	long := strings.Repeat("dài", 100)
	cases := []struct{ identifier, plain string }{
		{"oai:kho.example.edu.vn:123456789/1234", "123456789-1234"},
		{"oai:kho.example.edu.vn:kq-%C4%91%E1%BA%B7c-bi%E1%BB%87t", "kq-đặc-biệt"},
		{"oai:other.example.org:abc", "abc"},
		{"urn:isbn:978-604", "urn:isbn:978-604"},
		{"oai:kho.example.edu.vn:a b\tc", "a-b-c"},
		{"oai:kho.example.edu.vn:/", ""},
		{"oai:kho.example.edu.vn:" + long, ""},
	}
	for _, c := range cases {
		plain, prefixed := candidates(src, c.identifier)
		if c.plain != "" && plain != c.plain {
			t.Errorf("%q: id %q, want %q", c.identifier, plain, c.plain)
		}
		for _, id := range []string{plain, prefixed} {
			r := &corpus.Result{ID: id, Kind: corpus.KindResult, Title: "x"}
			if probs := corpus.Normalize(r); probs.Rejected() || r.ID != id {
				t.Errorf("%q: id %q is not a valid record id: %v", c.identifier, id, probs)
			}
		}
		if !strings.HasPrefix(prefixed, "kho.example.edu.vn-") {
			t.Errorf("%q: prefixed id %q", c.identifier, prefixed)
		}
	}
	if a, _ := candidates(src, "oai:x:"+long+"1"); a == sanitizeID(long+"2") {
		t.Errorf("two long ids cut to one")
	}
}

// dspace is a repository of another make: other namespace prefixes, several dates, contributors, a
// handle as identifier, a bitstream link, a record without a title, one deleted — served in two pages.
type dspace struct {
	pages  []string
	record func(id, title, extra string) string
}

const dspaceHead = `<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2025-06-01T10:00:00Z</responseDate>
<request verb="ListRecords">https://kho.example.edu.vn/oai/request</request>`

func dspaceRecord(handle, title, extra string) string {
	return fmt.Sprintf(`<record><header><identifier>oai:kho.example.edu.vn:123456789/%s</identifier>
<datestamp>2025-05-30T08:00:00Z</datestamp><setSpec>com_123456789_1</setSpec></header>
<metadata><o:dc xmlns:o="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:d="http://purl.org/dc/elements/1.1/">
%s<d:creator>Lê Văn Tám</d:creator><d:contributor>Trường Đại học Nông Lâm Huế</d:contributor>
<d:date>2025-05-30T08:00:00Z</d:date><d:date>2019</d:date>
<d:subject>Thủy sản</d:subject><d:subject>cá rô phi</d:subject>
<d:description xml:lang="vi">Nuôi cá rô phi trong ao đất.</d:description>
<d:description xml:lang="en">Tilapia in earthen ponds.</d:description>
<d:identifier>http://hdl.handle.net/123456789/%s</d:identifier><d:language>vie</d:language>%s
</o:dc></metadata></record>`, handle, title, handle, extra)
}

func (d *dspace) handler(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "text/xml")
		switch {
		case r.Form.Get("verb") == "Identify":
			fmt.Fprint(w, dspaceHead+`<Identify><repositoryName>Kho</repositoryName><baseURL>x</baseURL>
<protocolVersion>2.0</protocolVersion><adminEmail>a@kho.example.edu.vn</adminEmail>
<earliestDatestamp>2010-01-01</earliestDatestamp><deletedRecord>transient</deletedRecord><granularity>YYYY-MM-DD</granularity>
<description><oai-identifier xmlns="http://www.openarchives.org/OAI/2.0/oai-identifier"><scheme>oai</scheme>
<repositoryIdentifier>kho.example.edu.vn</repositoryIdentifier><delimiter>:</delimiter>
<sampleIdentifier>oai:kho.example.edu.vn:123456789/1</sampleIdentifier></oai-identifier></description></Identify></OAI-PMH>`)
		case r.Form.Get("resumptionToken") == "trang-2":
			fmt.Fprint(w, d.pages[1])
		case r.Form.Get("verb") == "ListRecords" && r.Form.Get("from") != "" && r.Form.Get("from") != "2025-06-01":
			t.Errorf("from %q at day granularity, want the last responseDate's day", r.Form.Get("from"))
			fallthrough
		default:
			fmt.Fprint(w, d.pages[0])
		}
	})
}

// TestHarvestForeignRepository: records of another make of repository are read whatever their namespace
// prefixes; a record without a title is refused with its identifier while the others go in; a record
// whose id is taken here by a record of ours gets an id prefixed with the repository's name, keeps it on
// the next harvest, and its deletion removes it and not ours; fields staff corrected stay corrected when
// the record comes again; the next run asks from the last responseDate, at the repository's granularity.
func TestHarvestForeignRepository(t *testing.T) {
	dir := t.TempDir()
	st, err := corpus.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	idx, err := indexer.OpenCurrent(dir, func(d string) (indexer.Index, error) { return bleveidx.Open(d) })
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	ours := &corpus.Result{ID: "123456789-2", Kind: corpus.KindResult, Title: "Kết quả của chúng tôi"}
	if _, err := st.Put([]corpus.Record{ours}, "test"); err != nil {
		t.Fatal(err)
	}
	d := &dspace{pages: []string{
		dspaceHead + `<ListRecords>` + dspaceRecord("1", "<d:title>Nuôi cá rô phi đơn tính</d:title>", "") +
			dspaceRecord("2", "<d:title>Cá rô phi trùng mã</d:title>", "") +
			dspaceRecord("3", "", "") +
			`<resumptionToken cursor="0" completeListSize="4">trang-2</resumptionToken></ListRecords></OAI-PMH>`,
		dspaceHead + `<ListRecords>` + dspaceRecord("4", "<d:title>Bản ghi trang hai</d:title>", "<d:relation>https://kho.example.edu.vn/bitstream/4/toan-van.pdf</d:relation>") +
			`<resumptionToken cursor="3" completeListSize="4"></resumptionToken></ListRecords></OAI-PMH>`,
	}}
	ts := httptest.NewServer(d.handler(t))
	defer ts.Close()
	var logs []string
	h := &Harvester{Store: st, Index: idx, Client: &Client{BaseURL: ts.URL}, Log: func(m string) { logs = append(logs, m) }}
	stats, err := h.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Pages != 2 || stats.Added != 3 || stats.Rejected != 1 || stats.Next != "2025-06-01T10:00:00Z" {
		t.Errorf("stats %+v", stats)
	}
	if !slices.ContainsFunc(logs, func(l string) bool { return strings.Contains(l, "123456789/3") && strings.Contains(l, "title") }) {
		t.Errorf("the record without a title is not reported by its identifier: %v", logs)
	}
	get := func(id string) *corpus.Result {
		e, err := st.Get(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		rec, _ := e.Decode()
		return rec.(*corpus.Result)
	}
	r := get("123456789-1")
	if r.Title != "Nuôi cá rô phi đơn tính" || r.Organization != "Trường Đại học Nông Lâm Huế" || r.Year != 2019 ||
		!slices.Equal(r.FieldCodes, []string{"405"}) || !slices.Equal(r.Keywords, []string{"cá rô phi"}) || r.Language != "vi" ||
		r.SummaryEN != "Tilapia in earthen ponds." || r.SourceID != "oai:kho.example.edu.vn:123456789/1" || r.Source != ts.URL {
		t.Errorf("mapped record %+v", r)
	}
	if get("123456789-2").Title != ours.Title || get("kho.example.edu.vn-123456789-2").Title != "Cá rô phi trùng mã" {
		t.Errorf("the harvested record took the id of ours")
	}
	if got := get("123456789-4").Links; !slices.Contains(got, "https://kho.example.edu.vn/bitstream/4/toan-van.pdf") {
		t.Errorf("links %v", got)
	}

	// Staff correct a harvested record; the repository changes it and deletes the one with the taken id.
	fixed := get("123456789-1")
	fixed.Title, fixed.Edited = "Nuôi cá rô phi đơn tính dòng GIFT", []string{"title"}
	if _, err := st.Put([]corpus.Record{fixed}, "staff"); err != nil {
		t.Fatal(err)
	}
	d.pages[0] = dspaceHead + `<ListRecords>` +
		dspaceRecord("1", "<d:title>Nuôi cá rô phi đơn tính</d:title>", "<d:rights>Bằng độc quyền sáng chế</d:rights>") +
		`<record><header status="deleted"><identifier>oai:kho.example.edu.vn:123456789/2</identifier>
<datestamp>2025-06-02T00:00:00Z</datestamp></header></record></ListRecords></OAI-PMH>`
	stats, err = h.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Updated != 1 || stats.Deleted != 1 || stats.From != "2025-06-01" {
		t.Errorf("second run %+v", stats)
	}
	if r := get("123456789-1"); r.Title != fixed.Title || r.IPStatus != "patent" {
		t.Errorf("after re-harvest: title %q (corrected by staff), ip %q", r.Title, r.IPStatus)
	}
	if _, err := st.Get("kho.example.edu.vn-123456789-2"); err == nil {
		t.Errorf("deleted at the source, still here")
	}
	if get("123456789-2").Title != ours.Title {
		t.Errorf("our record went with the harvested one")
	}
	if n, _ := idx.Count(); n != 3 {
		t.Errorf("index has %d documents, store 3", n)
	}
}
