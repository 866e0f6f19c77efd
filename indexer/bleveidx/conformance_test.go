package bleveidx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"ketnoi/indexer"
	"ketnoi/indexer/indextest"
)

func TestConformance(t *testing.T) {
	for _, opts := range []Options{{Bigrams: false}, {Bigrams: true}} {
		name := "unigrams"
		if opts.Bigrams {
			name = "bigrams"
		}
		t.Run(name, func(t *testing.T) {
			indextest.Run(t, func(t *testing.T, dir string) indexer.Index {
				idx, err := OpenWith(dir, opts)
				if err != nil {
					t.Fatalf("OpenWith: %v", err)
				}
				return idx
			})
		})
	}
	// An index built before the combined bigram field, with per-field bigram variants, keeps working.
	t.Run("per-field bigrams", func(t *testing.T) {
		indextest.Run(t, func(t *testing.T, dir string) indexer.Index {
			if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err != nil {
				bi, err := bleve.NewUsing(dir, newIndexMapping(perFieldBigrams), scorch.Name, scorch.Name, nil)
				if err != nil {
					t.Fatal(err)
				}
				bi.Close()
			}
			idx, err := Open(dir)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if idx.layout != perFieldBigrams || idx.text == nil {
				t.Fatalf("layout %+v, shared analysis %v", idx.layout, idx.text != nil)
			}
			return idx
		})
	})
}
