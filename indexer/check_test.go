package indexer_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer"
	"ketnoi/indexer/bleveidx"
)

func openBleve(dir string) (indexer.Index, error) { return bleveidx.Open(dir) }

// sampleData is a data directory holding the sample corpus (results and needs at every confidentiality
// level), its index in step, and one record made from a kept original.
func sampleData(t *testing.T) (string, *corpus.Store, indexer.Index) {
	t.Helper()
	data := t.TempDir()
	st, err := corpus.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(recs, sample.Source); err != nil {
		t.Fatal(err)
	}
	sha, err := st.PutOriginal(strings.NewReader("Báo cáo nuôi tôm thẻ chân trắng"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutFrom([]corpus.Record{&corpus.Result{ID: "tl-goc", Kind: corpus.KindResult, Title: "Nuôi tôm thẻ chân trắng"}}, "bao-cao.txt", sha); err != nil {
		t.Fatal(err)
	}
	idx, err := indexer.OpenCurrent(data, openBleve)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if _, err := indexer.Sync(context.Background(), st, idx, nil); err != nil {
		t.Fatal(err)
	}
	return data, st, idx
}

func docOf(t *testing.T, st *corpus.Store, id string) indexer.Doc {
	t.Helper()
	e, err := st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.Decode()
	if err != nil {
		t.Fatal(err)
	}
	return indexer.DocFromRecord(rec)
}

// window caps how deep a search may page, as a backend may, to exercise Check's listing rounds.
type window struct {
	indexer.Index
	max int
}

func (w window) Search(ctx context.Context, req *indexer.SearchRequest) (*indexer.SearchResult, error) {
	r := *req
	if r.From+r.Size > w.max {
		r.Size = max(w.max-r.From, 0)
	}
	if r.Size == 0 {
		r.From, r.Size = 0, 1
		res, err := w.Index.Search(ctx, &r)
		if err == nil {
			res.Hits = nil
		}
		return res, err
	}
	return w.Index.Search(ctx, &r)
}

func TestCheckAndRepair(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// damage breaks the data directory; it returns the ids Check must name.
		damage  func(t *testing.T, data string, st *corpus.Store, idx indexer.Index) []string
		field   func(*indexer.Report) []string
		rebuild bool
	}{
		{name: "consistent", damage: func(*testing.T, string, *corpus.Store, indexer.Index) []string { return nil }},
		{name: "document missing from the index", damage: func(t *testing.T, _ string, _ *corpus.Store, idx indexer.Index) []string {
			apply(t, idx, &indexer.Batch{Delete: []string{"tl-goc", "nc-001"}})
			return []string{"nc-001", "tl-goc"}
		}, field: func(r *indexer.Report) []string { return r.Missing }},
		{name: "document without a record", damage: func(t *testing.T, _ string, st *corpus.Store, idx indexer.Index) []string {
			d := docOf(t, st, "tl-goc")
			d.ID = "ma-khong-co"
			apply(t, idx, &indexer.Batch{Put: []indexer.Doc{d}})
			return []string{"ma-khong-co"}
		}, field: func(r *indexer.Report) []string { return r.Extra }},
		{name: "deleted record still indexed", damage: func(t *testing.T, _ string, st *corpus.Store, idx indexer.Index) []string {
			d := docOf(t, st, "tl-goc")
			if err := st.Delete([]string{"tl-goc"}); err != nil {
				t.Fatal(err)
			}
			// The index claims to have applied the deletion, but still holds the document.
			seq, _ := st.Seq()
			apply(t, idx, &indexer.Batch{Put: []indexer.Doc{d}, Seq: seq})
			return []string{"tl-goc"}
		}, field: func(r *indexer.Report) []string { return r.Extra }},
		{name: "stale content", damage: func(t *testing.T, _ string, st *corpus.Store, idx indexer.Index) []string {
			d := docOf(t, st, "tl-goc")
			d.Title = "Tên cũ"
			apply(t, idx, &indexer.Batch{Put: []indexer.Doc{d}})
			return []string{"tl-goc"}
		}, field: func(r *indexer.Report) []string { return r.Stale }},
		{name: "index ahead of the store", damage: func(t *testing.T, _ string, st *corpus.Store, idx indexer.Index) []string {
			seq, _ := st.Seq()
			apply(t, idx, &indexer.Batch{Seq: seq + 5})
			return nil
		}, rebuild: true},
		{name: "everything missing", damage: func(t *testing.T, _ string, st *corpus.Store, idx indexer.Index) []string {
			var all []string
			st.Each(func(e *corpus.Entry) error { all = append(all, e.ID); return nil })
			apply(t, idx, &indexer.Batch{Delete: all})
			return all
		}, field: func(r *indexer.Report) []string { return r.Missing }, rebuild: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, st, idx := sampleData(t)
			want := tt.damage(t, data, st, idx)
			rep, err := indexer.Check(ctx, st, idx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Records < 300 || rep.IndexDocs > 0 && rep.Compared == 0 {
				t.Errorf("checked %d records, compared %d documents", rep.Records, rep.Compared)
			}
			if tt.field == nil && !tt.rebuild {
				if !rep.Consistent() {
					t.Fatalf("consistent data reported inconsistent: %+v", rep)
				}
				return
			}
			if rep.Consistent() {
				t.Fatalf("damage not found: %+v", rep)
			}
			if tt.field != nil {
				slices.Sort(want)
				if got := tt.field(rep); !slices.Equal(got, want) {
					t.Errorf("reported %v, want %v", got, want)
				}
			}
			if rep.NeedsRebuild() != tt.rebuild {
				t.Errorf("NeedsRebuild = %v, want %v", rep.NeedsRebuild(), tt.rebuild)
			}
			_, err = indexer.Repair(ctx, st, idx, rep)
			if tt.rebuild {
				if !errors.Is(err, indexer.ErrRebuild) {
					t.Fatalf("repair: %v, want ErrRebuild", err)
				}
				idx.Close()
				if _, err := indexer.Rebuild(ctx, data, st, openBleve, nil); err != nil {
					t.Fatal(err)
				}
				if idx, err = indexer.OpenCurrent(data, openBleve); err != nil {
					t.Fatal(err)
				}
				defer idx.Close()
			} else if err != nil {
				t.Fatalf("repair: %v", err)
			}
			if rep, err = indexer.Check(ctx, st, idx); err != nil || !rep.Consistent() {
				t.Errorf("after repair: %+v %v", rep, err)
			}
		})
	}
}

// TestCheckPendingIsNotDamage: changes the index has not applied yet (a crash between the store commit and
// the index batch) are reported as pending, not as damage; Repair applies them.
func TestCheckPendingIsNotDamage(t *testing.T) {
	ctx := context.Background()
	_, st, idx := sampleData(t)
	if _, err := st.Put([]corpus.Record{&corpus.Result{ID: "kq-moi", Kind: corpus.KindResult, Title: "Máy sấy nông sản"}}, "api"); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete([]string{"tl-goc"}); err != nil {
		t.Fatal(err)
	}
	rep, err := indexer.Check(ctx, st, idx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Consistent() || rep.Pending != 2 {
		t.Fatalf("pending changes: %+v", rep)
	}
	got, err := indexer.Repair(ctx, st, idx, rep)
	if err != nil || got.Synced != 2 {
		t.Fatalf("repair: %+v %v", got, err)
	}
	if rep, _ = indexer.Check(ctx, st, idx); rep.Pending != 0 || !rep.Consistent() {
		t.Errorf("after repair: %+v", rep)
	}
}

// TestCheckListsPastTheWindow: a backend that pages only so deep is listed in rounds.
func TestCheckListsPastTheWindow(t *testing.T) {
	ctx := context.Background()
	_, st, idx := sampleData(t)
	apply(t, idx, &indexer.Batch{Delete: []string{"tl-goc"}})
	rep, err := indexer.Check(ctx, st, window{idx, 150})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Missing, []string{"tl-goc"}) || len(rep.Extra) != 0 || rep.Compared != rep.Records-1 {
		t.Errorf("windowed check: missing %v, extra %v, compared %d of %d", rep.Missing, rep.Extra, rep.Compared, rep.Records)
	}
}

func TestCheckStoreDamageAndLeftovers(t *testing.T) {
	ctx := context.Background()
	data, st, idx := sampleData(t)
	e, _ := st.Get("tl-goc")
	os.Remove(st.OriginalPath(e.Original))
	os.Mkdir(filepath.Join(data, "index", "build-20200101T000000.000000000"), 0o755)
	rep, err := indexer.Check(ctx, st, idx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.IndexConsistent() || rep.Consistent() || !slices.Equal(rep.MissingOriginals, []string{"tl-goc"}) || len(rep.Leftovers) != 1 {
		t.Fatalf("report: %+v", rep)
	}
	got, err := indexer.Repair(ctx, st, idx, rep)
	if err != nil || got.Leftovers != 1 {
		t.Fatalf("repair: %+v %v", got, err)
	}
	if rep, _ = indexer.Check(ctx, st, idx); len(rep.Leftovers) != 0 {
		t.Errorf("leftover build kept: %v", rep.Leftovers)
	}
}

func apply(t *testing.T, idx indexer.Index, b *indexer.Batch) {
	t.Helper()
	if err := idx.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}
