package bleveidx

import (
	"testing"

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
}
