package bleveidx

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"

	"ketnoi/indexer"
)

// BenchmarkAnalyze runs every analyzer one text field goes through, over real Vietnamese prose.
func BenchmarkAnalyze(b *testing.B) {
	text := []byte(readProse(b))
	for _, tc := range []struct {
		name      string
		analyzers []analysis.Analyzer
	}{
		{"unigrams", []analysis.Analyzer{exactAnalyzer, foldedAnalyzer}},
		{"bigrams", []analysis.Analyzer{exactAnalyzer, foldedAnalyzer, exactBigramAnalyzer, foldedBigramAnalyzer}},
		{"exact", []analysis.Analyzer{exactAnalyzer}},
		{"folded", []analysis.Analyzer{foldedAnalyzer}},
		{"tokenizer", nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				if tc.analyzers == nil {
					syllableTokenizer.Tokenize(text)
				}
				for _, a := range tc.analyzers {
					a.Analyze(text)
				}
			}
		})
	}
}

// benchDocs cuts the prose into n records of about 1 KB with every field set.
func benchDocs(tb testing.TB, n int) ([]indexer.Doc, int) {
	paras := strings.Split(readProse(tb), "\n\n")
	var docs []indexer.Doc
	textBytes := 0
	for i := 0; i < n; i++ {
		p := paras[i%len(paras)]
		q := paras[(i*7+3)%len(paras)]
		title, rest, _ := strings.Cut(p, ". ")
		d := indexer.Doc{
			ID: fmt.Sprintf("kq-%06d", i), Kind: indexer.KindResult,
			Title:        title,
			Summary:      clip(rest, 400),
			Keywords:     "công nghệ; thủy sản; nông nghiệp; " + fmt.Sprint(i%97),
			Applications: clip(q, 150),
			Advantages:   "Tiết kiệm chi phí, dễ vận hành, phù hợp điều kiện địa phương.",
			Body:         clip(rest, 300) + " " + clip(q, 200),
			FieldCodes:   []string{"2", fmt.Sprint(200 + i%10)}, Sectors: []string{"A", "01"},
			IPStatus: "filed", TransferForms: []string{"equipment"}, Organization: fmt.Sprintf("Viện số %d", i%50),
			Authors: []string{"Nguyễn Văn An", "Trần Thị Bích"}, Province: "gia-lai", LegacyProvince: "binh-dinh",
			Locality: "quy-nhon", Language: "vi", Year: 2000 + i%25, TRL: 1 + i%9, PriceMin: 1e8, PriceMax: 2e8,
		}
		textBytes += len(d.Title) + len(d.Summary) + len(d.Keywords) + len(d.Applications) + len(d.Advantages) + len(d.Body)
		docs = append(docs, d)
	}
	return docs, textBytes
}

// settledSize waits for bleve to remove the files a merge replaced, then returns the index size.
func settledSize(idx *Index) int64 {
	last, same := int64(-1), 0
	for i := 0; i < 100 && same < 5; i++ {
		time.Sleep(100 * time.Millisecond)
		n, _ := idx.DiskSize()
		if n == last {
			same++
		} else {
			last, same = n, 0
		}
	}
	return last
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := strings.LastIndexByte(s[:n], ' ')
	if i < 0 {
		return s[:n]
	}
	return s[:i]
}

// BenchmarkIndex reports documents per second for ~1 KB records and the index size per MB of text.
func BenchmarkIndex(b *testing.B) {
	const n = 4000
	docs, textBytes := benchDocs(b, n)
	for _, bigrams := range []bool{false, true} {
		b.Run(fmt.Sprintf("bigrams=%v", bigrams), func(b *testing.B) {
			var size int64
			for i := 0; b.Loop(); i++ {
				idx, err := OpenWith(filepath.Join(b.TempDir(), fmt.Sprint(i)), Options{Bigrams: bigrams})
				if err != nil {
					b.Fatal(err)
				}
				for j := 0; j < n; j += indexer.SyncBatch { // as Sync applies them
					if err := idx.Apply(context.Background(), &indexer.Batch{Put: docs[j:min(j+indexer.SyncBatch, n)], Seq: uint64(j + 1)}); err != nil {
						b.Fatal(err)
					}
				}
				if err := idx.Close(); err != nil {
					b.Fatal(err)
				}
				idx, _ = OpenWith(idx.dir, Options{})
				b.StopTimer()
				if err := idx.Compact(context.Background()); err != nil {
					b.Fatal(err)
				}
				size = settledSize(idx)
				idx.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "docs/s")
			b.ReportMetric(float64(size)/(float64(textBytes)/(1<<20))/(1<<20), "MBidx/MBtext")
			b.ReportMetric(float64(textBytes)/n, "textB/doc")
		})
	}
}
