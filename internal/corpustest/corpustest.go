// Package corpustest gives tests a real data directory: a store holding the bundled sample corpus (and any
// records a test adds) and a bleve index in step with it, closed when the test ends.
package corpustest

import (
	"context"
	"testing"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer"
	"ketnoi/indexer/bleveidx"
)

// Sample opens a store in a temporary directory with the sample corpus and extra, and its index synced.
func Sample(t testing.TB, extra ...corpus.Record) (string, *corpus.Store, indexer.Index) {
	t.Helper()
	dir, st := SampleStore(t, extra...)
	idx := openIndex(t, dir)
	if _, err := indexer.Sync(context.Background(), st, idx, nil); err != nil {
		t.Fatal(err)
	}
	return dir, st, idx
}

// SampleStore is Sample without the index, for tests that only read the store.
func SampleStore(t testing.TB, extra ...corpus.Record) (string, *corpus.Store) {
	t.Helper()
	dir, st := emptyStore(t)
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(append(recs, extra...), sample.Source); err != nil {
		t.Fatal(err)
	}
	return dir, st
}

// Empty opens an empty store and its index in a temporary directory.
func Empty(t testing.TB) (string, *corpus.Store, indexer.Index) {
	t.Helper()
	dir, st := emptyStore(t)
	return dir, st, openIndex(t, dir)
}

func emptyStore(t testing.TB) (string, *corpus.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := corpus.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return dir, st
}

func openIndex(t testing.TB, dir string) indexer.Index {
	t.Helper()
	idx, err := indexer.OpenCurrent(dir, func(d string) (indexer.Index, error) { return bleveidx.Open(d) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}
