package oai

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
)

// serve puts a provider behind a real HTTP server (GET and POST, as the server package does).
func serve(t *testing.T, p *Provider, pages *[][]byte) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, err := p.Respond(r.Form, "http://"+r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if pages != nil {
			*pages = append(*pages, b)
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Write(b)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// localOf is the record id in an OAI identifier of ours.
func localOf(identifier string) string {
	_, local, _ := strings.Cut(strings.TrimPrefix(identifier, "oai:"), ":")
	id, _ := url.PathUnescape(local)
	return id
}

// liveResults lists the ids of a store's results, and of its deleted results.
func liveResults(t *testing.T, st *corpus.Store) (live, deleted []string) {
	t.Helper()
	_, err := st.Changes(0, 0, func(e *corpus.Entry) error {
		if e.Kind == corpus.KindResult {
			if e.Deleted {
				deleted = append(deleted, e.ID)
			} else {
				live = append(live, e.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(live)
	sort.Strings(deleted)
	return live, deleted
}

// TestHarvestPagesWhileStoreChanges: a harvester client pages through ListRecords over HTTP with the
// resumption tokens; while it does, a record it has seen and one it has not are changed and one it has
// not seen is deleted. Every result comes, none is lost, the changed ones come in their new version, the
// deleted one as a deleted header; cursor and completeListSize say where the list is; every page is valid.
func TestHarvestPagesWhileStoreChanges(t *testing.T) {
	st := testStore(t)
	p := NewProvider(st, Config{PageSize: 17})
	var pages [][]byte
	ts := serve(t, p, &pages)
	c := &Client{BaseURL: ts.URL + "/oai"}
	live, deleted := liveResults(t, st)
	ctx := context.Background()

	args := url.Values{"verb": {"ListRecords"}, "metadataPrefix": {"oai_dc"}}
	seen := map[string][]Record{}
	var order []string
	received, total := 0, 0
	changedSeen, changedUnseen, deletedUnseen := "", "", ""
	for n := 0; ; n++ {
		r, err := c.Do(ctx, args)
		if err != nil {
			t.Fatal(err)
		}
		if e := r.Err(); e != nil {
			t.Fatalf("page %d: %s", n, e)
		}
		if n == 0 {
			total = r.CompleteListSize
			if total != len(live)+len(deleted) {
				t.Errorf("completeListSize %d, store has %d results and %d deleted", total, len(live), len(deleted))
			}
		}
		if r.HasToken && r.Cursor != received {
			t.Errorf("page %d: cursor %d after %d records", n, r.Cursor, received)
		}
		for _, rec := range r.Records {
			id := localOf(rec.Identifier)
			seen[id] = append(seen[id], rec)
			order = append(order, id)
		}
		received += len(r.Records)
		if n == 0 {
			// Change one record already sent, one not yet sent, and delete one not yet sent.
			changedSeen, changedUnseen, deletedUnseen = order[0], live[len(live)-1], live[len(live)-2]
			if slices.Contains(order, changedUnseen) || slices.Contains(order, deletedUnseen) {
				t.Fatalf("records %s and %s were meant to be unseen", changedUnseen, deletedUnseen)
			}
			for _, id := range []string{changedSeen, changedUnseen} {
				e, err := st.Get(id)
				if err != nil {
					t.Fatal(err)
				}
				rec, _ := e.Decode()
				res := rec.(*corpus.Result)
				res.Title += " (bản sửa)"
				if _, err := st.Put([]corpus.Record{res}, "test"); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Delete([]string{deletedUnseen}); err != nil {
				t.Fatal(err)
			}
		}
		if r.Token == "" {
			if n > 0 && (!r.HasToken || r.CompleteListSize < total) {
				t.Errorf("last page: token element %v, completeListSize %d", r.HasToken, r.CompleteListSize)
			}
			break
		}
		args = url.Values{"verb": {"ListRecords"}, "resumptionToken": {r.Token}}
	}
	for _, id := range live {
		if len(seen[id]) == 0 {
			t.Errorf("result %s never came", id)
		}
	}
	for id, recs := range seen {
		want := 1
		if id == changedSeen {
			want = 2 // once as it was, once changed
		}
		if len(recs) != want {
			t.Errorf("%s came %d times, want %d", id, len(recs), want)
		}
		last := recs[len(recs)-1]
		switch {
		case id == deletedUnseen || slices.Contains(deleted, id):
			if !last.Deleted || last.DC != nil {
				t.Errorf("%s: deleted %v, metadata %v", id, last.Deleted, last.DC != nil)
			}
		case id == changedSeen || id == changedUnseen:
			if !strings.HasSuffix(first(last.DC.Title), "(bản sửa)") {
				t.Errorf("%s came as %q, not in its changed version", id, first(last.DC.Title))
			}
		case last.Deleted || last.DC == nil || first(last.DC.Title) == "":
			t.Errorf("%s: no metadata", id)
		}
	}
	for i, b := range pages {
		if i%5 == 0 || i == len(pages)-1 {
			validate(t, b)
		}
	}
}

// TestSetsAndDates: a set holds the results of its fields and subfields (and every deleted result); from
// and until select by datestamp, inclusive, at either granularity.
func TestSetsAndDates(t *testing.T) {
	st := testStore(t)
	p := NewProvider(st, Config{PageSize: 1000})
	live, deleted := liveResults(t, st)
	inField := func(top string) []string {
		var out []string
		for _, id := range live {
			e, _ := st.Get(id)
			rec, _ := e.Decode()
			for _, code := range rec.(*corpus.Result).FieldCodes {
				if t, ok := corpus.Fields.Lookup(code); ok && (top == "" || code == top || t.Parent == top) {
					out = append(out, id)
					break
				}
			}
		}
		return append(out, deleted...)
	}
	ids := func(r *Response) []string {
		var out []string
		for _, rec := range r.Records {
			out = append(out, localOf(rec.Identifier))
		}
		sort.Strings(out)
		return out
	}
	for _, c := range []struct{ set, top string }{{"field", ""}, {"field:2", "2"}, {"field:4", "4"}, {"field:4:405", "405"}} {
		want := inField(c.top)
		sort.Strings(want)
		_, r := respond(t, p, "verb=ListIdentifiers&metadataPrefix=oai_dc&set="+c.set)
		if got := ids(r); !slices.Equal(got, want) {
			t.Errorf("set %s: %d records, want %d", c.set, len(got), len(want))
		}
		for _, rec := range r.Records {
			if !rec.Deleted && !slices.ContainsFunc(rec.SetSpecs, func(s string) bool { return s == c.set || strings.HasPrefix(s, c.set+":") }) {
				t.Errorf("set %s: %s has setSpecs %v", c.set, rec.Identifier, rec.SetSpecs)
			}
		}
	}
	_, sets := respond(t, p, "verb=ListSets")
	if len(sets.Sets) != len(corpus.Fields.Terms())+1 || !slices.Contains(sets.Sets, "field:2:207") {
		t.Errorf("ListSets: %d sets", len(sets.Sets))
	}

	// Datestamps: a second batch, stamped at least a second after the first.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	second := time.Now().UTC().Truncate(time.Second)
	late := &corpus.Result{ID: "kq-muon", Kind: corpus.KindResult, Title: "Kết quả nhập sau"}
	if _, err := st.Put([]corpus.Record{late}, "test"); err != nil {
		t.Fatal(err)
	}
	stamp := FormatDatestamp(second)
	before := FormatDatestamp(second.Add(-time.Second))
	cases := []struct {
		query string
		want  []string
	}{
		{"&from=" + stamp, []string{"kq-muon"}},
		{"&from=" + stamp + "&until=" + stamp, []string{"kq-muon"}},
		{"&until=" + before, append(append([]string{}, live...), deleted...)},
		{"&from=" + second.Format(layoutDays), nil}, // today: everything (the store was filled today)
	}
	for _, c := range cases {
		_, r := respond(t, p, "verb=ListIdentifiers&metadataPrefix=oai_dc"+c.query)
		got := ids(r)
		if c.want == nil {
			if len(got) != len(live)+len(deleted)+1 {
				t.Errorf("%s: %d records", c.query, len(got))
			}
			continue
		}
		sort.Strings(c.want)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %d records %v…, want %d", c.query, len(got), got[:min(3, len(got))], len(c.want))
		}
	}
}

// TestClientRetriesBusyRepository: a 503 with Retry-After is asked again after the time it names, a
// repository that stays busy is given up after the retries, and a 404 is not retried.
func TestClientRetriesBusyRepository(t *testing.T) {
	p := NewProvider(testStore(t), Config{})
	busy, calls := 2, 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		switch {
		case r.URL.Path == "/gone":
			http.NotFound(w, r)
		case busy > 0 || r.URL.Path == "/always-busy":
			busy--
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "bận")
		default:
			r.ParseForm()
			b, _ := p.Respond(r.Form, "http://"+r.Host)
			w.Write(b)
		}
	}))
	defer ts.Close()
	var waits []time.Duration
	sleep := func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	c := &Client{BaseURL: ts.URL + "/oai", Sleep: sleep, MaxRetries: 3}
	if _, _, err := c.Identify(context.Background()); err != nil {
		t.Fatalf("Identify after two 503s: %v", err)
	}
	if !slices.Equal(waits, []time.Duration{7 * time.Second, 7 * time.Second}) || calls != 3 {
		t.Errorf("waits %v over %d calls", waits, calls)
	}
	waits, calls = nil, 0
	c.BaseURL = ts.URL + "/always-busy"
	if _, _, err := c.Identify(context.Background()); err == nil || calls != 4 {
		t.Errorf("always busy: %v after %d calls", err, calls)
	}
	calls = 0
	c.BaseURL = ts.URL + "/gone"
	if _, _, err := c.Identify(context.Background()); err == nil || calls != 1 {
		t.Errorf("404: %v after %d calls", err, calls)
	}
}
