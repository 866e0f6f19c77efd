package oai

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
	"ketnoi/internal/corpustest"
	"ketnoi/internal/pdffixture"
)

// TestHarvestFullTextSentAgain: a record whose full text was fetched, and whose empty fields the
// pipeline filled from the document's cover, is sent again by the repository (a harvest from an earlier
// date, a repository at day granularity). Unchanged, it stays as it is: not counted as updated, its file
// not fetched again, what came from the cover kept. Changed, it is updated, its file read again, and
// what came from the cover is back.
func TestHarvestFullTextSentAgain(t *testing.T) {
	fx, x := fullTexts(t)
	cases := []struct {
		name, secondTitle                  string
		added, updated, unchanged, fetches int
	}{
		{"sent again unchanged", "Sấy cá cơm bằng năng lượng mặt trời", 0, 0, 1, 1},
		{"sent again changed", "Sấy cá cơm bằng năng lượng mặt trời (bản sửa)", 0, 1, 0, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, st, idx := corpustest.Empty(t)
			title := "Sấy cá cơm bằng năng lượng mặt trời"
			// Title and link only: summary, authors, organisation and year come from the cover.
			ts, fetches := fullTextRepo(t, fx[0].PDF, func(base string) string {
				return hostileList(nil, linkedRecord(base, "oai:kho.example.edu.vn:1", title))
			})
			harvest := func() Stats {
				t.Helper()
				client := &Client{BaseURL: ts.URL}
				h := &Harvester{Store: st, Index: idx, Client: client, Files: &Fetcher{Client: client},
					FileDir: filepath.Join(dir, "harvest"), Pipeline: &indexer.Pipeline{Store: st, Index: idx, Extractor: x, Workers: 1}}
				stats, err := h.Run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return stats
			}
			if stats := harvest(); stats.Added != 1 || stats.Files != 1 {
				t.Fatalf("first harvest %+v", stats)
			}
			first := storedResult(t, st, "1")
			if first.Summary == "" || first.Organization == "" || first.Extraction == nil {
				t.Fatalf("the cover filled nothing: %+v", first)
			}
			title = c.secondTitle
			stats := harvest()
			if stats.Added != c.added || stats.Updated != c.updated || stats.Unchanged != c.unchanged || fetches.Load() != int64(c.fetches) {
				t.Errorf("second harvest %+v with %d fetches of the file, want %d updated, %d unchanged, %d fetches",
					stats, fetches.Load(), c.updated, c.unchanged, c.fetches)
			}
			got := storedResult(t, st, "1")
			if got.Title != c.secondTitle || got.Summary != first.Summary || got.Organization != first.Organization ||
				got.Year != first.Year || got.Extraction == nil || len(got.Pages) != len(first.Pages) {
				t.Errorf("after the second harvest: %+v\nafter the first: %+v", got, first)
			}
		})
	}
}

// fullTextRepo serves Identify, a PDF at /tep/bao-cao.pdf (counting its fetches), and every list request
// through list, given the repository's URL.
func fullTextRepo(t *testing.T, pdf []byte, list func(base string) string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var fetches atomic.Int64
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		switch {
		case r.URL.Path == "/tep/bao-cao.pdf":
			fetches.Add(1)
			w.Header().Set("Content-Type", "application/pdf")
			w.Write(pdf)
		case r.Form.Get("verb") == "Identify":
			fmt.Fprint(w, hostileIdentify)
		default:
			fmt.Fprint(w, list(ts.URL))
		}
	}))
	t.Cleanup(ts.Close)
	return ts, &fetches
}

// linkedRecord is an oai_dc record with a title and a link to the PDF fullTextRepo serves at base.
func linkedRecord(base, identifier, title string) string {
	return fmt.Sprintf(`<record><header><identifier>%s</identifier>
<datestamp>2025-05-30T08:00:00Z</datestamp></header><metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>%s</dc:title><dc:relation>%s/tep/bao-cao.pdf</dc:relation>
</oai_dc:dc></metadata></record>`, identifier, title, base)
}

// fullTexts gives the text PDFs of the fixtures, to serve as full texts, and an extractor to read them.
func fullTexts(t *testing.T) ([]pdffixture.Fixture, *extract.Extractor) {
	t.Helper()
	pdffixture.NeedFont(t)
	fx, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	x := extract.NewExtractor(extract.Options{NoOCR: true}, 0, nil)
	t.Cleanup(func() { x.Close() })
	return fx, x
}

func storedResult(t *testing.T, st *corpus.Store, id string) *corpus.Result {
	t.Helper()
	rec, err := st.Record(id)
	if err != nil {
		t.Fatal(err)
	}
	return rec.(*corpus.Result)
}
