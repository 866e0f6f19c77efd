package bleveidx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"

	"ketnoi/indexer"
)

func openTest(t *testing.T, opts Options) *Index {
	t.Helper()
	idx, err := OpenWith(filepath.Join(t.TempDir(), "idx"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

func TestApplySplitsBatches(t *testing.T) {
	docs, _ := benchDocs(t, 23)
	big := docs[0]
	big.ID, big.Body = "kq-big", strings.Repeat("Máy sấy cá cơm năng lượng mặt trời. ", 400) // ~15 KB
	docs = append(docs, big)
	for _, tc := range []struct {
		name       string
		opts       Options
		wantPieces int
	}{
		{"by count", Options{BatchDocs: 5, BatchBytes: 1 << 30}, 5}, // 24 documents: 5+5+5+5+4
		{"by bytes", Options{BatchDocs: 1000, BatchBytes: 8 << 10}, 0},
		{"one piece", Options{}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := openTest(t, tc.opts)
			var pieces []string
			idx.onPiece = func(n, size int) { pieces = append(pieces, fmt.Sprintf("%d/%d", n, size)) }
			if err := idx.Apply(context.Background(), &indexer.Batch{Put: docs, Seq: 7}); err != nil {
				t.Fatal(err)
			}
			if tc.wantPieces > 0 && len(pieces) != tc.wantPieces {
				t.Errorf("pieces %v, want %d", pieces, tc.wantPieces)
			}
			if tc.wantPieces == 0 { // by bytes: several pieces, none far above the limit but for a single big doc
				if len(pieces) < 3 {
					t.Errorf("pieces %v: not split by bytes", pieces)
				}
				for _, p := range pieces {
					var n, size int
					fmt.Sscanf(p, "%d/%d", &n, &size)
					if size > 8<<10 && n > 1 {
						t.Errorf("piece %s over the byte limit with several documents", p)
					}
				}
			}
			if n, _ := idx.Count(); n != uint64(len(docs)) {
				t.Errorf("Count %d, want %d", n, len(docs))
			}
			if seq, _ := idx.AppliedSeq(); seq != 7 {
				t.Errorf("AppliedSeq %d, want 7", seq)
			}
		})
	}
}

func TestApplyCancelled(t *testing.T) {
	idx := openTest(t, Options{BatchDocs: 2})
	docs, _ := benchDocs(t, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := idx.Apply(ctx, &indexer.Batch{Put: docs, Seq: 9})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply with a cancelled context: %v", err)
	}
	if seq, _ := idx.AppliedSeq(); seq != 0 {
		t.Errorf("a cancelled batch recorded seq %d", seq)
	}
	if err := idx.Apply(context.Background(), &indexer.Batch{Put: []indexer.Doc{{Kind: "result"}}}); err == nil {
		t.Error("a document without ID was accepted")
	}
}

func TestReopenKeepsOptions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	idx, err := OpenWith(dir, Options{Bigrams: false})
	if err != nil {
		t.Fatal(err)
	}
	idx.Close()
	idx, err = Open(dir) // default options: the stored mapping wins
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if idx.Options().Bigrams {
		t.Error("reopened index claims bigram fields it was not built with")
	}
}

func TestOpenRejectsForeignIndex(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte(`{"storage":"nope"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if idx, err := Open(dir); err == nil {
		idx.Close()
		t.Fatal("opened a directory that holds no ketnoi index")
	}
}

func TestPageStarts(t *testing.T) {
	pages := []string{"Trang một.", "", "Trang ba có máy sấy.", "Trang bốn."}
	body := strings.Join(pages, "\n\n")
	starts := pageStarts(body, pages)
	for _, tc := range []struct {
		off, page int
	}{{0, 1}, {5, 1}, {strings.Index(body, "máy"), 3}, {strings.Index(body, "bốn"), 4}} {
		if got := pageOf(starts, tc.off); got != tc.page {
			t.Errorf("offset %d: page %d, want %d (starts %q)", tc.off, got, tc.page, starts)
		}
	}
	if got := pageOf(pageStarts("other text", pages[:1]), 3); got != 0 {
		t.Errorf("pages not in body: page %d, want 0", got)
	}
}

// Equal sort keys are ordered by ID whatever the insertion order, so pages never shift.
func TestIDTiebreak(t *testing.T) {
	idx := openTest(t, Options{})
	for _, id := range []string{"kq-9", "kq-5", "kq-7", "kq-1", "kq-3"} {
		applyDocs(t, idx, indexer.Doc{ID: id, Kind: "result", Title: "Máy sấy cá", Year: 2020, TRL: 5})
	}
	for _, sort := range []string{"", "year", "-year", "trl", "-trl"} {
		for _, q := range []string{"", "máy sấy"} {
			ids, _ := hitIDs(t, idx, &indexer.SearchRequest{Query: indexer.ParseQuery(q), Sort: sort})
			if want := []string{"kq-1", "kq-3", "kq-5", "kq-7", "kq-9"}; !slices.Equal(ids, want) {
				t.Errorf("sort %q query %q: %v, want %v", sort, q, ids, want)
			}
		}
	}
}

// Searches run while batches are applied, and Close waits for them.
func TestConcurrentUse(t *testing.T) {
	idx := openTest(t, Options{Bigrams: true, BatchDocs: 20})
	docs, _ := benchDocs(t, 200)
	done := make(chan error, 4)
	for g := range 3 {
		go func() {
			for i := range 30 {
				_, err := idx.Search(context.Background(), &indexer.SearchRequest{
					Query:     indexer.ParseQuery([]string{"máy sấy", "lua", `"cá cơm" -mặn`}[(g+i)%3]),
					Highlight: true, Facets: []string{indexer.FacetYear, indexer.FacetSector}, Sectors: []string{"A"}})
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	go func() {
		for j := 0; j < len(docs); j += 50 {
			if err := idx.Apply(context.Background(), &indexer.Batch{Put: docs[j : j+50], Seq: uint64(j + 50)}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if seq, _ := idx.AppliedSeq(); seq != 200 {
		t.Errorf("AppliedSeq %d", seq)
	}
}

// persistedSegments builds an index of five segments, each persisted as its own file before the next (bleve
// would otherwise merge them in memory), fewer than a merge tier holds so that bleve's own merger leaves them
// to Compact; the last two replace documents, leaving deletions behind. It returns functions counting the
// segment files on disk and the segments of the current snapshot.
func persistedSegments(t *testing.T) (idx *Index, zaps func() []string, segments func() int) {
	idx = openTest(t, Options{BatchDocs: 20})
	docs, _ := benchDocs(t, 100)
	zaps = func() []string {
		m, _ := filepath.Glob(filepath.Join(idx.dir, "store", "*.zap"))
		return m
	}
	for _, part := range [][]indexer.Doc{docs[:20], docs[20:40], docs[40:60], docs[:20], docs[20:40]} {
		n := len(zaps())
		applyDocs(t, idx, part...)
		for deadline := time.Now().Add(10 * time.Second); len(zaps()) == n && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	segments = func() int {
		adv, _ := idx.bi.Advanced()
		r, err := adv.Reader()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		return len(r.(*scorch.IndexSnapshot).Segments())
	}
	return idx, zaps, segments
}

func TestCompact(t *testing.T) {
	idx, zaps, segments := persistedSegments(t)
	before, filesBefore := segments(), zaps()
	if err := idx.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after := segments(); before < 2 || after >= before {
		t.Errorf("segments: %d before Compact, %d after", before, after)
	}
	if n, err := idx.SegmentCount(); err != nil || n != segments() {
		t.Errorf("SegmentCount %d, %v; the snapshot has %d", n, err, segments())
	}
	// The replaced files are gone when Compact returns, with no further write: a quiet server's index does
	// not keep both generations on disk.
	if files := zaps(); len(files) != segments() {
		t.Errorf("%d segment files after Compact for %d segments (%d files before)", len(files), segments(), len(filesBefore))
	}
	if n, _ := idx.Count(); n != 60 {
		t.Errorf("Count after Compact: %d", n)
	}
	if ids, _ := hitIDs(t, idx, &indexer.SearchRequest{Query: indexer.ParseQuery("máy sấy")}); len(ids) == 0 {
		t.Error("nothing found after Compact")
	}
	idx.Close()
	if err := idx.Compact(context.Background()); !errors.Is(err, indexer.ErrClosed) {
		t.Errorf("Compact after Close: %v", err)
	}
}

// TestCompactManySegments: an index of more segments than one forced merge of bleve takes (its tasks merge
// ten at a time) is still one segment, in one file, when Compact returns; bleve's own merger is held off so
// that it does not finish later what Compact left undone.
func TestCompactManySegments(t *testing.T) {
	idx := openTest(t, Options{holdMerges: true})
	docs, _ := benchDocs(t, 30)
	for i := range 35 { // one persisted segment each; the last five replace documents
		applyDocs(t, idx, docs[i%30])
	}
	zaps := func() []string {
		m, _ := filepath.Glob(filepath.Join(idx.dir, "store", "*.zap"))
		return m
	}
	before, _ := idx.SegmentCount()
	if before <= 10 {
		t.Fatalf("%d segments before Compact, want more than one forced merge takes", before)
	}
	if err := idx.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := idx.SegmentCount(); n != 1 || len(zaps()) != 1 {
		t.Errorf("after Compact: %d segments, segment files %v (%d segments before)", n, zaps(), before)
	}
	if n, _ := idx.Count(); n != 30 {
		t.Errorf("Count after Compact: %d", n)
	}
}

// TestCompactCancelled: a cancelled merge (Ctrl+C, server shutdown) says so at once and leaves every
// document searchable.
func TestCompactCancelled(t *testing.T) {
	idx, _, segments := persistedSegments(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- idx.Compact(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Compact with a cancelled context: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Compact with a cancelled context did not return")
	}
	if n, _ := idx.Count(); n != 60 || segments() == 0 {
		t.Errorf("after a cancelled merge: %d documents, %d segments", n, segments())
	}
	if ids, _ := hitIDs(t, idx, &indexer.SearchRequest{Query: indexer.ParseQuery("máy sấy")}); len(ids) == 0 {
		t.Error("nothing found after a cancelled merge")
	}
}

// TestCompactUnderWrites: with writes going on, scorch's persister runs by itself and Compact adds no writes
// of its own (it once wrote every 200 ms for its whole 10 s limit, waiting for a file count that steady
// writes never reach); the replaced files are gone when it returns.
func TestCompactUnderWrites(t *testing.T) {
	idx, _, _ := persistedSegments(t)
	var nudges atomic.Int32
	idx.onNudge = func() { nudges.Add(1) }
	adv, _ := idx.bi.Advanced()
	before, _ := segmentFiles(adv.(*scorch.Scorch))
	docs, _ := benchDocs(t, 100)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			applyDocs(t, idx, docs[60+i%40])
		}
	}()
	err := idx.Compact(context.Background())
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	live, _ := segmentFiles(adv.(*scorch.Scorch))
	for f := range before {
		if _, err := os.Stat(f); err == nil && !live[f] {
			t.Errorf("replaced file %s still on disk", filepath.Base(f))
		}
	}
	if n := nudges.Load(); n > 5 {
		t.Errorf("Compact wrote %d times while writes were going on", n)
	}
}

// TestCompactReleasesReplacedFiles: a search still running on the snapshot before the merge holds the
// replaced files; once it ends, they go, without any write from outside (a server may receive none).
func TestCompactReleasesReplacedFiles(t *testing.T) {
	idx, zaps, segments := persistedSegments(t)
	adv, _ := idx.bi.Advanced()
	r, err := adv.Reader() // the running search
	if err != nil {
		t.Fatal(err)
	}
	before := len(zaps())
	go func() {
		time.Sleep(300 * time.Millisecond)
		r.Close()
	}()
	if err := idx.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if files := zaps(); len(files) != segments() || segments() >= before {
		t.Errorf("%d segment files for %d segments after Compact (%d before)", len(files), segments(), before)
	}
}

// TestDiskSizeCountsLiveIndexOnce: after a merge, while the segments it replaced are still on disk (a search
// running on the snapshot before it holds them, as scorch's persister also keeps a merge's output beside its
// inputs until it is introduced), DiskSize is the live index: the current snapshot's segment files and the
// index's other files, not the same documents twice.
func TestDiskSizeCountsLiveIndexOnce(t *testing.T) {
	idx := openTest(t, Options{holdMerges: true}) // no background merge but the one below
	docs, _ := benchDocs(t, 30)
	for i := range 6 { // one persisted segment each
		applyDocs(t, idx, docs[i*5:(i+1)*5]...)
	}
	adv, _ := idx.bi.Advanced()
	s := adv.(*scorch.Scorch)
	// files sums the files under the index: the live segments', the other segment files', the rest.
	files := func() (live, stale, other int64) {
		seg, _ := segmentFiles(s)
		_ = filepath.WalkDir(idx.dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return nil
			}
			switch {
			case seg[path]:
				live += fi.Size()
			case filepath.Ext(path) == ".zap":
				stale += fi.Size()
			default:
				other += fi.Size()
			}
			return nil
		})
		return live, stale, other
	}
	// check compares DiskSize with the live files, measured before and after it until the files hold still
	// (scorch's persister may be writing its root file meanwhile).
	check := func(t *testing.T, wantStale bool) {
		t.Helper()
		for try := 0; ; try++ {
			l1, s1, o1 := files()
			got, err := idx.DiskSize()
			l2, s2, o2 := files()
			if err != nil {
				t.Fatal(err)
			}
			if l1 != l2 || s1 != s2 || o1 != o2 {
				if try < 50 {
					continue
				}
				t.Fatal("the index files kept changing")
			}
			if wantStale != (s1 > 0) {
				t.Fatalf("replaced segment files on disk: %d bytes, want some: %v", s1, wantStale)
			}
			if got != l1+o1 || l1 == 0 {
				t.Errorf("DiskSize %d, want the live index %d (segments %d + other files %d; replaced segments %d)", got, l1+o1, l1, o1, s1)
			}
			return
		}
	}
	check(t, false)
	search, err := adv.Reader() // a search running on the snapshot before the merge
	if err != nil {
		t.Fatal(err)
	}
	defer search.Close()
	if err := s.ForceMerge(context.Background(), &mergeplan.SingleSegmentMergePlanOptions); err != nil {
		t.Fatal(err)
	}
	if n, _ := idx.SegmentCount(); n != 1 {
		t.Fatalf("%d segments after the merge", n)
	}
	check(t, true)
}
