package oai

import (
	"context"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/internal/corpustest"
)

// TestHarvestKeepsDeletedRecords: a harvested record with a full text is deleted here, by staff or by the
// repository, and then sent again. Staff's deletion holds — whether the repository changed the record or
// not — with a line naming the identifier and a count of its own, and its file is not fetched again;
// restoring brings it back with its file. A record the repository deleted and sends again comes back,
// and a deletion by the repository of a record staff deleted leaves it as it is.
func TestHarvestKeepsDeletedRecords(t *testing.T) {
	fx, x := fullTexts(t)
	const first = "Sấy cá cơm bằng năng lượng mặt trời"
	cases := []struct {
		name        string
		byStaff     bool   // deleted by staff, else by the repository (in the second run)
		title       string // record 1 as the last run sends it; "" sends its deletion
		restore     bool
		live        bool
		kept, added int
		fetches     int64
	}{
		{"staff deleted, sent again unchanged", true, first, false, false, 1, 0, 1},
		{"staff deleted, changed in the repository", true, first + " (bản sửa)", false, false, 1, 0, 1},
		{"staff deleted, restore asked", true, first + " (bản sửa)", true, true, 0, 1, 2},
		{"staff deleted, then deleted in the repository", true, "", false, false, 0, 0, 1},
		{"deleted in the repository, sent again", false, first, false, true, 0, 1, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, st, idx := corpustest.Empty(t)
			var mu sync.Mutex
			send := []string{first} // what each list request sends of record 1, in turn
			ts, fetches := fullTextRepo(t, fx[0].PDF, func(base string) string {
				mu.Lock()
				title := send[0]
				if len(send) > 1 {
					send = send[1:]
				}
				mu.Unlock()
				one := `<record><header status="deleted"><identifier>oai:kho.example.edu.vn:1</identifier>
<datestamp>2025-06-02T00:00:00Z</datestamp></header></record>`
				if title != "" {
					one = linkedRecord(base, "oai:kho.example.edu.vn:1", title)
				}
				return hostileList(nil, one, hostileRecord("oai:kho.example.edu.vn:2", "Nuôi cá rô phi đơn tính"))
			})
			var logs []string
			harvest := func(restore bool) Stats {
				t.Helper()
				client := &Client{BaseURL: ts.URL}
				h := &Harvester{Store: st, Index: idx, Client: client, Files: &Fetcher{Client: client}, Restore: restore,
					FileDir: filepath.Join(dir, "harvest"), Pipeline: &indexer.Pipeline{Store: st, Index: idx, Extractor: x, Workers: 1},
					Log: func(m string) { logs = append(logs, m) }}
				stats, err := h.Run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return stats
			}
			if stats := harvest(false); stats.Added != 2 || stats.Files != 1 {
				t.Fatalf("first harvest %+v", stats)
			}
			if c.byStaff {
				if err := st.Delete([]string{"1"}); err != nil {
					t.Fatal(err)
				}
				send = []string{c.title}
			} else {
				send = []string{"", c.title}
				if stats := harvest(false); stats.Deleted != 1 {
					t.Fatalf("the repository's deletion: %+v", stats)
				}
			}
			logs = nil
			stats := harvest(c.restore)
			if stats.KeptDeleted != c.kept || stats.Added != c.added || fetches.Load() != c.fetches {
				t.Errorf("last harvest %+v with %d fetches; want %d kept deleted, %d added, %d fetches", stats, fetches.Load(), c.kept, c.added, c.fetches)
			}
			rec, err := st.Record("1")
			if live := err == nil; live != c.live {
				t.Fatalf("record 1 live: %v, want %v (%v)", live, c.live, err)
			}
			if c.live {
				if r := rec.(*corpus.Result); r.Title != c.title || r.Extraction == nil {
					t.Errorf("brought back: title %q, extraction %v", r.Title, r.Extraction)
				}
			}
			said := slices.ContainsFunc(logs, func(l string) bool {
				return strings.Contains(l, "oai:kho.example.edu.vn:1") && strings.Contains(l, "bản ghi 1 đã bị xoá")
			})
			if said != (c.kept > 0) {
				t.Errorf("a line about the record kept deleted: %v, want %v\n%s", said, c.kept > 0, strings.Join(logs, "\n"))
			}
			if n, _ := idx.Count(); c.live && n != 2 || !c.live && n != 1 {
				t.Errorf("index has %d documents, record 1 live: %v", n, c.live)
			}
		})
	}
}

// TestHarvestIDDeletedElsewhere: a harvested record whose own id is that of a record of another source
// staff deleted here is stored under the id prefixed with the repository's name, and the deleted one
// stays deleted.
func TestHarvestIDDeletedElsewhere(t *testing.T) {
	_, st, idx := corpustest.Empty(t)
	if _, err := st.Put([]corpus.Record{&corpus.Result{ID: "1", Kind: corpus.KindResult, Title: "Kết quả nhập từ tệp"}}, "mau.csv"); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete([]string{"1"}); err != nil {
		t.Fatal(err)
	}
	ts, _ := hostileRepo(t, func(string, int) string {
		return hostileList(nil, hostileRecord("oai:kho.example.edu.vn:1", "Nuôi cá rô phi đơn tính"))
	})
	h := &Harvester{Store: st, Index: idx, Client: &Client{BaseURL: ts.URL}}
	stats, err := h.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Added != 1 || stats.KeptDeleted != 0 {
		t.Errorf("harvest %+v", stats)
	}
	// The repository names no identifier scheme: its host is its name.
	u, _ := url.Parse(ts.URL)
	if r := storedResult(t, st, u.Hostname()+"-1"); r.Title != "Nuôi cá rô phi đơn tính" {
		t.Errorf("harvested record %+v", r)
	}
	if _, err := st.Get("1"); err == nil {
		t.Errorf("the record staff deleted came back")
	}
}

// TestHarvestIDWithdrawnElsewhere: a harvested record whose id is that of another source's record that went
// with its source (here its file, gone) does not take the id: that record comes back under it when its
// file does, and would overwrite the harvested one.
func TestHarvestIDWithdrawnElsewhere(t *testing.T) {
	_, st, idx := corpustest.Empty(t)
	file := corpus.FileState{Path: "/bao-cao/1.txt", DocID: "1", Outcome: corpus.FileIndexed}
	rec := &corpus.Result{ID: "1", Kind: corpus.KindResult, Title: "Báo cáo lập chỉ mục từ tệp"}
	if _, err := st.PutFiles([]corpus.FileChange{{State: file, Record: rec}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ForgetGoneFiles([]string{file.Path}); err != nil {
		t.Fatal(err)
	}
	ts, _ := hostileRepo(t, func(string, int) string {
		return hostileList(nil, hostileRecord("oai:kho.example.edu.vn:1", "Nuôi cá rô phi đơn tính"))
	})
	h := &Harvester{Store: st, Index: idx, Client: &Client{BaseURL: ts.URL}}
	if stats, err := h.Run(context.Background()); err != nil || stats.Added != 1 {
		t.Fatalf("harvest %+v %v", stats, err)
	}
	u, _ := url.Parse(ts.URL)
	if r := storedResult(t, st, u.Hostname()+"-1"); r.Title != "Nuôi cá rô phi đơn tính" {
		t.Errorf("harvested record %+v", r)
	}
	if e, err := st.Tombstone("1"); err != nil || !e.Deleted {
		t.Errorf("the id of the record gone with its file was taken: %+v %v", e, err)
	}
}
