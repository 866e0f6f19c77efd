package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"ketnoi/indexer/extract"
)

// fileScore is one file's row of eval extract.
type fileScore struct {
	name             string
	pages            int
	dur              time.Duration
	rungs            map[string]int
	reason           extract.Reason
	hasRef           bool
	cer, diacritics  float64
	popplerText      bool
	popplerCER       float64
	popplerDur       time.Duration
	popplerPages     int
	crashed, timeout bool
}

func runEvalExtract(e *env, c *command, args []string) error {
	fs := newFlags(e, c)
	compare := fs.String("compare", "", "so sánh với: pdftotext")
	xf := addExtractFlags(fs)
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"cần ít nhất một thư mục hoặc tệp"}
	}
	if *compare != "" && *compare != "pdftotext" {
		return usageError{"--compare chỉ nhận pdftotext"}
	}
	files, errs := expandFiles(pos, extractableExt)
	for _, err := range errs {
		fmt.Fprintln(e.stderr, "LỖI", err)
	}
	files = dropReferences(files)
	if len(files) == 0 {
		return usageError{"không có tệp nào để trích"}
	}
	x := xf.extractor()
	defer x.Close()
	ctx := context.Background()
	start := time.Now()
	var rows []fileScore
	extractAll(ctx, x, files, *xf.workers, func(d *extract.Document, dur time.Duration) {
		rows = append(rows, scoreFile(d, dur))
	})
	wall := time.Since(start)
	var popplerWall time.Duration
	if *compare == "pdftotext" {
		t := time.Now()
		for i := range rows {
			comparePoppler(ctx, &rows[i], files[i], *xf.timeout)
		}
		popplerWall = time.Since(t)
	}
	printExtractEval(e, rows, wall, popplerWall, *compare != "", *xf.workers)
	return nil
}

func scoreFile(d *extract.Document, dur time.Duration) fileScore {
	s := fileScore{name: d.File, pages: len(d.Pages), dur: dur, rungs: map[string]int{}}
	for _, p := range d.Pages {
		s.rungs[string(p.Rung)]++
	}
	if d.Err != nil {
		s.reason = d.Err.Reason
		s.crashed = d.Err.Reason == extract.ReasonCrashed
		s.timeout = d.Err.Reason == extract.ReasonTimeout
	}
	ref, ok := readReference(d.File)
	if !ok {
		return s
	}
	s.hasRef = true
	got := make([]string, len(d.Pages))
	for i, p := range d.Pages {
		got[i] = p.Text
	}
	s.cer, s.diacritics = pagesCER(ref, got)
	return s
}

// dropReferences removes X.txt where X.pdf (or another extractable X) is in the list: it is X's
// reference text, not an input.
func dropReferences(files []string) []string {
	stems := map[string]bool{}
	for _, f := range files {
		if !strings.EqualFold(filepath.Ext(f), ".txt") {
			stems[strings.TrimSuffix(f, filepath.Ext(f))] = true
		}
	}
	out := files[:0]
	for _, f := range files {
		if strings.EqualFold(filepath.Ext(f), ".txt") && stems[strings.TrimSuffix(f, filepath.Ext(f))] {
			continue
		}
		out = append(out, f)
	}
	return out
}

// readReference reads X.txt next to X.pdf: the pages of the reference text separated by form feeds.
func readReference(file string) ([]string, bool) {
	if strings.EqualFold(filepath.Ext(file), ".txt") {
		return nil, false
	}
	b, err := os.ReadFile(strings.TrimSuffix(file, filepath.Ext(file)) + ".txt")
	if err != nil {
		return nil, false
	}
	pages := strings.Split(string(b), "\f")
	if n := len(pages); n > 1 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1]
	}
	return pages, true
}

// pagesCER is the character error rate over all pages (edit distance summed page by page, divided by
// the reference length) and the diacritic recall of the whole text.
func pagesCER(ref, got []string) (cer, diacritics float64) {
	var dist, total float64
	for i, r := range ref {
		g := ""
		if i < len(got) {
			g = got[i]
		}
		n := float64(len([]rune(strings.Join(strings.Fields(r), " "))))
		dist += extract.CER(r, g) * n
		total += n
	}
	for i := len(ref); i < len(got); i++ {
		dist += float64(len([]rune(strings.Join(strings.Fields(got[i]), " "))))
	}
	if total == 0 {
		return 0, 1
	}
	return dist / total, extract.DiacriticRecall(strings.Join(ref, "\n"), strings.Join(got, "\n"))
}

func comparePoppler(ctx context.Context, s *fileScore, file string, timeout time.Duration) {
	if !strings.EqualFold(filepath.Ext(file), ".pdf") {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.Now()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "pdftotext", "-enc", "UTF-8", "-q", file, "-")
	cmd.Stdout = &out
	_ = cmd.Run()
	s.popplerDur = time.Since(t)
	pages := strings.Split(out.String(), "\f")
	if n := len(pages); n > 0 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1]
	}
	s.popplerPages = len(pages)
	for _, p := range pages {
		if strings.ContainsFunc(p, func(r rune) bool { return r > ' ' }) {
			s.popplerText = true
			break
		}
	}
	if ref, ok := readReference(file); ok {
		s.popplerCER, _ = pagesCER(ref, pages)
	}
}

func printExtractEval(e *env, rows []fileScore, wall, popplerWall time.Duration, poppler bool, workers int) {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	head := "tệp\ttrang\tthời gian\tbậc\tlỗi\tCER\tgiữ dấu"
	if poppler {
		head += "\tCER pdftotext"
	}
	fmt.Fprintln(tw, head+"\t")
	var pages, withText, popplerWith, refs, popplerPages int
	var cerSum, diaSum, pcerSum float64
	reasons := map[extract.Reason]int{}
	rungs := map[string]int{}
	for _, r := range rows {
		pages += r.pages
		if r.reason == "" {
			withText++
		} else {
			reasons[r.reason]++
		}
		if r.popplerText {
			popplerWith++
		}
		popplerPages += r.popplerPages
		for k, v := range r.rungs {
			rungs[k] += v
		}
		cer, dia, pcer := "", "", ""
		if r.hasRef {
			refs++
			cerSum += r.cer
			diaSum += r.diacritics
			pcerSum += r.popplerCER
			cer, dia = pct(r.cer), pct(r.diacritics)
			pcer = pct(r.popplerCER)
		}
		line := fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t%s\t%s", filepath.Base(r.name), r.pages, r.dur.Round(time.Millisecond), rungsText(r.rungs), r.reason, cer, dia)
		if poppler {
			line += "\t" + pcer
		}
		fmt.Fprintln(tw, line+"\t")
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "\nTổng: %d tệp, %d có văn bản, %d trang, %s (%d tiến trình), %.1f trang/giây\n",
		len(rows), withText, pages, wall.Round(time.Millisecond), workers, float64(pages)/wall.Seconds())
	fmt.Fprintf(e.stdout, "Bậc trích: %s\n", rungsText(rungs))
	if len(reasons) > 0 {
		var rs []string
		for k, v := range reasons {
			rs = append(rs, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(rs)
		fmt.Fprintf(e.stdout, "Lỗi theo lý do: %s\n", strings.Join(rs, ", "))
	}
	if refs > 0 {
		fmt.Fprintf(e.stdout, "Trên %d tệp có văn bản chuẩn: CER trung bình %s, giữ dấu %s", refs, pct(cerSum/float64(refs)), pct(diaSum/float64(refs)))
		if poppler {
			fmt.Fprintf(e.stdout, "; pdftotext CER %s", pct(pcerSum/float64(refs)))
		}
		fmt.Fprintln(e.stdout)
	}
	if poppler {
		fmt.Fprintf(e.stdout, "pdftotext: %d tệp có văn bản, %d trang, %s (một tiến trình), %.1f trang/giây\n",
			popplerWith, popplerPages, popplerWall.Round(time.Millisecond), float64(popplerPages)/popplerWall.Seconds())
	}
}

func pct(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }
