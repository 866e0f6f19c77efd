package vntext

import (
	"bytes"
	"os"
	"testing"
)

func benchTokens(b *testing.B) ([][]byte, int) {
	data, err := os.ReadFile("testdata/quynhon.txt")
	if err != nil {
		b.Fatal(err)
	}
	toks := bytes.Fields(data)
	n := 0
	for _, t := range toks {
		n += len(t)
	}
	return toks, n
}

func BenchmarkAppendKey(b *testing.B) {
	toks, n := benchTokens(b)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	var dst []byte
	for b.Loop() {
		for _, t := range toks {
			dst = AppendKey(dst[:0], t)
		}
	}
}

func BenchmarkAppendFoldKey(b *testing.B) {
	toks, n := benchTokens(b)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	var dst []byte
	for b.Loop() {
		for _, t := range toks {
			dst = AppendFoldKey(dst[:0], t)
		}
	}
}

func BenchmarkKey(b *testing.B) {
	data, err := os.ReadFile("testdata/quynhon.txt")
	if err != nil {
		b.Fatal(err)
	}
	s := string(data)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		_ = Key(s)
	}
}
