package extract

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ketnoi/internal/pdffixture"
	"ketnoi/internal/tooltest"
)

// scanGolden is a report's cover as a scanner sees it: Vietnamese with every kind of diacritic, and the
// English that reports mix in (hence vie+eng).
var scanGolden = []string{
	"BÁO CÁO TỔNG KẾT ĐỀ TÀI KHOA HỌC CẤP BỘ",
	"Nghiên cứu ứng dụng công nghệ thông tin trong quản lý",
	"giáo dục đại học ở Việt Nam giai đoạn 2016-2020",
	"Chủ nhiệm đề tài: PGS.TS. Nguyễn Thị Hương",
	"Cơ quan chủ trì: Trường Đại học Sư phạm Hà Nội",
	"Mã số: B2019-SPH-07. Năm nghiệm thu: 2021",
	"Tóm tắt: đề tài khảo sát mười hai trường đại học và",
	"đề xuất mô hình quản lý dựa trên dữ liệu.",
	"Keywords: data-driven management, higher education.",
}

// needOCRTools skips (or fails under KETNOI_REQUIRE_TOOLS=1) without tesseract and poppler.
func needOCRTools(t testing.TB) {
	t.Helper()
	tooltest.Need(t, "tesseract", "OCR of scanned pages")
	tooltest.Need(t, "pdftoppm", "rendering scanned pages for OCR")
	tooltest.Need(t, "pdfimages", "listing and copying out page images for OCR")
	if err := OCRAvailable(OCROptions{}); err != nil {
		if tooltest.Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// writeFixture writes PDF bytes to a file in the test's temp dir.
func writeFixture(t testing.TB, name string, pdf []byte, err error) string {
	t.Helper()
	if errors.Is(err, pdffixture.ErrNoFont) && !tooltest.Required() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// scannedPages is a PDF of several scanned pages, each the lines of one element of pages, JPEG where
// jpeg says so.
func scannedPages(t testing.TB, pages [][]string, jpeg []bool) string {
	t.Helper()
	b := pdffixture.NewBuilder(fmt.Sprintf("ocr test %q %v", pages, jpeg))
	var ps []pdffixture.Page
	var err error
	for i, lines := range pages {
		img, ierr := pdffixture.RenderLines(lines, 300)
		if ierr != nil {
			err = ierr
			break
		}
		im, ierr := b.Image(img, jpeg[i])
		if ierr != nil {
			err = ierr
			break
		}
		content := fmt.Sprintf("q %g 0 0 %g 0 0 cm /Im1 Do Q", pdffixture.A4[0], pdffixture.A4[1])
		ps = append(ps, pdffixture.Page{Content: []byte(content), XObjects: map[string]pdffixture.Ref{"Im1": im}})
	}
	var pdf []byte
	if err == nil {
		pdf, err = b.Bytes(b.Document(ps), b.Info("Scanned", "ocr test"))
	}
	return writeFixture(t, "scanned.pdf", pdf, err)
}

// cer is CER (metrics.go) with the arguments in the order of these tests.
func cer(got, want string) float64 { return CER(want, got) }

func TestCER(t *testing.T) {
	for _, c := range []struct {
		got, want string
		cer       float64
	}{
		{"Việt  Nam\n", "Việt Nam", 0},
		{"Viet Nam", "Việt Nam", 1.0 / 8},
		{"", "abcd", 1},
		{"abXcd", "abcd", 0.25},
	} {
		if got := cer(c.got, c.want); got != c.cer {
			t.Errorf("cer(%q, %q) = %v, want %v", c.got, c.want, got, c.cer)
		}
	}
}

// toolLog wraps a tool in a script that appends its arguments to a log, so a test can see which pages
// were rendered or copied out.
func toolLog(t *testing.T, name string) (bin string, calls func() []string) {
	return toolScript(t, name, "")
}

// toolScript is toolLog with shell code run before the tool, where $REAL is the tool and $PDF the file.
func toolScript(t *testing.T, name, code string) (bin string, calls func() []string) {
	t.Helper()
	real, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, name+".log")
	bin = filepath.Join(dir, name)
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> '%s'\nREAL='%s'\nfor PDF; do :; done\n%s\nexec \"$REAL\" \"$@\"\n",
		log, real, code)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, func() []string {
		b, _ := os.ReadFile(log)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
}

func TestOCRPagesScanned(t *testing.T) {
	needOCRTools(t)
	for _, jpeg := range []bool{true, false} {
		t.Run(map[bool]string{true: "jpeg", false: "flate"}[jpeg], func(t *testing.T) {
			pdf, err := pdffixture.Scanned(scanGolden, 300, jpeg)
			path := writeFixture(t, "scan.pdf", pdf, err)
			imgs, err := ListImages(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			if pi := imgs[1]; pi.Count != 1 || !pi.FullPage || pi.JPEG != jpeg || pi.DPI != 300 {
				t.Errorf("ListImages page 1 = %+v, want 1 full-page image at 300 dpi, JPEG %v", pi, jpeg)
			}
			pdftoppm, rendered := toolLog(t, "pdftoppm")
			pdfimages, copied := toolLog(t, "pdfimages")
			// Page 2 does not exist: it fails alone, page 1 is still OCRed.
			res, errs := OCRPages(context.Background(), path, []int{1, 2}, imgs,
				OCROptions{Workers: 2, Pdftoppm: pdftoppm, Pdfimages: pdfimages})
			p, ok := res[1]
			if !ok || len(res) != 1 {
				t.Fatalf("got pages %v, errors %v; want page 1 only", keys(res), errs)
			}
			want := strings.Join(scanGolden, "\n")
			if e := cer(p.Text, want); e >= 0.02 {
				t.Errorf("CER %.3f ≥ 2%%:\n got: %s\nwant: %s", e, p.Text, want)
			} else {
				t.Logf("CER %.4f, confidence %.1f, %d words (%d low)", e, p.Confidence, p.Words, p.LowConfidenceWords)
			}
			if p.N != 1 || p.Confidence <= 0 || p.Words < 50 || p.LowConfidenceWords > p.Words {
				t.Errorf("page = N %d, confidence %v, %d words, %d low", p.N, p.Confidence, p.Words, p.LowConfidenceWords)
			}
			var oe *OCRError
			if len(errs) != 1 || !errors.As(errs[0], &oe) || oe.Page != 2 || !strings.HasPrefix(errs[0].Error(), "trang 2: ") {
				t.Errorf("errors = %v, want one *OCRError for page 2", errs)
			}
			// The JPEG is copied out, not rendered; the missing page is tried by pdftoppm alone.
			if jpeg {
				if c := copied(); len(c) != 1 || !strings.HasPrefix(c[0], "-j -p -f 1 -l 1 ") {
					t.Errorf("pdfimages calls %q, want one -j for page 1", c)
				}
				if r := rendered(); len(r) != 1 || !strings.Contains(r[0], "-f 2 -l 2 ") {
					t.Errorf("pdftoppm calls %q, want page 2 only", r)
				}
			} else if r := rendered(); len(r) < 1 || !strings.Contains(r[0], "-r 300 -gray -f 1 -l 2 ") {
				t.Errorf("pdftoppm calls %q, want one run for pages 1–2 first", r)
			}
		})
	}
}

// A file mixing JPEG and Flate scans: only the pages asked for are touched, each the right way.
func TestOCRPagesOnlyAsked(t *testing.T) {
	needOCRTools(t)
	pages := [][]string{
		{"Trang một: không được hỏi đến."},
		{"Trang hai: ảnh nén Flate, phải dựng lại ở 300 dpi.", "Kết quả nghiên cứu được công bố."},
		{"Trang ba: ảnh JPEG, chép ra nguyên vẹn.", "Hội đồng nghiệm thu đánh giá xuất sắc."},
		{"Trang bốn: cũng không được hỏi đến."},
	}
	path := scannedPages(t, pages, []bool{true, false, true, false})
	imgs, err := ListImages(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if !imgs[1].JPEG || imgs[2].JPEG || !imgs[3].JPEG || imgs[4].JPEG || !imgs[2].FullPage || !imgs[4].FullPage {
		t.Fatalf("ListImages = %+v", imgs)
	}
	pdftoppm, rendered := toolLog(t, "pdftoppm")
	pdfimages, copied := toolLog(t, "pdfimages")
	res, errs := OCRPages(context.Background(), path, []int{3, 2}, imgs,
		OCROptions{Workers: 2, Pdftoppm: pdftoppm, Pdfimages: pdfimages})
	if len(errs) > 0 || len(res) != 2 {
		t.Fatalf("got pages %v, errors %v", keys(res), errs)
	}
	for _, n := range []int{2, 3} {
		if e := cer(res[n].Text, strings.Join(pages[n-1], "\n")); e >= 0.02 {
			t.Errorf("page %d: CER %.3f: %q", n, e, res[n].Text)
		}
	}
	if r := rendered(); len(r) != 1 || !strings.Contains(r[0], "-f 2 -l 2 ") {
		t.Errorf("pdftoppm calls %q, want page 2 only", r)
	}
	if c := copied(); len(c) != 1 || !strings.Contains(c[0], "-f 3 -l 3 ") {
		t.Errorf("pdfimages calls %q, want page 3 only", c)
	}
}

// A page that makes pdftoppm fail mid-run fails alone; the run goes on after it. A file pdftoppm cannot
// open fails every page without a process per page.
func TestOCRPagesBrokenPage(t *testing.T) {
	needOCRTools(t)
	pages := [][]string{{"Trang một của báo cáo."}, {"Trang hai bị hỏng."}, {"Trang ba của báo cáo."}, {"Trang bốn."}}
	path := scannedPages(t, pages, []bool{false, false, false, false})
	// A run over page 2 gives page 1 and dies; page 2 alone dies at once.
	pdftoppm, calls := toolScript(t, "pdftoppm", `case "$*" in
*"-f 1 -l 3 "*) "$REAL" -r 300 -gray -f 1 -l 1 "$PDF"; echo "Syntax Error: trang 2 hỏng" >&2; exit 99;;
*"-f 2 -l "*) echo "Syntax Error: trang 2 hỏng" >&2; exit 99;;
esac`)
	res, errs := OCRPages(context.Background(), path, []int{1, 2, 3}, nil, OCROptions{Workers: 2, Pdftoppm: pdftoppm})
	if len(res) != 2 || res[1].Words == 0 || res[3].Words == 0 {
		t.Errorf("got pages %v, want 1 and 3", keys(res))
	}
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "trang 2: ") || !strings.Contains(errs[0].Error(), "trang 2 hỏng") {
		t.Errorf("errors = %v, want page 2's, with pdftoppm's message", errs)
	}
	if c := strings.Join(calls(), " | "); !strings.Contains(c, "-f 1 -l 3 ") || !strings.Contains(c, "-f 2 -l 2 ") ||
		!strings.Contains(c, "-f 3 -l 3 ") || len(calls()) != 3 {
		t.Errorf("pdftoppm calls: %s", c)
	}

	pdftoppm, calls = toolScript(t, "pdftoppm", `echo "I/O Error: Couldn't open file" >&2; exit 1`)
	jpegs := map[int]PageImages{3: {Page: 3, Count: 1, FullPage: true, JPEG: true}}
	res, errs = OCRPages(context.Background(), path, []int{1, 2, 3, 4}, jpegs, OCROptions{Workers: 2, Pdftoppm: pdftoppm})
	if len(res) != 0 || len(errs) != 4 || len(calls()) != 3 {
		t.Errorf("unopenable file: got pages %v, errors %v, pdftoppm calls %q; want 4 errors from 3 runs", keys(res), errs, calls())
	}
}

// Cancelling kills tesseract: every page not done fails with the context's error, and no temp file stays.
func TestOCRPagesCancel(t *testing.T) {
	needOCRTools(t)
	path := scannedPages(t, [][]string{scanGolden, scanGolden, scanGolden}, []bool{false, true, false})
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, errs := OCRPages(ctx, path, []int{1, 2, 3}, nil, OCROptions{Workers: 1})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v after the deadline", d)
	}
	if len(res)+len(errs) != 3 || len(errs) == 0 {
		t.Fatalf("got pages %v, errors %v", keys(res), errs)
	}
	for _, err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v does not wrap the deadline", err)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestOCRAvailable(t *testing.T) {
	err := OCRAvailable(OCROptions{Tesseract: "ketnoi-khong-co-tesseract", Pdftoppm: "ketnoi-khong-co-pdftoppm"})
	if !errors.Is(err, ErrOCRUnavailable) {
		t.Fatalf("err = %v, want ErrOCRUnavailable", err)
	}
	for _, want := range []string{"chưa cài tesseract (gói tesseract-ocr, tesseract-ocr-vie, tesseract-ocr-eng)",
		"chưa cài ketnoi-khong-co-pdftoppm (gói poppler-utils)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to say %q", err, want)
		}
	}
	tooltest.Need(t, "tesseract", "checking tesseract's languages")
	err = OCRAvailable(OCROptions{Lang: "vie+xyz"})
	if !errors.Is(err, ErrOCRUnavailable) || !strings.Contains(err.Error(), "tesseract thiếu dữ liệu ngôn ngữ xyz (gói tesseract-ocr-xyz)") ||
		strings.Contains(err.Error(), "ngôn ngữ vie") {
		t.Errorf("err = %v, want xyz missing only", err)
	}
}

func TestParseImageList(t *testing.T) {
	const head = "page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio\n" +
		"--------------------------------------------------------------------------------------------\n"
	a4 := pageGeom{w: 595.28, h: 841.89}
	for _, c := range []struct {
		name string
		rows string
		geo  map[int]pageGeom
		want PageImages
	}{
		{"jpeg scan", "   1     0 image    2480  3508  gray    1   8  jpeg   no         5  0   300   300  348K 4.2%",
			map[int]pageGeom{1: a4}, PageImages{Page: 1, Count: 1, FullPage: true, JPEG: true, DPI: 300}},
		{"rgb jpeg", "   1     0 image    2480  3508  rgb     3   8  jpeg   no         5  0   300   300  348K 4.2%",
			map[int]pageGeom{1: a4}, PageImages{Page: 1, Count: 1, FullPage: true, JPEG: true, DPI: 300}},
		{"cmyk jpeg is rendered", "   1     0 image    2480  3508  cmyk    4   8  jpeg   no         5  0   300   300  348K 4.2%",
			map[int]pageGeom{1: a4}, PageImages{Page: 1, Count: 1, FullPage: true, DPI: 300}},
		{"flate scan", "   1     0 image    2480  3508  gray    1   8  image  no         5  0   300   300  83K 1.0%",
			map[int]pageGeom{1: a4}, PageImages{Page: 1, Count: 1, FullPage: true, DPI: 300}},
		{"bilevel ccitt", "   1     0 image    4960  7016  gray    1   1  ccitt  no         5  0   600   600  83K 1.0%",
			map[int]pageGeom{1: a4}, PageImages{Page: 1, Count: 1, FullPage: true, DPI: 600}},
		{"turned by the CTM", "   1     0 image    3508  2480  gray    1   8  jpeg   no         5  0   424   212  348K 4.2%",
			map[int]pageGeom{1: a4}, PageImages{Page: 1, Count: 1, FullPage: true, DPI: 424}},
		{"page /Rotate", "   1     0 image    2480  3508  gray    1   8  jpeg   no         5  0   300   300  348K 4.2%",
			map[int]pageGeom{1: {w: a4.w, h: a4.h, rot: 90}}, PageImages{Page: 1, Count: 1, FullPage: true, DPI: 300}},
		{"soft mask", "   1     0 image    2480  3508  gray    1   8  jpeg   no         5  0   300   300  348K 4.2%\n" +
			"   1     1 smask   2480  3508  gray    1   8  image  no         6  0   300   300  1K 0.1%",
			map[int]pageGeom{1: a4}, PageImages{Page: 1, Count: 1, FullPage: true, DPI: 300}},
		{"mrc: background and text mask", "   1     0 image    827  1169  rgb     3   8  jpeg   no         5  0   100   100  48K 4.2%\n" +
			"   1     1 stencil 2480  3508  -       1   1  jbig2  no         6  0   300   300  21K 0.1%",
			map[int]pageGeom{1: a4}, PageImages{Page: 1, Count: 2, FullPage: true, DPI: 100}},
		{"logo", "   1     0 image     300   100  rgb     3   8  jpeg   no         5  0   300   300  8K 4.2%",
			map[int]pageGeom{1: a4}, PageImages{Page: 1, Count: 1, DPI: 300}},
		{"inline", "   1     0 image       2     2  gray    1   8  image  no   [inline]       1     1    0B 0.0%",
			map[int]pageGeom{1: a4}, PageImages{Page: 1, Count: 1, DPI: 1}},
		{"no pdfinfo: never copied out", "   1     0 image    2480  3508  gray    1   8  jpeg   no         5  0   300   300  348K 4.2%",
			nil, PageImages{Page: 1, Count: 1, FullPage: true, DPI: 300}},
	} {
		got := parseImageList([]byte(head+c.rows+"\n"), c.geo)
		if len(got) != 1 || got[1] != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
	if got := parseImageList([]byte(head), nil); len(got) != 0 {
		t.Errorf("no images: got %v", got)
	}
}

func TestParseTSV(t *testing.T) {
	tsv := "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" +
		"1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t\n" +
		"2\t1\t1\t0\t0\t0\t10\t10\t100\t20\t-1\t\n" +
		"5\t1\t1\t1\t1\t1\t10\t10\t50\t20\t96.5\tBÁO\n" +
		"5\t1\t1\t1\t1\t2\t70\t10\t50\t20\t93.5\tCÁO\n" +
		"5\t1\t1\t1\t2\t1\t10\t40\t50\t20\t40\tte\u0302\u0301t\n" + // decomposed: NFC'd
		"5\t1\t1\t1\t2\t2\t70\t40\t50\t20\t-1\t \n" + // an empty word is no word
		"5\t1\t1\t2\t1\t1\t10\t70\t50\t20\t90\tđoạn\n" +
		"5\t1\t2\t1\t1\t1\t10\t100\t50\t20\t80\tkhối\n"
	p := parseTSV([]byte(tsv), 60)
	want := "BÁO CÁO\ntết\n\nđoạn\n\nkhối"
	if p.Text != want || p.Words != 5 || p.LowConfidenceWords != 1 || p.Confidence != (96.5+93.5+40+90+80)/5 {
		t.Errorf("got %+v, want text %q, 5 words, 1 low, confidence 80", p, want)
	}
	if p := parseTSV(nil, 60); p.Text != "" || p.Words != 0 || p.Confidence != 0 {
		t.Errorf("empty: %+v", p)
	}
}

func TestSavePNM(t *testing.T) {
	// Two images back to back, as pdftoppm streams them; a comment in the second header.
	stream := "P5\n3 2\n255\n\x00\x01\x02\x03\x04\x05" + "P5 # pdftoppm\n2 1\n255\n\xff\xfe" + "P5\n9"
	r := bufio.NewReader(strings.NewReader(stream))
	dir := t.TempDir()
	for i, want := range []string{"P5\n3 2\n255\n\x00\x01\x02\x03\x04\x05", "P5\n2 1\n255\n\xff\xfe"} {
		path := filepath.Join(dir, fmt.Sprint(i))
		if err := savePNM(r, path); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Errorf("image %d = %q, want %q", i, got, want)
		}
	}
	if err := savePNM(r, filepath.Join(dir, "cut")); err == nil {
		t.Error("a cut image was accepted")
	}
}

func TestPlanRuns(t *testing.T) {
	imgs := map[int]PageImages{
		1: {JPEG: true, DPI: 300}, 2: {JPEG: true, DPI: 300}, 3: {FullPage: true, DPI: 300},
		5: {JPEG: true, DPI: 600}, // finer than needed: rendered down
		6: {JPEG: true},
	}
	got := fmt.Sprint(planRuns([]int{1, 2, 3, 4, 5, 6, 8, 9}, imgs, 300))
	if want := "[{[1 2] true} {[3 4 5] false} {[6] true} {[8 9] false}]"; got != want {
		t.Errorf("planRuns = %s, want %s", got, want)
	}
	got = fmt.Sprint(splitRuns(planRuns([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, imgs, 300), 3, 1))
	if want := "[{[1] true} {[2] true} {[3 4 5] false} {[6] true} {[7 8 9] false} {[10] false}]"; got != want {
		t.Errorf("splitRuns = %s, want %s", got, want)
	}
}

func keys(m map[int]OCRPage) []int {
	var ks []int
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// BenchmarkOCR OCRs six dense scanned pages (about 40 lines of Vietnamese each, as in a report's body) and
// reports pages/s: one and two workers, with tesseract forced to one thread and with its default OpenMP
// threading. Run: go test ./indexer/extract -run '^$' -bench OCR -benchtime 1x
func BenchmarkOCR(b *testing.B) {
	needOCRTools(b)
	const pages = 6
	text := strings.Repeat("Đề tài khảo sát thực trạng ứng dụng công nghệ thông tin trong quản lý đào tạo tại mười hai "+
		"trường đại học, đề xuất mô hình quản lý dựa trên dữ liệu và kiểm chứng kết quả; the survey covered "+
		"1,245 lecturers and 312 staff. ", 12)
	var lines []string
	for words := strings.Fields(text); len(words) > 0 && len(lines) < 38; {
		n, w := 0, 0
		for n < len(words) && w+len([]rune(words[n]))+1 <= 66 {
			w += len([]rune(words[n])) + 1
			n++
		}
		lines = append(lines, strings.Join(words[:n], " "))
		words = words[n:]
	}
	for _, jpeg := range []bool{false, true} {
		all := make([][]string, pages)
		kinds := make([]bool, pages)
		for i := range all {
			all[i], kinds[i] = lines, jpeg
		}
		path := scannedPages(b, all, kinds)
		imgs, err := ListImages(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			workers    int
			ompDefault bool
		}{{1, false}, {2, false}, {1, true}, {2, true}} {
			name := fmt.Sprintf("%s/workers=%d/omp=%s", map[bool]string{true: "jpeg", false: "flate"}[jpeg], c.workers,
				map[bool]string{true: "default", false: "1"}[c.ompDefault])
			b.Run(name, func(b *testing.B) {
				opts := OCROptions{Workers: c.workers, ompDefault: c.ompDefault}
				var res map[int]OCRPage
				for b.Loop() {
					var errs []error
					res, errs = OCRPages(context.Background(), path, []int{1, 2, 3, 4, 5, 6}, imgs, opts)
					if len(errs) > 0 || len(res) != pages {
						b.Fatalf("%d pages, errors %v", len(res), errs)
					}
				}
				b.ReportMetric(float64(pages*b.N)/b.Elapsed().Seconds(), "pages/s")
				b.ReportMetric(cer(res[1].Text, strings.Join(lines, "\n")), "CER")
			})
		}
	}
}

// TestBlankScanSaysOCRFoundNothing: a scan of an empty page (an image, no text layer) that OCR reads no
// word from fails as no_text saying so, not that the file has no page image to read; a file with neither
// text nor image keeps saying that.
func TestBlankScanSaysOCRFoundNothing(t *testing.T) {
	needOCRTools(t)
	blank, err := pdffixture.Scanned(nil, 150, false)
	b := pdffixture.NewBuilder("empty page")
	empty, eerr := b.Bytes(b.Document([]pdffixture.Page{{Content: []byte("q Q")}}), b.Info("Trống", "pdffixture"))
	tests := []struct {
		name, path, want string
	}{
		{"blank scan", writeFixture(t, "trang-trang.pdf", blank, err), "OCR không nhận ra chữ nào"},
		{"nothing at all", writeFixture(t, "rong.pdf", empty, eerr), "không có ảnh trang"},
	}
	x := NewExtractor(Options{}, 0, nil)
	defer x.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := x.Extract(context.Background(), tt.path)
			if doc.Err == nil || doc.Err.Reason != ReasonNoText || !strings.Contains(doc.Err.Detail, tt.want) {
				t.Errorf("got %+v, want no_text saying %q", doc.Err, tt.want)
			}
		})
	}
}
