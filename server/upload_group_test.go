package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
	"ketnoi/internal/pdffixture"
)

// TestUploadGroup: uploads that queue up while the runner is busy go through one pipeline run together,
// and each job still gets its own file's outcome: its document under its own name, a second copy of a
// report as the same document, a broken file failed with its reason.
func TestUploadGroup(t *testing.T) {
	pdffixture.NeedFont(t)
	font, err := pdffixture.LoadFont()
	if err != nil {
		t.Fatal(err)
	}
	report := func(name, line string) []byte {
		t.Helper()
		fx, err := pdffixture.Report(name, font, [][]string{{"Báo cáo kết quả nghiên cứu", line}})
		if err != nil {
			t.Fatal(err)
		}
		return fx.PDF
	}
	fish := report("ca", "Quy trình sấy cá cơm bằng năng lượng mặt trời cho làng nghề ven biển.")
	uploads := []struct {
		name    string
		content []byte
		want    string // outcome
		same    int    // index of the upload whose document this one is (-1: its own)
	}{
		{"sấy cá cơm.pdf", fish, indexer.OutcomeAdded, -1},
		{"ốc hương.pdf", report("oc", "Kỹ thuật nuôi ốc hương thương phẩm trong ao đất ở Phù Cát."), indexer.OutcomeAdded, -1},
		{"phân hữu cơ.txt", []byte("Quy trình ủ phân hữu cơ vi sinh từ phụ phẩm cà phê."), indexer.OutcomeAdded, -1},
		{"bản sao.pdf", fish, indexer.OutcomeSame, 0},
		{"hỏng.pdf", []byte("%PDF-1.4\nkhông phải PDF"), indexer.OutcomeFailed, -1},
	}
	u := uploadServer(t, 16, false) // no runner yet: every upload waits in the queue
	ids := make([]string, len(uploads))
	for i, up := range uploads {
		ctype, body := multipartBody(t, up.name, up.content, nil)
		code, b, _ := u.do(t, "POST", "/api/v1/documents", u.staff, ctype, body)
		if code != http.StatusAccepted {
			t.Fatalf("upload %s: %d %s", up.name, code, b)
		}
		var job indexer.Job
		json.Unmarshal(b, &job)
		ids[i] = job.ID
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.jobs.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done }) // before the index closes (cleanups run last first)

	jobs := make([]indexer.Job, len(uploads))
	for i := range uploads {
		jobs[i] = u.waitJob(t, ids[i])
	}
	for i, up := range uploads {
		j := jobs[i]
		if j.Outcome == nil || j.Outcome.Outcome != up.want || j.Outcome.Path != up.name {
			t.Errorf("%s: %+v, want outcome %s under its own name", up.name, j, up.want)
			continue
		}
		if !j.Finished.Equal(jobs[0].Finished) {
			t.Errorf("%s finished at %v, %s at %v: not one run", up.name, j.Finished, uploads[0].name, jobs[0].Finished)
		}
		if up.want == indexer.OutcomeFailed {
			if j.State != indexer.JobFailed || j.Outcome.Reason != extract.ReasonMalformed || j.Error == "" {
				t.Errorf("%s: %+v, want failed as malformed with its message", up.name, j)
			}
			continue
		}
		sum := sha256.Sum256(up.content)
		want := indexer.DocID(hex.EncodeToString(sum[:]))
		if up.same >= 0 {
			want = jobs[up.same].Outcome.DocID
		}
		if j.State != indexer.JobDone || j.Outcome.DocID != want {
			t.Errorf("%s: %+v, want done as %s", up.name, j, want)
		}
	}
	if t.Failed() {
		return
	}
	// A finished upload is released (its content is in the originals) and cannot run again; a failed one
	// keeps its file for a retry.
	for i, up := range uploads {
		files, _ := filepath.Glob(filepath.Join(u.dir, "uploads", ids[i], "*"))
		kept := len(files) > 1
		if kept != (up.want == indexer.OutcomeFailed) {
			t.Errorf("%s: upload directory holds %v", up.name, files)
		}
		code, b, _ := u.do(t, "POST", "/api/v1/jobs/"+ids[i]+"/retry", u.staff, "", nil)
		if want := map[bool]int{true: http.StatusAccepted, false: http.StatusConflict}[kept]; code != want ||
			!kept && !strings.Contains(string(b), "upload_released") {
			t.Errorf("%s: retry: %d %s, want %d", up.name, code, b, want)
		}
	}
	if got := u.searchIDs(t, "nuôi ốc hương"); len(got) == 0 || got[0] != jobs[1].Outcome.DocID {
		t.Errorf("search for the second upload: %v, want %s first", got, jobs[1].Outcome.DocID)
	}
	var rec corpus.Result
	code, b, _ := u.do(t, "GET", "/api/v1/results/"+jobs[1].Outcome.DocID, "", "", nil)
	if code != http.StatusOK || json.Unmarshal(b, &rec) != nil || rec.Title == "" || rec.Extraction == nil ||
		rec.Extraction.File != "ốc hương.pdf" {
		t.Errorf("record of the second upload: %d %+v", code, rec.Extraction)
	}
}
