package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
	"ketnoi/internal/pdffixture"
)

// TestUploadGroup: uploads that queue up while the runner is busy go through one pipeline run together (the
// run takes them all off the queue at once, which has room again for as many), and each job still gets its
// own file's outcome: its document under its own name, a second copy of a report as the same document, a
// broken file failed with its reason.
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
	g := newStartGate(t)
	// No runner yet: every upload waits in the queue, which they fill.
	u := newWriteServer(t, serverOpts{capacity: len(uploads), staffName: "Cán bộ A", pipeline: g.install})
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
	t.Cleanup(g.open)                      // before the runner is waited for

	// The first file has started: the run holds every upload, so the queue has room for as many again.
	g.next(t)
	for i := range 2 {
		ctype, body := multipartBody(t, fmt.Sprintf("thêm %d.txt", i), []byte(fmt.Sprintf("Tệp thêm số %d để đo chỗ trống của hàng đợi.", i)), nil)
		if code, b, _ := u.do(t, "POST", "/api/v1/documents", u.staff, ctype, body); code != http.StatusAccepted {
			t.Errorf("upload %d while the group runs: %d %s (the run did not take the whole queue)", i, code, b)
		}
	}
	g.open()

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

// TestUploadJobStates: while a group of uploads runs, a job is queued until the pipeline starts on its file,
// running from then, and done as soon as its file is, whatever the rest of the group does; the API (one job,
// the list) and the staff page say so. A job cut short by the server stopping is queued again, and runs
// when the queue is opened again (the next server).
func TestUploadJobStates(t *testing.T) {
	g := newStartGate(t)
	var pipeline *indexer.Pipeline
	u := newWriteServer(t, serverOpts{capacity: 8, staffName: "Cán bộ A", pipeline: func(p *indexer.Pipeline) { g.install(p); pipeline = p }})
	var ids []string
	for i, text := range []string{"Máy sấy cá cơm bằng bơm nhiệt.", "Giống lúa chịu hạn cho vùng đất cát.", "Quy trình ủ phân từ vỏ cà phê."} {
		ctype, body := multipartBody(t, fmt.Sprintf("tệp %d.txt", i), []byte(text), nil)
		code, b, _ := u.do(t, "POST", "/api/v1/documents", u.staff, ctype, body)
		var j indexer.Job
		if code != http.StatusAccepted || json.Unmarshal(b, &j) != nil {
			t.Fatalf("upload %d: %d %s", i, code, b)
		}
		ids = append(ids, j.ID)
	}
	b := newBrowser(t, u.ts.URL)
	b.signIn(u.staff, "")
	// want checks every job's state through the API (the job, the list) and on the staff page.
	want := func(step string, states map[string]string) {
		t.Helper()
		var list struct {
			Jobs    []indexer.Job
			Pending int
		}
		code, body, _ := u.do(t, "GET", "/api/v1/jobs", u.staff, "", nil)
		if code != http.StatusOK || json.Unmarshal(body, &list) != nil {
			t.Fatalf("%s: jobs: %d %s", step, code, body)
		}
		inList := map[string]string{}
		for _, j := range list.Jobs {
			inList[j.ID] = j.State
		}
		page := b.get("/can-bo").body
		for id, st := range states {
			var j indexer.Job
			if _, body, _ := u.do(t, "GET", "/api/v1/jobs/"+id, u.staff, "", nil); json.Unmarshal(body, &j) != nil || j.State != st || inList[id] != st {
				t.Errorf("%s: job %s is %q (list: %q), want %q", step, id, j.State, inList[id], st)
			}
			if !strings.Contains(page, `data-job="`+id+`" data-state="`+st+`"`) {
				t.Errorf("%s: the staff page does not show job %s %s", step, id, st)
			}
		}
	}
	jobOf := func(path string) string { return filepath.Base(filepath.Dir(path)) }
	want("before the runner", map[string]string{ids[0]: indexer.JobQueued, ids[1]: indexer.JobQueued, ids[2]: indexer.JobQueued})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.jobs.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	t.Cleanup(g.open)
	first := jobOf(g.next(t))
	rest := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == first })
	want("the first file started", map[string]string{first: indexer.JobRunning, rest[0]: indexer.JobQueued, rest[1]: indexer.JobQueued})

	g.step()
	second := jobOf(g.next(t))
	third := rest[0]
	if third == second {
		third = rest[1]
	}
	u.waitJob(t, first) // done while the group still runs
	want("the second file started", map[string]string{first: indexer.JobDone, second: indexer.JobRunning, third: indexer.JobQueued})

	// The server stops while the second file runs.
	cancel()
	g.open()
	<-done
	want("after the stop", map[string]string{first: indexer.JobDone, second: indexer.JobQueued, third: indexer.JobQueued})
	for _, id := range []string{second, third} {
		var j indexer.Job
		if raw, err := os.ReadFile(filepath.Join(u.dir, "uploads", id, "job.json")); err != nil || json.Unmarshal(raw, &j) != nil || j.State != indexer.JobQueued {
			t.Errorf("job %s on disk after the stop: %s %v", id, raw, err)
		}
	}
	next, err := indexer.NewJobs(pipeline, filepath.Join(u.dir, "uploads"), 8)
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan struct{})
	go func() { next.Run(ctx2); close(done2) }()
	t.Cleanup(func() { cancel2(); <-done2 })
	for _, id := range []string{second, third} {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			j, _ := next.Get(id)
			if j != nil && j.State == indexer.JobDone {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s after the queue opened again: %+v", id, j)
			}
		}
	}
}

// startGate holds up the upload pipeline as each file starts, until the test lets it go on.
type startGate struct {
	started chan string
	release chan struct{}
	once    sync.Once
}

func newStartGate(t *testing.T) *startGate {
	return &startGate{started: make(chan string, 64), release: make(chan struct{})}
}

// install makes the gate the pipeline's start hook.
func (g *startGate) install(p *indexer.Pipeline) {
	p.OnStart = func(path string) { g.started <- path; <-g.release }
}

// next waits for a file to start and returns its path.
func (g *startGate) next(t *testing.T) string {
	t.Helper()
	select {
	case p := <-g.started:
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("no file started")
		return ""
	}
}

// step lets the file started last go on; open lets every file go on from now.
func (g *startGate) step() { g.release <- struct{}{} }
func (g *startGate) open() { g.once.Do(func() { close(g.release) }) }
