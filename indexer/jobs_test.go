package indexer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestJobsReleaseOnOpen: a queue opened on the jobs a previous server left releases the uploads of the
// finished ones (their content is in the corpus originals) and keeps those a retry or a later OCR needs.
func TestJobsReleaseOnOpen(t *testing.T) {
	cases := []struct {
		name string
		job  Job
		kept bool
	}{
		{"added", Job{State: JobDone, Outcome: &FileOutcome{Outcome: OutcomeAdded}}, false},
		{"same", Job{State: JobDone, Outcome: &FileOutcome{Outcome: OutcomeSame}}, false},
		{"needs-ocr", Job{State: JobDone, Outcome: &FileOutcome{Outcome: OutcomeAdded, NeedsOCR: true}}, true},
		{"failed", Job{State: JobFailed, Outcome: &FileOutcome{Outcome: OutcomeFailed}}, true},
		{"queued", Job{State: JobQueued}, true},
	}
	dir := t.TempDir()
	for i, c := range cases {
		c.job.ID = "job-000000000000000" + string(rune('0'+i))
		c.job.Created = time.Now().UTC()
		jdir := filepath.Join(dir, c.job.ID)
		if err := os.Mkdir(jdir, 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(c.job)
		for name, content := range map[string][]byte{"job.json": b, "upload.pdf": []byte("%PDF-1.4"), "upload.json": []byte(`{"trl":3}`)} {
			if err := os.WriteFile(filepath.Join(jdir, name), content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cases[i] = c
	}
	j, err := NewJobs(&Pipeline{}, dir, 8)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		_, uerr := os.Stat(filepath.Join(dir, c.job.ID, "upload.pdf"))
		_, serr := os.Stat(filepath.Join(dir, c.job.ID, "upload.json"))
		if kept := uerr == nil && serr == nil; kept != c.kept {
			t.Errorf("%s: upload kept %v, want %v", c.name, kept, c.kept)
		}
		if got, ok := j.Get(c.job.ID); !ok || got.State != c.job.State {
			t.Errorf("%s: job after reopening %+v", c.name, got)
		}
		if _, err := j.Retry(c.job.ID); (err == ErrUploadGone) == c.kept {
			t.Errorf("%s: retry: %v", c.name, err)
		}
	}
}
