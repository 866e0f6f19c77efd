package extract_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"ketnoi/indexer/extract"
)

// tortureDir finds the shared set of odd and hostile PDFs (next to the repository), or "".
func tortureDir() string {
	if d := os.Getenv("KETNOI_PDF_TORTURE"); d != "" {
		return d
	}
	dir, _ := os.Getwd()
	for range 6 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "pdf-torture")
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return d
			}
			return ""
		}
		dir = filepath.Dir(dir)
	}
	return ""
}

var knownReasons = map[extract.Reason]bool{
	extract.ReasonEncrypted: true, extract.ReasonUnsupported: true, extract.ReasonMalformed: true,
	extract.ReasonTimeout: true, extract.ReasonTooLarge: true, extract.ReasonNoText: true,
	extract.ReasonCrashed: true,
}

// TestTortureSet: every odd, damaged, encrypted or hostile PDF ends inside its limits with text or a
// typed reason, the run itself survives (one file kills its worker with an out-of-memory fatal error),
// and text comes out of at least as many files as pdftotext gets text from.
func TestTortureSet(t *testing.T) {
	dir := tortureDir()
	if dir == "" {
		t.Skip("the shared torture PDFs are not next to the repository")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
	sort.Strings(files)
	opt := extract.Options{NoOCR: true, FileTimeout: 4 * time.Second, MemoryBytes: 2 << 30}
	x := extract.NewExtractor(opt, 2, selfWorker)
	defer x.Close()
	docs := make([]*extract.Document, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			docs[i] = x.Extract(context.Background(), f)
		}()
	}
	wg.Wait()
	ours, poppler := 0, 0
	havePoppler := exec.Command("pdftotext", "-v").Run() == nil
	for i, d := range docs {
		name := filepath.Base(files[i])
		switch {
		case d.Err == nil:
			if strings.TrimSpace(d.Text()) != "" {
				ours++
			}
		case !knownReasons[d.Err.Reason]:
			t.Errorf("%s: untyped reason %q", name, d.Err.Reason)
		case strings.Contains(d.Err.Detail, "goroutine "):
			t.Errorf("%s: a stack trace in the error: %v", name, d.Err)
		case d.Err.Detail != "" && !vietnamese(d.Err.Detail), strings.Contains(d.Err.Detail, "exit status"):
			t.Errorf("%s: the reason's detail is not Vietnamese: %v", name, d.Err)
		}
		if havePoppler {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			out, _ := exec.CommandContext(ctx, "pdftotext", "-q", files[i], "-").Output()
			cancel()
			if strings.TrimSpace(strings.ReplaceAll(string(out), "\f", "")) != "" {
				poppler++
			}
		}
		if testing.Verbose() {
			reason := ""
			if d.Err != nil {
				reason = string(d.Err.Reason)
			}
			t.Logf("%-45s pages=%d err=%s", name, len(d.Pages), reason)
		}
	}
	t.Logf("%d files: text from %d (pdftotext: %d)", len(files), ours, poppler)
	if havePoppler && ours < poppler {
		t.Errorf("text from %d files, pdftotext from %d", ours, poppler)
	}
}

// vietnamese reports text with a letter only Vietnamese writes (a detail written for staff, not a
// library's English message passed on).
func vietnamese(s string) bool {
	return strings.ContainsAny(strings.ToLower(s), "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
}
