package bleveidx

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// maxCompactRounds bounds the forced merges of one Compact: each divides the segments by ten, so a few
// suffice for any index; more only happen when writes keep adding segments.
const maxCompactRounds = 8

// Compact merges the index into as few segments as bleve allows, reclaiming deleted documents: worth it once
// after a full rebuild or a big import (smaller on disk, faster searches). It runs beside searches and
// writes, and returns once the segment files the merge replaced are gone from disk. Cancelled, it returns
// the context's error at once, and the index is whole whether or not the merge got applied. Not part of
// indexer.Index.
//
// One forced merge of bleve is one round of tasks of at most ten segments each: 41 segments come out as 4,
// which bleve's background merger then merged on its own after Compact had returned, writing new files
// while the caller measured the result. So rounds are repeated until one segment is left, or a round
// leaves as many as before (writes coming in meanwhile), and every file a round or bleve's merger made and
// a later round replaced is waited for like those the merge started from.
func (x *Index) Compact(ctx context.Context) error {
	bi, err := x.reader()
	if err != nil {
		return err
	}
	defer x.mu.RUnlock()
	adv, err := bi.Advanced()
	if err != nil {
		return fmt.Errorf("bleveidx: compact: %w", err)
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return fmt.Errorf("bleveidx: compact: index type %T is not scorch", adv)
	}
	seen, n := segmentFiles(s)
	for round := 0; round < maxCompactRounds; round++ {
		// scorch's merger takes the request only between its own merges, and waits for nothing but the
		// index closing: waiting here on ctx as well lets a shutdown go on (it returns the read lock, so
		// Close can close scorch, which ends the request).
		done := make(chan error, 1)
		go func() { done <- s.ForceMerge(ctx, &mergeplan.SingleSegmentMergePlanOptions) }()
		select {
		case err = <-done:
		case <-ctx.Done():
		}
		if err != nil || ctx.Err() != nil {
			break
		}
		files, left := segmentFiles(s)
		for f := range files {
			seen[f] = true
		}
		if left <= 1 || left >= n {
			break
		}
		n = left
	}
	x.cache.invalidate() // a merge drops deleted documents from the scoring statistics, if it got applied
	if err != nil {
		return fmt.Errorf("bleveidx: compact %s: %w", x.dir, err)
	}
	if err := ctx.Err(); err != nil { // scorch abandons a cancelled merge and returns nil
		return fmt.Errorf("bleveidx: compact %s: %w", x.dir, err)
	}
	// A segment that bleve's background merger made while a round waited for its turn, and that the round
	// then merged away, was never in a snapshot looked at here: its file is one of those in the directory
	// that are not live (as are those of any merge still running, which releaseReplaced skips once live).
	for f := range seen {
		others, _ := filepath.Glob(filepath.Join(filepath.Dir(f), "*.zap"))
		for _, o := range others {
			seen[o] = true
		}
		break
	}
	x.releaseReplaced(ctx, bi, s, seen, 10*time.Second)
	return nil
}

// compactedKey is where Compact stamps its last run (an internal value nothing reads back).
var compactedKey = []byte("ketnoi.compacted")

// segmentFiles is the paths of the files of the current snapshot's persisted segments, and how many
// segments it has (persisted or not).
func segmentFiles(s *scorch.Scorch) (map[string]bool, int) {
	files, n := map[string]bool{}, 0
	_ = withSnapshot(s, func(is *scorch.IndexSnapshot) { // no snapshot: no files to wait for
		n = len(is.Segments())
		for _, ss := range is.Segments() {
			if ps, ok := ss.Segment().(segment.PersistedSegment); ok {
				files[ps.Path()] = true
			}
		}
	})
	return files, n
}

// releaseReplaced waits, at most limit, until the files of the segments before a merge that the index no
// longer has are gone from disk. scorch deletes them when its persister runs after the snapshots holding
// them are released: it keeps the snapshot before the merge until a newer one is persisted, and a search
// that was running during the merge releases its snapshot only when it ends. In a server that receives no
// write after the merge, the persister would not run again and the index would take twice its size on disk
// until the next write or restart; so while a replaced file remains and no persisted snapshot came since the
// last look, a small write (a timestamp) moves the snapshots on.
func (x *Index) releaseReplaced(ctx context.Context, bi bleve.Index, s *scorch.Scorch, before map[string]bool, limit time.Duration) {
	persisted := func() uint64 { return atomic.LoadUint64(&s.Stats().(*scorch.Stats).LastPersistedEpoch) }
	lastEpoch := persisted()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		live, _ := segmentFiles(s)
		waiting := false
		for f := range before {
			if live[f] {
				continue
			}
			if _, err := os.Stat(f); err == nil {
				waiting = true
				break
			}
		}
		if !waiting {
			return
		}
		if e := persisted(); e == lastEpoch {
			if err := bi.SetInternal(compactedKey, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
				return
			}
			if x.onNudge != nil {
				x.onNudge()
			}
		} else {
			lastEpoch = e
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}
