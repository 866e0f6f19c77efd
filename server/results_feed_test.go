package server

import (
	"encoding/json"
	"encoding/xml"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/internal/corpustest"
)

// resultsAtom is what the tests read of a results feed.
type resultsAtom struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      []string `xml:"id"`
	Title   []string `xml:"title"`
	Updated []string `xml:"updated"`
	Author  []struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID        []string `xml:"id"`
		Title     []string `xml:"title"`
		Updated   []string `xml:"updated"`
		Published string   `xml:"published"`
		Link      []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Category []struct {
			Term string `xml:"term,attr"`
		} `xml:"category"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

// checkAtom checks what RFC 4287 requires (section 4.1): one id (an absolute IRI), title and updated
// (RFC 3339) in the feed and in every entry, an author, a self link, an alternate link per entry without
// content by reference.
func checkAtom(t *testing.T, f *resultsAtom) {
	t.Helper()
	absolute := func(s string) bool { u, err := url.Parse(s); return err == nil && u.Scheme != "" }
	date := func(s string) bool { _, err := time.Parse(time.RFC3339, s); return err == nil }
	if len(f.ID) != 1 || !absolute(f.ID[0]) || len(f.Title) != 1 || len(f.Updated) != 1 || !date(f.Updated[0]) || len(f.Author) == 0 {
		t.Errorf("feed: id %v, title %v, updated %v, %d authors", f.ID, f.Title, f.Updated, len(f.Author))
	}
	self := false
	for _, l := range f.Links {
		self = self || (l.Rel == "self" && absolute(l.Href))
	}
	if !self {
		t.Errorf("feed without a self link: %+v", f.Links)
	}
	for _, e := range f.Entries {
		if len(e.ID) != 1 || !absolute(e.ID[0]) || len(e.Title) != 1 || len(e.Updated) != 1 || !date(e.Updated[0]) || !date(e.Published) {
			t.Errorf("entry: id %v, title %v, updated %v, published %q", e.ID, e.Title, e.Updated, e.Published)
		}
		if len(e.Link) != 1 || e.Link[0].Rel != "alternate" || !strings.Contains(e.Link[0].Href, "/ket-qua/") || e.Content.Type != "html" {
			t.Errorf("entry %v: links %+v, content type %q", e.ID, e.Link, e.Content.Type)
		}
	}
}

// TestResultsFeed: the feed of all results, of a field and of a saved search list results only, newest
// change first, each one a result the same search finds; a result changed last comes first; markup in a
// record stays text; bad parameters get the one error shape.
func TestResultsFeed(t *testing.T) {
	e := newBrokerEnv(t)
	xss := &corpus.Result{ID: "kq-xss-feed", Kind: corpus.KindResult, Title: `Máy <script>alert(1)</script> sấy cá "mới"`,
		Summary: "Sấy cá <b>nhanh</b> & đều", FieldCodes: []string{"405"}}
	// Two edits in order: the second result edited is the newest of all.
	for _, id := range []string{"kq-ts-002", "kq-ts-001"} {
		if code, body, _ := e.do(t, "PATCH", "/api/v1/results/"+id, e.staff, `{"keywords": ["sấy cá", "mới sửa"]}`); code != http.StatusOK {
			t.Fatalf("PATCH %s: %d %s", id, code, body)
		}
	}
	for _, c := range []struct {
		name, query, search string
		first               string // the entry expected first, "" when not known
	}{
		{"all", "", "", "kq-ts-001"},
		{"field", "field=405", "field=405", "kq-ts-001"},
		{"saved search", "q=" + url.QueryEscape("sấy cá") + "&field=405", "q=" + url.QueryEscape("sấy cá") + "&field=405", "kq-ts-001"},
		{"size", "size=3&year_min=2015", "year_min=2015", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body, h := e.do(t, "GET", "/feeds/results.atom?"+c.query, "", "")
			if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/atom+xml") {
				t.Fatalf("%d %q %.300s", code, h.Get("Content-Type"), body)
			}
			var f resultsAtom
			if err := xml.Unmarshal(body, &f); err != nil {
				t.Fatalf("feed does not parse: %v", err)
			}
			checkAtom(t, &f)
			if len(f.Entries) == 0 {
				t.Fatal("no entries")
			}
			if c.name == "size" && len(f.Entries) != 3 {
				t.Errorf("%d entries, want 3", len(f.Entries))
			}
			// Every entry is a result the same search finds (results only: never a need).
			code, sb, _ := e.do(t, "GET", "/api/v1/search?size=100&kind=result&"+c.search, "", "")
			var found apiSearch
			if code != http.StatusOK || json.Unmarshal(sb, &found) != nil {
				t.Fatalf("search: %d", code)
			}
			ids := map[string]bool{}
			for _, hit := range found.Hits {
				ids[hit.ID] = true
			}
			var last time.Time
			for i, en := range f.Entries {
				id := strings.TrimPrefix(en.ID[0], "urn:ketnoi:ket-qua:")
				if rec, err := e.st.Record(id); err != nil || rec.RecordKind() != corpus.KindResult {
					t.Errorf("entry %s is not a result", id)
				}
				if found.Total <= 100 && !ids[id] {
					t.Errorf("entry %s is not found by the search %q", id, c.search)
				}
				up, _ := time.Parse(time.RFC3339, en.Updated[0])
				if i > 0 && up.After(last) {
					t.Errorf("entry %d (%s) is newer than the one before", i, id)
				}
				last = up
			}
			if got := strings.TrimPrefix(f.Entries[0].ID[0], "urn:ketnoi:ket-qua:"); c.first != "" && got != c.first {
				t.Errorf("first entry %s, want %s (changed last)", got, c.first)
			}
		})
	}

	// Markup in a record is text in the feed: escaped in the title, escaped twice in the HTML content.
	if _, err := e.st.Put([]corpus.Record{xss}, "test"); err != nil {
		t.Fatal(err)
	}
	code, body, _ := e.do(t, "GET", "/feeds/results.atom", "", "")
	if code != http.StatusOK || strings.Contains(string(body), "<script>") || strings.Contains(string(body), "<b>") {
		t.Errorf("markup of a record reached the feed: %d\n%.500s", code, body)
	}
	var f resultsAtom
	if err := xml.Unmarshal(body, &f); err != nil || f.Entries[0].Title[0] != xss.Title || !strings.Contains(f.Entries[0].Content.Body, "&lt;b&gt;nhanh&lt;/b&gt;") {
		t.Errorf("the newest entry should be the record with markup, as text: %v %+v", err, f.Entries[0])
	}

	// The search page links the feed of the search it shows (its query and filters, not its page).
	_, page, _ := e.do(t, "GET", "/?q="+url.QueryEscape("sấy cá")+"&field=405&page=2", "", "")
	m := regexp.MustCompile(`class="feed" href="([^"]*)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("search page without a feed link")
	}
	u, err := url.Parse(html.UnescapeString(string(m[1])))
	if err != nil || u.Path != "/feeds/results.atom" || u.Query().Get("q") != "sấy cá" || u.Query().Get("field") != "405" || len(u.Query()) != 2 {
		t.Errorf("feed link %s", m[1])
	}

	// Outside /api/v1 errors are the error page, with the same Vietnamese message.
	for q, msg := range map[string]string{"cursor=abc": "cursor", "sort=year": "sort", "kind=need": "kind",
		"size=0": "size phải từ 1", "year_min=abc": "year_min phải là số nguyên"} {
		code, body, _ := e.do(t, "GET", "/feeds/results.atom?"+q, "", "")
		if code != http.StatusBadRequest || !strings.Contains(string(body), msg) {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
}

// TestResultsFeedReadsOnlyNewest: the public feed of all results reads the newest results only, not the
// whole corpus with its full text at every poll; it still lists them newest first, after an edit and a
// deletion too.
func TestResultsFeedReadsOnlyNewest(t *testing.T) {
	_, st, idx := corpustest.Empty(t)
	const n, bodyBytes = 120, 250 << 10 // 30 MB of full text
	putLongResults(t, st, n, bodyBytes)
	fresh := []corpus.Record{
		&corpus.Result{ID: "kq-moi-1", Kind: corpus.KindResult, Title: "Máy sấy cá cơm bằng bơm nhiệt"},
		&corpus.Result{ID: "kq-moi-2", Kind: corpus.KindResult, Title: "Lò sấy hạt điều dùng vỏ điều"},
		&corpus.Need{ID: "nc-moi", Kind: corpus.KindNeed, Title: "Cần máy sấy", Enterprise: "Cơ sở A"},
	}
	for _, r := range fresh { // one store change each, so that the order is certain
		if _, err := st.Put([]corpus.Record{r}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	edited := *fresh[0].(*corpus.Result)
	edited.Title += " (bản sửa)"
	if _, err := st.Put([]corpus.Record{&edited}, "test"); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete([]string{"kq-dai-119"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(DefaultConfig(), idx, st, nil, nil).Handler())
	defer ts.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code, body, _ := get(t, ts.URL+resultsFeedPath+"?size=3")
	runtime.ReadMemStats(&after)
	if code != http.StatusOK {
		t.Fatalf("feed: %d %s", code, body)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > n*bodyBytes/2 {
		t.Errorf("one poll of the feed allocated %d MB: the corpus's text is %d MB", alloc>>20, n*bodyBytes>>20)
	}
	var f resultsAtom
	if err := xml.Unmarshal(body, &f); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range f.Entries {
		got = append(got, e.Title[0])
	}
	want := []string{edited.Title, "Lò sấy hạt điều dùng vỏ điều", "Báo cáo dài số 118"}
	if !slices.Equal(got, want) {
		t.Errorf("feed entries %q, want %q", got, want)
	}
}
