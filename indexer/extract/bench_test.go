package extract_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer/extract"
	"ketnoi/internal/pdffixture"
)

// benchPDF writes an n-page clean Vietnamese report (LibreOffice-style fonts), 40 lines a page, the text
// taken from the sample corpus so that pages differ.
func benchPDF(b *testing.B, n int) string {
	b.Helper()
	ttf, err := pdffixture.LoadFont()
	if err != nil {
		b.Skip(err)
	}
	recs, err := sample.Records()
	if err != nil {
		b.Fatal(err)
	}
	var words []string
	for _, r := range recs {
		if res, ok := r.(*corpus.Result); ok {
			words = append(words, strings.Fields(res.Title+" "+res.Summary+" "+res.Body)...)
		}
	}
	bld := pdffixture.NewBuilder("bench")
	f := bld.Type0(ttf)
	var pages []pdffixture.Page
	w := 0
	for range n {
		var lines []string
		for range 40 {
			var line []string
			for l := 0; l < 80 && w < len(words)*1000; w++ {
				word := words[w%len(words)]
				line = append(line, word)
				l += len([]rune(word)) + 1
			}
			lines = append(lines, strings.Join(line, " "))
		}
		var c pdffixture.Content
		c.Lines("F1", f, 10, lines)
		pages = append(pages, pdffixture.Page{Content: c.Bytes(), Fonts: map[string]pdffixture.Ref{"F1": f.Ref()}})
	}
	pdf, err := bld.Bytes(bld.Document(pages), 0)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "bench.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkExtractCleanPDF measures the ladder on clean pages (one rung each), in this process.
func BenchmarkExtractCleanPDF(b *testing.B) {
	path := benchPDF(b, 100)
	b.ResetTimer()
	pages := 0
	for b.Loop() {
		d := extract.ExtractLocal(context.Background(), path, extract.Options{NoOCR: true})
		if d.Err != nil {
			b.Fatal(d.Err)
		}
		for _, p := range d.Pages {
			if p.Rung != extract.RungPlain {
				b.Fatalf("page %d climbed to %s: %s", p.N, p.Rung, p.Why)
			}
		}
		pages += len(d.Pages)
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkPdftotextCleanPDF is the reference: poppler on the same file, one process per file.
func BenchmarkPdftotextCleanPDF(b *testing.B) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		b.Skip("pdftotext not installed")
	}
	path := benchPDF(b, 100)
	b.ResetTimer()
	for b.Loop() {
		if err := exec.Command("pdftotext", "-enc", "UTF-8", "-q", path, "-").Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "pages/s")
}
