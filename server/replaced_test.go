package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
)

// TestReplacedReportLinksRedirect: a report file indexed, judged by a broker, then changed twice (each
// version a new document): the broker's decision follows it to the current version, the old ids' pages
// and API addresses redirect there for good (query kept), writes to an old id are not redirected, the
// index stays consistent with the store, and once the current version is deleted the old links answer
// 404 instead of leading to it.
func TestReplacedReportLinksRedirect(t *testing.T) {
	e := newBrokerEnv(t)
	st, idx, ts, broker, staff := e.st, e.srv.idx, e.ts, e.broker, e.staff
	x := extract.NewExtractor(extract.Options{NoOCR: true}, 1, nil)
	t.Cleanup(func() { x.Close() })

	report := filepath.Join(t.TempDir(), "may-say.txt")
	index := func(text string, age time.Duration) string {
		t.Helper()
		if err := os.WriteFile(report, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(age) // a new modification time whatever the clock's grain
		if err := os.Chtimes(report, at, at); err != nil {
			t.Fatal(err)
		}
		var id string
		p := &indexer.Pipeline{Store: st, Index: idx, Extractor: x, Workers: 1, WriteLock: e.srv.WriteLock(),
			OnFile: func(o indexer.FileOutcome) { id = o.DocID }}
		if _, err := p.Run(context.Background(), []string{report}); err != nil || id == "" {
			t.Fatalf("index %s: %q %v", report, id, err)
		}
		return id
	}
	v1 := index("Máy sấy cá cơm bằng bơm nhiệt cho làng nghề Nhơn Lý, công suất 500 kg mẻ.", -time.Hour)
	code, b, _ := call(t, http.MethodPost, ts.URL+"/api/v1/match/feedback", broker, "application/json",
		strings.NewReader(`{"need_id": "nc-mo", "result_id": "`+v1+`", "decision": "accept"}`))
	if code != http.StatusCreated {
		t.Fatalf("feedback: %d %s", code, b)
	}
	v2 := index("Máy sấy cá cơm bằng bơm nhiệt cho làng nghề Nhơn Lý, công suất 800 kg mẻ (bản sửa).", 0)
	v3 := index("Máy sấy cá cơm bằng bơm nhiệt cho làng nghề Nhơn Lý, công suất 1000 kg mẻ (bản cuối).", time.Hour)
	if v1 == v2 || v2 == v3 || v1 == v3 {
		t.Fatalf("versions share an id: %s %s %s", v1, v2, v3)
	}

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ask := func(method, path, key string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	for _, tc := range []struct {
		method, path, key string
		code              int
		location          string
	}{
		{"GET", "/ket-qua/" + v1, "", http.StatusMovedPermanently, "/ket-qua/" + v3},
		{"HEAD", "/ket-qua/" + v2, "", http.StatusMovedPermanently, "/ket-qua/" + v3},
		{"GET", "/api/v1/results/" + v1, "", http.StatusPermanentRedirect, "/api/v1/results/" + v3},
		{"GET", "/api/v1/results/" + v2 + "/similar?size=3", "", http.StatusPermanentRedirect, "/api/v1/results/" + v3 + "/similar?size=3"},
		{"GET", "/api/v1/results/" + v1 + "/needs", "", http.StatusPermanentRedirect, "/api/v1/results/" + v3 + "/needs"},
		{"GET", "/api/v1/results/" + v1 + "/file", "", http.StatusPermanentRedirect, "/api/v1/results/" + v3 + "/file"},
		{"GET", "/api/v1/results/" + v3, "", http.StatusOK, ""},
		{"DELETE", "/api/v1/results/" + v1, staff, http.StatusConflict, ""}, // names the current version
		{"GET", "/ket-qua/tl-khong-co", "", http.StatusNotFound, ""},
	} {
		if code, loc := ask(tc.method, tc.path, tc.key); code != tc.code || loc != tc.location {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, code, loc, tc.code, tc.location)
		}
	}
	// Staff following an old link to the edit form land on the current version's form; a form posted to an
	// old id is not redirected (a redirect would drop it), it is refused.
	web := newBrowser(t, ts.URL)
	web.signIn(staff, "/can-bo")
	if p := web.get("/can-bo/sua/" + v1); p.code != http.StatusMovedPermanently || p.h.Get("Location") != "/can-bo/sua/"+v3 {
		t.Errorf("edit form of an old id: %d %q", p.code, p.h.Get("Location"))
	}
	if p := web.post("/can-bo/sua/"+v1, url.Values{"csrf": {web.csrf()}, "year": {"2020"}}); p.code != http.StatusNotFound {
		t.Errorf("edit posted to an old id: %d", p.code)
	}
	// A client that follows redirects gets the current version.
	code, b, _ = get(t, ts.URL+"/api/v1/results/"+v1)
	var rec struct{ ID, Title string }
	if code != http.StatusOK || json.Unmarshal(b, &rec) != nil || rec.ID != v3 {
		t.Errorf("following the old link: %d %s", code, b)
	}
	// The broker's decision is on the current version, and the need stays matched.
	code, b, _ = call(t, http.MethodGet, ts.URL+"/api/v1/match/feedback?need_id=nc-mo", broker, "", nil)
	var fb struct{ Feedback []corpus.Feedback }
	if code != http.StatusOK || json.Unmarshal(b, &fb) != nil || len(fb.Feedback) != 1 || fb.Feedback[0].ResultID != v3 {
		t.Errorf("decisions after the file changed: %d %s", code, b)
	}
	if state, err := st.NeedState("nc-mo", time.Now()); err != nil || state != corpus.NeedMatched {
		t.Errorf("need state %q (%v), want matched", state, err)
	}
	if rep, err := indexer.Check(context.Background(), st, idx); err != nil || !rep.Consistent() {
		t.Errorf("check after the replacements: %+v %v", rep, err)
	}

	// Deleted: the old links lead nowhere.
	if code, _ := ask("DELETE", "/api/v1/results/"+v3, staff); code != http.StatusNoContent {
		t.Fatalf("delete %s: %d", v3, code)
	}
	for _, path := range []string{"/ket-qua/" + v1, "/api/v1/results/" + v2, "/api/v1/results/" + v3} {
		if code, loc := ask("GET", path, ""); code != http.StatusNotFound || loc != "" {
			t.Errorf("GET %s after the current version was deleted: %d %q", path, code, loc)
		}
	}
}
