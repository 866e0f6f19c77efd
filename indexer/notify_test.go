package indexer_test

import (
	"context"
	"path/filepath"
	"testing"

	"ketnoi/indexer"
)

// plainIndex hides every method but those of indexer.Index: an index that cannot merge itself.
type plainIndex struct{ indexer.Index }

// TestCompacterOfSeesThroughNotify: the server's index is wrapped by Notify, and must still be mergeable
// online and count its segments; an index that cannot is reported as such, wrapped or not.
func TestCompacterOfSeesThroughNotify(t *testing.T) {
	idx, err := openBleve(filepath.Join(t.TempDir(), "i"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	called := 0
	for _, tt := range []struct {
		name string
		idx  indexer.Index
		ok   bool
	}{
		{"bleve", idx, true},
		{"notify(bleve)", indexer.Notify(idx, func(*indexer.Batch) { called++ }), true},
		{"notify(notify(bleve))", indexer.Notify(indexer.Notify(idx, func(*indexer.Batch) {}), func(*indexer.Batch) {}), true},
		{"plain", plainIndex{idx}, false},
		{"notify(plain)", indexer.Notify(plainIndex{idx}, func(*indexer.Batch) {}), false},
	} {
		if _, ok := indexer.SegmentCounterOf(tt.idx); ok != tt.ok {
			t.Errorf("%s: SegmentCounterOf ok %v, want %v", tt.name, ok, tt.ok)
		}
		c, ok := indexer.CompacterOf(tt.idx)
		if ok != tt.ok {
			t.Errorf("%s: ok %v, want %v", tt.name, ok, tt.ok)
			continue
		}
		if ok {
			if err := c.Compact(context.Background()); err != nil {
				t.Errorf("%s: compact: %v", tt.name, err)
			}
		}
	}
	if called != 0 {
		t.Errorf("a merge told the hook of %d batches", called)
	}
}
