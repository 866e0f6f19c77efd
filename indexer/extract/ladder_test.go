package extract_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ketnoi/indexer/extract"
	"ketnoi/internal/pdffixture"
	"ketnoi/internal/tooltest"
)

// TestMain lets the test binary serve as an extraction worker, as the ketnoi binary does.
func TestMain(m *testing.M) {
	if os.Getenv(extract.WorkerEnv) != "" {
		if err := extract.ServeWorker(os.Stdin, os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// selfWorker re-executes the test binary as a worker.
func selfWorker() *exec.Cmd { return exec.Command(os.Args[0], "-test.run=^$") }

func writeFixture(t *testing.T, dir string, f pdffixture.Fixture) string {
	t.Helper()
	p := filepath.Join(dir, f.Name+".pdf")
	if err := os.WriteFile(p, f.PDF, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func pdftotextPages(t *testing.T, path string) []string {
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", "-q", path, "-").Output()
	if err != nil {
		return nil
	}
	pages := strings.Split(string(out), "\f")
	if n := len(pages); n > 0 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1]
	}
	return pages
}

func docCER(want []string, got []extract.Page) float64 {
	var dist, total float64
	for i, w := range want {
		g := ""
		if i < len(got) {
			g = got[i].Text
		}
		n := float64(len([]rune(strings.Join(strings.Fields(w), " "))))
		dist += extract.CER(w, g) * n
		total += n
	}
	if len(got) > len(want) {
		return 1
	}
	return dist / total
}

// TestTextFixtures: every text-layer fixture comes out with CER ≤ 0.5 % (the clean-PDF target), never
// worse than pdftotext, without OCR, and page by page.
func TestTextFixtures(t *testing.T) {
	pdffixture.NeedFont(t)
	fixtures, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	havePoppler := exec.Command("pdftotext", "-v").Run() == nil
	for _, f := range fixtures {
		t.Run(f.Name, func(t *testing.T) {
			path := writeFixture(t, dir, f)
			doc := extract.ExtractLocal(context.Background(), path, extract.Options{NoOCR: true})
			if doc.Err != nil {
				t.Fatalf("%s: %v", f.About, doc.Err)
			}
			if len(doc.Pages) != len(f.Pages) {
				t.Fatalf("%d pages, want %d", len(doc.Pages), len(f.Pages))
			}
			cer := docCER(f.Pages, doc.Pages)
			if cer > 0.005 {
				t.Errorf("CER %.2f%% > 0.5%%\ngot:\n%s\nwant:\n%s", 100*cer, doc.Text(), strings.Join(f.Pages, "\n\n"))
			}
			for _, p := range doc.Pages {
				if p.Rung == extract.RungOCR || p.Rung == "" {
					t.Errorf("page %d: rung %q", p.N, p.Rung)
				}
			}
			if havePoppler {
				if pc := docCERStrings(f.Pages, pdftotextPages(t, path)); cer > pc {
					t.Errorf("CER %.2f%% worse than pdftotext's %.2f%%", 100*cer, 100*pc)
				}
			}
		})
	}
}

func docCERStrings(want, got []string) float64 {
	ps := make([]extract.Page, len(got))
	for i, g := range got {
		ps[i].Text = g
	}
	return docCER(want, ps)
}

// TestLegacyFontsReported: text drawn in .VnTime / VNI-Times fonts is converted and the page says from
// which encoding.
func TestLegacyFontsReported(t *testing.T) {
	pdffixture.NeedFont(t)
	fixtures, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"tcvn3": "tcvn3", "vni": "vni", "clean": ""}
	dir := t.TempDir()
	for _, f := range fixtures {
		enc, ok := want[f.Name]
		if !ok {
			continue
		}
		doc := extract.ExtractLocal(context.Background(), writeFixture(t, dir, f), extract.Options{NoOCR: true})
		if doc.Err != nil || doc.Pages[0].Encoding != enc {
			t.Errorf("%s: encoding %q, err %v; want %q", f.Name, doc.Pages[0].Encoding, doc.Err, enc)
		}
	}
}

// TestHostileFixturesInWorkers runs the structural, encrypted and hostile fixtures through worker
// processes: each ends with its golden text or its typed reason, inside the limits.
func TestHostileFixturesInWorkers(t *testing.T) {
	pdffixture.NeedFont(t)
	tooltest.Need(t, "pdftotext", "pdftotext is the ladder's third rung and the fallback for files the PDF library cannot open")
	tooltest.Need(t, "qpdf", "qpdf repairs files before a second try")
	fixtures, err := pdffixture.BuildHostileFixtures()
	if err != nil {
		t.Fatal(err)
	}
	// AES-256 (R6), which the PDF library cannot decrypt: qpdf opens the owner-only file.
	aes, err := pdffixture.AES256Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	fixtures = append(fixtures, aes...)
	opt := extract.Options{NoOCR: true, FileTimeout: 3 * time.Second, MemoryBytes: 2 << 30}
	x := extract.NewExtractor(opt, 2, selfWorker)
	defer x.Close()
	dir := t.TempDir()
	for _, f := range fixtures {
		t.Run(f.Name, func(t *testing.T) {
			doc := x.Extract(context.Background(), writeFixture(t, dir, f))
			if f.WantErr != "" {
				if doc.Err == nil || string(doc.Err.Reason) != f.WantErr {
					t.Fatalf("%s: got err %v, want reason %s", f.About, doc.Err, f.WantErr)
				}
				if strings.Contains(doc.Err.Error(), "goroutine ") {
					t.Errorf("error carries a stack trace: %v", doc.Err)
				}
				return
			}
			if doc.Err != nil {
				t.Fatalf("%s: %v", f.About, doc.Err)
			}
			if cer := docCER(f.Pages, doc.Pages); cer > 0.005 {
				t.Errorf("%s: CER %.2f%%\n%s", f.About, 100*cer, doc.Text())
			}
		})
	}
}

// TestWorkerDeathCostsOneFile: a worker that dies (here: out of its memory limit reading a large file) is
// reported with a typed reason, and the next file gets a fresh worker.
func TestWorkerDeathCostsOneFile(t *testing.T) {
	pdffixture.NeedFont(t)
	dir := t.TempDir()
	fixtures, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	clean := writeFixture(t, dir, fixtures[0])
	// A worker limited to 64 MB of address space, which it is already over when the limit is set, dies when
	// it needs more: reading a 96 MB file (sparse on disk) into memory needs a new heap arena, whereas a
	// small file may fit in what the worker already has (it did one run in twenty).
	big := filepath.Join(dir, "lon.txt")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 96<<20); err != nil {
		t.Fatal(err)
	}
	x := extract.NewExtractor(extract.Options{NoOCR: true, MemoryBytes: 64 << 20}, 1, selfWorker)
	doc := x.Extract(context.Background(), big)
	x.Close()
	if doc.Err == nil || (doc.Err.Reason != extract.ReasonTooLarge && doc.Err.Reason != extract.ReasonCrashed) {
		t.Fatalf("worker with 64 MB: got %+v, want too_large or crashed", doc.Err)
	}
	if strings.Contains(doc.Err.Error(), "goroutine ") {
		t.Errorf("error carries a stack trace: %v", doc.Err)
	}
	x = extract.NewExtractor(extract.Options{NoOCR: true}, 1, selfWorker)
	defer x.Close()
	for range 2 {
		if d := x.Extract(context.Background(), clean); d.Err != nil {
			t.Fatalf("healthy worker: %v", d.Err)
		}
	}
}

// TestScannedPagesOCR: a page that is only an image is OCRed (CER < 2 %), the rung and the confidence
// recorded; without OCR the file is kept with a "needs OCR" warning, not failed.
func TestScannedPagesOCR(t *testing.T) {
	pdffixture.NeedFont(t)
	tooltest.Need(t, "tesseract", "OCR of scanned pages")
	tooltest.Need(t, "pdfimages", "finding the page images to OCR")
	tooltest.Need(t, "pdftoppm", "rendering pages for OCR")
	fixtures, err := pdffixture.BuildOCRFixtures()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	x := extract.NewExtractor(extract.Options{}, 1, nil)
	defer x.Close()
	if err := x.OCRStatus(); err != nil {
		if os.Getenv("KETNOI_REQUIRE_TOOLS") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	off := extract.NewExtractor(extract.Options{NoOCR: true}, 1, nil)
	for _, f := range fixtures {
		path := writeFixture(t, dir, f)
		doc := x.Extract(context.Background(), path)
		if doc.Err != nil {
			t.Fatalf("%s: %v", f.Name, doc.Err)
		}
		p := doc.Pages[0]
		if p.Rung != extract.RungOCR || p.OCRConfidence <= 0 {
			t.Errorf("%s: rung %s confidence %.1f, want ocr", f.Name, p.Rung, p.OCRConfidence)
		}
		if cer := docCER(f.Pages, doc.Pages); cer >= 0.02 {
			t.Errorf("%s: OCR CER %.2f%% ≥ 2%%\n%s", f.Name, 100*cer, p.Text)
		}
		d := off.Extract(context.Background(), path)
		if d.Err != nil || !hasWarning(d, extract.WarnNeedsOCR) {
			t.Errorf("%s without OCR: err %v, warnings %v; want kept with %s", f.Name, d.Err, d.Warnings, extract.WarnNeedsOCR)
		}
	}
}

func hasWarning(d *extract.Document, code string) bool {
	for _, w := range d.Warnings {
		if w.Code == code {
			return true
		}
	}
	return false
}

func TestTextQuality(t *testing.T) {
	tests := []struct {
		name string
		text string
		good bool
	}{
		{"clean", "Nghiên cứu quy trình sấy cá cơm bằng năng lượng mặt trời, công suất 50 kg/mẻ, 3 kWh.", true},
		{"abbreviations", "UBND tỉnh Bình Định, Sở KH&CN, TP. Quy Nhơn", true},
		{"split by font switch", "Nghiên c ứ u quy tr ì nh s ấ y c á c ơ m", false},
		{"lost spaces", "Nghiêncứuquytrìnhsấycácơmbằngnănglượngmặttrời và", false},
		{"tcvn3 mojibake", "B¶o ®¶m chÊt l−îng s¶n phÈm", false},
		{"vni mojibake", "haøng ngöôøi ñaõ ñöôïc", false},
		{"undecodable", "\ufffd\ufffd\ufffd \ufffd\ufffd xin", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		q, why := extract.TextQuality(tt.text)
		if (q >= extract.QualityGood) != tt.good {
			t.Errorf("%s: quality %.2f (%s), want good=%v", tt.name, q, why, tt.good)
		}
	}
}

// TestSidecarOverridesCover: report.json next to report.pdf wins field by field; the cover keeps the
// rest; a broken sidecar is a warning, not a lost file.
func TestSidecarOverridesCover(t *testing.T) {
	pdffixture.NeedFont(t)
	fixtures, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := writeFixture(t, dir, fixtures[0])
	x := extract.NewExtractor(extract.Options{NoOCR: true}, 1, nil)
	defer x.Close()
	cover := x.Extract(context.Background(), path).Metadata
	if cover.Organization == "" || cover.Sources["organization"] != "cover" {
		t.Fatalf("cover metadata: %+v", cover)
	}
	side := strings.TrimSuffix(path, ".pdf") + ".json"
	if err := os.WriteFile(side, []byte(`{"title": "Tên do cán bộ sửa", "year": 2021, "authors": "Trần Thị B; Lê Văn C"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m := x.Extract(context.Background(), path).Metadata
	if m.Title != "Tên do cán bộ sửa" || m.Year != 2021 || len(m.Authors) != 2 || m.Sources["title"] != "sidecar" {
		t.Errorf("sidecar not applied: %+v", m)
	}
	if m.Organization != cover.Organization || m.Sources["organization"] != "cover" {
		t.Errorf("cover field lost: %+v", m)
	}
	if err := os.WriteFile(side, []byte(`{"title": `), 0o644); err != nil {
		t.Fatal(err)
	}
	d := x.Extract(context.Background(), path)
	if d.Err != nil || !hasWarning(d, extract.WarnMetadata) || d.Metadata.Title != cover.Title {
		t.Errorf("broken sidecar: err %v warnings %v title %q", d.Err, d.Warnings, d.Metadata.Title)
	}
}
