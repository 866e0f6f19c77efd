package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

// TestSearchLeavesOutClosedNeeds: the public search of needs (API and page) lists only the needs still
// sought; closed and expired ones are neither listed nor counted, in the total or the facets, and a need
// that closes or expires after a search is gone from the next one.
func TestSearchLeavesOutClosedNeeds(t *testing.T) {
	day := func(d int) string { return time.Now().In(corpus.Vietnam).AddDate(0, 0, d).Format("2006-01-02") }
	need := func(id, deadline string) *corpus.Need {
		return &corpus.Need{ID: id, Kind: corpus.KindNeed, Title: "Cần công nghệ chế biến hạt mắc ca " + id,
			FieldCodes: []string{"405"}, Locality: "quy-nhon", Deadline: deadline}
	}
	srv, st := storeServer(t, DefaultConfig(), []corpus.Record{
		need("nc-mc-mo", day(365)), need("nc-mc-ghep", ""), need("nc-mc-het", day(-1)), need("nc-mc-dong", day(30)),
	})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	// Expires in a moment, with no write to the store after it: only the clock moves it out of the list.
	soon := time.Now().Add(3 * time.Second).Truncate(time.Second)
	if _, err := st.Put([]corpus.Record{need("nc-mc-sap", soon.Format(time.RFC3339))}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := indexer.Sync(context.Background(), st, srv.idx, nil); err != nil {
		t.Fatal(err)
	}
	for id, state := range map[string]string{"nc-mc-ghep": corpus.NeedMatched, "nc-mc-dong": corpus.NeedClosed} {
		if err := st.SetNeedState(id, state, corpus.ActorSystem, "kiểm thử"); err != nil {
			t.Fatal(err)
		}
	}

	search := func(t *testing.T, v url.Values) apiSearch {
		t.Helper()
		code, body, _ := get(t, ts.URL+"/api/v1/search?"+v.Encode())
		var r apiSearch
		if code != 200 || json.Unmarshal(body, &r) != nil {
			t.Fatalf("%s: %d %s", v.Encode(), code, body)
		}
		return r
	}
	ids := func(r apiSearch) []string {
		var out []string
		for _, h := range r.Hits {
			out = append(out, h.ID)
		}
		slices.Sort(out)
		return out
	}
	facet := func(r apiSearch, name, value string) int {
		for _, f := range r.Facets[name] {
			if f.Value == value {
				return f.Count
			}
		}
		return 0
	}
	check := func(t *testing.T, want []string) {
		t.Helper()
		for _, kinds := range [][]string{{"need"}, {"result", "need"}} {
			r := search(t, url.Values{"q": {`"mắc ca"`}, "kind": kinds, "size": {"20"}})
			if got := ids(r); !slices.Equal(got, want) || r.Total != uint64(len(want)) {
				t.Errorf("kind=%v: hits %v (total %d), want %v", kinds, got, r.Total, want)
			}
			if n := facet(r, indexer.FacetLocality, "quy-nhon"); n != len(want) {
				t.Errorf("kind=%v: locality facet counts %d, want %d", kinds, n, len(want))
			}
			if n := facet(r, indexer.FacetField, "405"); n != len(want) {
				t.Errorf("kind=%v: field facet counts %d, want %d", kinds, n, len(want))
			}
		}
		code, body, _ := get(t, ts.URL+"/?"+url.Values{"q": {`"mắc ca"`}, "kind": {"need"}}.Encode())
		if code != 200 {
			t.Fatalf("page: %d", code)
		}
		for _, id := range []string{"nc-mc-mo", "nc-mc-ghep", "nc-mc-het", "nc-mc-dong", "nc-mc-sap"} {
			// A need links to its own page: /ket-qua/ is for results, and answers 404 for a need.
			if listed := strings.Contains(string(body), `href="/nhu-cau/`+id+`"`); listed != slices.Contains(want, id) {
				t.Errorf("page: %s listed %v, want %v", id, listed, !listed)
			}
		}
	}

	before := func(t *testing.T) {
		if time.Now().After(soon.Add(-500 * time.Millisecond)) {
			t.Skip("the machine was too slow to search before nc-mc-sap expired")
		}
	}
	t.Run("open only", func(t *testing.T) {
		before(t)
		check(t, []string{"nc-mc-ghep", "nc-mc-mo", "nc-mc-sap"})
	})
	t.Run("closed since the last search", func(t *testing.T) {
		before(t)
		if err := st.SetNeedState("nc-mc-mo", corpus.NeedClosed, corpus.ActorSystem, "kiểm thử"); err != nil {
			t.Fatal(err)
		}
		check(t, []string{"nc-mc-ghep", "nc-mc-sap"})
	})
	t.Run("expired since the last search", func(t *testing.T) {
		time.Sleep(time.Until(soon) + 100*time.Millisecond)
		check(t, []string{"nc-mc-ghep"})
	})

	// Not listed, but an old link still reaches the need's page: it must say the need is no longer sought.
	t.Run("need pages", func(t *testing.T) {
		for _, tc := range []struct{ id, ended string }{
			{"nc-mc-ghep", ""}, {"nc-mc-mo", "Đã đóng"}, {"nc-mc-dong", "Đã đóng"}, {"nc-mc-het", "Đã hết hạn"},
		} {
			code, body, _ := get(t, ts.URL+"/nhu-cau/"+tc.id)
			banner := strings.Contains(string(body), `class="ended"`)
			if code != 200 || banner != (tc.ended != "") ||
				(tc.ended != "" && !strings.Contains(string(body), "không còn được tìm: "+tc.ended)) {
				t.Errorf("/nhu-cau/%s: %d, notice shown %v, want state %q", tc.id, code, banner, tc.ended)
			}
		}
	})

	t.Run("every need of the sample", func(t *testing.T) {
		states, err := st.NeedStates(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var listed []string
		v := url.Values{"kind": {"need"}, "size": {"100"}}
		for {
			r := search(t, v)
			for _, h := range r.Hits {
				if !corpus.NeedOpen(states[h.ID]) {
					t.Errorf("%s listed, state %s", h.ID, states[h.ID])
				}
				listed = append(listed, h.ID)
			}
			if r.NextCursor == "" || len(r.Hits) == 0 {
				if int(r.Total) != len(listed) {
					t.Errorf("total %d, %d needs listed", r.Total, len(listed))
				}
				break
			}
			v.Set("cursor", r.NextCursor)
		}
		open := 0
		for id, s := range states {
			rec, err := st.Record(id)
			if err != nil {
				t.Fatal(err)
			}
			if corpus.NeedOpen(s) && rec.(*corpus.Need).EffectiveConfidentiality() != corpus.ConfBrokerOnly {
				open++
			}
		}
		if states["nc-001"] != corpus.NeedExpired || slices.Contains(listed, "nc-001") {
			t.Errorf("nc-001 (deadline 2026-03-31) is %s, listed %v", states["nc-001"], slices.Contains(listed, "nc-001"))
		}
		if len(listed) != open {
			t.Errorf("%d needs listed, %d open ones the public may see", len(listed), open)
		}
	})
}

// TestNeedAPIState: GET /api/v1/needs/{id} gives the record's fields as before and, under "status", its
// effective state: open needs, a closed one (with its reason for a caller with a key only) and an expired
// one are told apart, as the status route tells them.
func TestNeedAPIState(t *testing.T) {
	day := func(d int) string { return time.Now().In(corpus.Vietnam).AddDate(0, 0, d).Format("2006-01-02") }
	need := func(id, deadline string) *corpus.Need {
		return &corpus.Need{ID: id, Kind: corpus.KindNeed, Title: "Cần máy bóc vỏ hạt điều " + id, Deadline: deadline}
	}
	old := need("nc-tt-mo", day(365))
	// An unknown field of the same name, kept from an imported record, does not hide the state.
	old.Extra = map[string]json.RawMessage{"status": json.RawMessage(`"đang tìm"`)}
	ts, st, key := brokerStoreServer(t, old, need("nc-tt-ghep", ""), need("nc-tt-dong", day(30)), need("nc-tt-het", day(-1)))
	const why = "Doanh nghiệp đã tự mua thiết bị"
	if err := st.SetNeedState("nc-tt-ghep", corpus.NeedMatched, corpus.ActorSystem, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.SetNeedState("nc-tt-dong", corpus.NeedClosed, corpus.ActorSystem, why); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		id, state, label, deadline string
		open                       bool
		reason                     string // with a key
	}{
		{"nc-tt-mo", corpus.NeedPublished, "Đã đăng", day(365), true, ""},
		{"nc-tt-ghep", corpus.NeedMatched, "Đã tìm được kết quả phù hợp", "", true, ""},
		{"nc-tt-dong", corpus.NeedClosed, "Đã đóng", day(30), false, why},
		{"nc-tt-het", corpus.NeedExpired, "Đã hết hạn", day(-1), false, ""},
	} {
		for _, withKey := range []bool{false, true} {
			k := ""
			if withKey {
				k = key
			}
			code, body, _ := call(t, "GET", ts.URL+"/api/v1/needs/"+tc.id, k, "", nil)
			var got struct {
				corpus.Need
				Status needStateJSON `json:"status"`
			}
			var rec corpus.Need
			if code != 200 || json.Unmarshal(body, &got) != nil || json.Unmarshal(body, &rec) != nil {
				t.Fatalf("%s: %d %s", tc.id, code, body)
			}
			s := got.Status
			if rec.ID != tc.id || rec.Title != "Cần máy bóc vỏ hạt điều "+tc.id || rec.Deadline != tc.deadline {
				t.Errorf("%s: record fields changed: %s", tc.id, body)
			}
			if s.State != tc.state || s.StateLabel != tc.label || s.Open != tc.open || s.Deadline != tc.deadline || s.UpdatedAt.IsZero() {
				t.Errorf("%s: status %+v, want %s (%s), open %v", tc.id, s, tc.state, tc.label, tc.open)
			}
			if want := map[bool]string{true: tc.reason}[withKey]; s.Reason != want {
				t.Errorf("%s (key %v): reason %q, want %q", tc.id, withKey, s.Reason, want)
			}
			// The same state as the status route's.
			if withKey {
				_, sb, _ := call(t, "GET", ts.URL+"/api/v1/needs/"+tc.id+"/status", key, "", nil)
				var sr needStatusJSON
				if err := json.Unmarshal(sb, &sr); err != nil || sr.State != s.State || !sr.UpdatedAt.Equal(s.UpdatedAt) {
					t.Errorf("%s: status route says %s at %v, the record %s at %v", tc.id, sr.State, sr.UpdatedAt, s.State, s.UpdatedAt)
				}
			}
		}
	}
}
