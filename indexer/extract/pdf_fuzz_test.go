package extract_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ketnoi/indexer/extract"
)

// FuzzExtractPDF feeds mutated PDFs to the extractor in its isolated worker: every input ends with text
// or a typed reason within the limits, and the fuzzing process itself never dies with the worker.
func FuzzExtractPDF(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "pdf", "*.pdf"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/Contents 4 0 R>>endobj\n4 0 obj<</Length 22>>stream\nBT (Xin chao) Tj ET\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"))
	x := extract.NewExtractor(extract.Options{NoOCR: true, FileTimeout: time.Second, MemoryBytes: 1 << 30, Pdftotext: "-", Qpdf: "-"}, 1, selfWorker)
	f.Cleanup(x.Close)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "f.pdf")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		d := x.Extract(context.Background(), p)
		if d.Err != nil && !knownReasons[d.Err.Reason] {
			t.Fatalf("untyped reason %q", d.Err.Reason)
		}
	})
}
