package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ketnoi/indexer"
)

// api is a client of a running `ketnoi serve`, for the tests that kill it.
type api struct {
	t         *testing.T
	base, key string
	client    *http.Client
}

func newAPI(t *testing.T, base, key string) *api {
	return &api{t: t, base: strings.TrimRight(base, "/"), key: key, client: &http.Client{Timeout: 20 * time.Second}}
}

// upload sends one text document; it returns the job of a 202 answer, or the status and any transport
// error (a killed server).
func (a *api) upload(name, text string) (*indexer.Job, int, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, _ := mw.CreateFormFile("file", name)
	io.WriteString(w, text)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, a.base+"/api/v1/documents", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+a.key)
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		return nil, resp.StatusCode, err
	}
	var j indexer.Job
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, resp.StatusCode, err
	}
	return &j, resp.StatusCode, nil
}

// jobs returns the server's jobs (the 200 newest) by id.
func (a *api) jobs() (map[string]indexer.Job, error) {
	req, _ := http.NewRequest(http.MethodGet, a.base+"/api/v1/jobs", nil)
	req.Header.Set("Authorization", "Bearer "+a.key)
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct{ Jobs []indexer.Job }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	m := map[string]indexer.Job{}
	for _, j := range out.Jobs {
		m[j.ID] = j
	}
	return m, nil
}

// search returns the ids of the results for q.
func (a *api) search(q string) []string {
	a.t.Helper()
	resp, err := a.client.Get(a.base + "/api/v1/search?" + url.Values{"q": {q}, "size": {"20"}}.Encode())
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Hits []struct{ ID string } }
	json.NewDecoder(resp.Body).Decode(&out)
	var ids []string
	for _, h := range out.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

// createKey makes an API key with the CLI while the server runs.
func createKey(t *testing.T, bin, data, role string) string {
	t.Helper()
	out, err := exec.Command(bin, "keys", "create", "--data", data, "--name", "Thử "+role, "--role", role).Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// token is a made-up word that only document i contains.
func token(i int) string {
	var b strings.Builder
	b.WriteString("zzkt")
	for _, c := range fmt.Sprintf("%04d", i) {
		b.WriteByte(byte('a' + c - '0'))
	}
	return b.String()
}

func docText(i int) string {
	return fmt.Sprintf("Báo cáo thử nghiệm số %d: quy trình sấy nông sản bằng năng lượng mặt trời ở vùng ven biển. Mã %s.\n", i, token(i))
}

// uploader sends documents until stop is closed or the server goes away, remembering every acknowledged
// (202) job with the document's number.
type uploader struct {
	mu    sync.Mutex
	acked map[string]int // job id → document number
	order []string
	errs  int
}

func (u *uploader) run(a *api, n int, stop <-chan struct{}) {
	for i := 0; i < n; i++ {
		select {
		case <-stop:
			return
		default:
		}
		j, status, err := a.upload(fmt.Sprintf("bao-cao-%d.txt", i), docText(i))
		switch {
		case err != nil:
			u.mu.Lock()
			u.errs++
			u.mu.Unlock()
			return // the server is gone: whatever was in flight was never acknowledged
		case status == http.StatusServiceUnavailable: // queue full: the next try is a new document
			time.Sleep(100 * time.Millisecond)
			continue
		case j != nil:
			u.mu.Lock()
			u.acked[j.ID] = i
			u.order = append(u.order, j.ID)
			u.mu.Unlock()
		}
	}
}

func (u *uploader) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.acked)
}

// runCheck runs `ketnoi check --json` on a stopped data directory.
func runCheckJSON(t *testing.T, bin, data string) (checkOutput, int) {
	t.Helper()
	cmd := exec.Command(bin, "check", "--json", "--data", data)
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var res checkOutput
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("check --json: %v\n%s", err, out)
	}
	return res, code
}

// TestCrashDuringUploads kills the server with SIGKILL in the middle of a stream of uploads and checks,
// after a restart, that every acknowledged upload ends up searchable (those done before the kill at once,
// the queued ones when their job resumes) and that the store and the index agree.
func TestCrashDuringUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	srv, u := startServe(t, bin, data)
	a := newAPI(t, u, createKey(t, bin, data, "staff"))

	const n = 150 // within the 200 jobs GET /api/v1/jobs lists
	up := &uploader{acked: map[string]int{}}
	stop := make(chan struct{})
	upDone := make(chan struct{})
	go func() { up.run(a, n, stop); close(upDone) }()

	// Kill once half the documents are acknowledged and some are done: the queue then holds both.
	doneBefore := map[string]string{} // job id → document id, as seen done before the kill
	deadline := time.Now().Add(40 * time.Second)
	for {
		jobs, err := a.jobs()
		if err != nil {
			t.Fatal(err)
		}
		clear(doneBefore)
		for id, j := range jobs {
			if j.State == indexer.JobDone && j.Outcome != nil {
				doneBefore[id] = j.Outcome.DocID
			}
		}
		if up.count() >= n/2 && len(doneBefore) >= 10 && len(doneBefore) < up.count() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no moment to kill: %d acknowledged, %d done", up.count(), len(doneBefore))
		}
		time.Sleep(30 * time.Millisecond)
	}
	srv.Process.Signal(syscall.SIGKILL)
	srv.Wait()
	close(stop)
	<-upDone
	up.mu.Lock()
	acked := up.acked
	up.mu.Unlock()

	srv2, u2 := startServe(t, bin, data)
	a = newAPI(t, u2, a.key)
	// Every acknowledged job is known after the restart and reaches done.
	var jobs map[string]indexer.Job
	for deadline := time.Now().Add(40 * time.Second); ; {
		var err error
		if jobs, err = a.jobs(); err != nil {
			t.Fatal(err)
		}
		finished := 0
		for id := range acked {
			if s := jobs[id].State; s == indexer.JobDone || s == indexer.JobFailed {
				finished++
			}
		}
		if finished == len(acked) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart only %d of %d acknowledged jobs finished", finished, len(acked))
		}
		time.Sleep(100 * time.Millisecond)
	}
	found, resumed := 0, 0
	for id, i := range acked {
		j := jobs[id]
		if j.State != indexer.JobDone || j.Outcome == nil || j.Outcome.DocID == "" {
			t.Errorf("job %s (document %d) after restart: %s %q", id, i, j.State, j.Error)
			continue
		}
		if want, ok := doneBefore[id]; ok && want != j.Outcome.DocID {
			t.Errorf("job %s: document %s before the kill, %s after", id, want, j.Outcome.DocID)
		} else if !ok {
			resumed++
		}
		if ids := a.search(token(i)); len(ids) == 1 && ids[0] == j.Outcome.DocID {
			found++
		} else {
			t.Errorf("document %d (%s) not searchable after restart: %v", i, j.Outcome.DocID, ids)
		}
	}
	t.Logf("uploads acknowledged %d, done before kill %d, finished after restart %d, searchable after restart %d",
		len(acked), len(doneBefore), resumed, found)
	if len(acked) == n {
		t.Error("the kill came after the last upload; nothing was in flight")
	}

	// Nothing half-written: no upload directory without its job file, and the store and the index agree.
	srv2.Process.Signal(syscall.SIGTERM)
	if err := srv2.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(data, "uploads"))
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(data, "uploads", e.Name(), "job.json")); err != nil {
			t.Errorf("upload %s left without a job file", e.Name())
		}
	}
	res, code := runCheckJSON(t, bin, data)
	if code != 0 || !res.Consistent || res.Report.Records < 372+len(acked) {
		t.Errorf("check after the crash: exit %d, %+v", code, res.Report)
	}
}

// TestCrashDuringReindex kills `ketnoi reindex` while it builds aside: the old index stays current and
// consistent, and the next reindex completes and removes the unfinished build.
func TestCrashDuringReindex(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	recs := filepath.Join(dir, "ket-qua.jsonl")
	n := 3 * indexer.SyncBatch // reindex writes them in three batches
	writeRecords(t, recs, n)
	if code, _, errOut := ketnoi(t, "index", "--data", data, recs); code != 0 {
		t.Fatalf("index: %d %s", code, errOut)
	}
	current := filepath.Join(data, "index", "CURRENT")
	before, _ := os.ReadFile(current)
	_, searchBefore, _ := ketnoi(t, "search", "--data", data, "--json", "--size", "20", "máy sấy")

	cmd := exec.Command(bin, "reindex", "--data", data)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill as soon as reindex reports its first batch written to the new build: two more are to come.
	progress := make(chan struct{})
	go func() {
		buf := make([]byte, 256)
		var seen []byte
		for {
			n, err := stderr.Read(buf)
			seen = append(seen, buf[:n]...)
			if bytes.Contains(seen, []byte("bản ghi…")) {
				close(progress)
				io.Copy(io.Discard, stderr)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-progress:
	case <-time.After(30 * time.Second):
		t.Fatal("reindex reported no progress")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	if err := cmd.Wait(); err == nil {
		t.Fatal("reindex finished before it was killed")
	}
	var builds []string
	ents, _ := os.ReadDir(filepath.Join(data, "index"))
	for _, e := range ents {
		if e.IsDir() && e.Name()+"\n" != string(before) {
			builds = append(builds, e.Name())
		}
	}
	if len(builds) != 1 {
		t.Fatalf("after the kill the index directory holds %v besides the current build", builds)
	}
	build := builds[0]
	if after, _ := os.ReadFile(current); !bytes.Equal(after, before) {
		t.Fatalf("CURRENT changed by a killed reindex: %q → %q", before, after)
	}
	res, code := runCheckJSON(t, bin, data)
	if code != 0 || !res.Consistent || res.Report.Records != n || len(res.Report.Leftovers) != 1 || res.Report.Leftovers[0] != build {
		t.Errorf("check after the killed reindex: exit %d, %+v", code, res.Report)
	}
	if _, out, _ := ketnoi(t, "search", "--data", data, "--json", "--size", "20", "máy sấy"); sameHits(out) != sameHits(searchBefore) {
		t.Errorf("search changed by a killed reindex:\n%s\n%s", searchBefore, out)
	}

	if out, err := exec.Command(bin, "reindex", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("reindex after the kill: %v\n%s", err, out)
	}
	if after, _ := os.ReadFile(current); bytes.Equal(after, before) {
		t.Error("the second reindex did not switch")
	}
	if ents, _ := os.ReadDir(filepath.Join(data, "index")); len(ents) != 2 {
		t.Errorf("index directory after reindex: %v (want CURRENT and one build)", ents)
	}
	res, code = runCheckJSON(t, bin, data)
	if code != 0 || !res.Consistent || len(res.Report.Leftovers) != 0 {
		t.Errorf("check after the second reindex: exit %d, %+v", code, res.Report)
	}
}

// writeRecords writes n research results as JSONL.
func writeRecords(t *testing.T, path string, n int) {
	t.Helper()
	var b bytes.Buffer
	topics := []string{"máy sấy nông sản", "nuôi tôm thẻ", "phân hữu cơ vi sinh", "bóc vỏ hạt điều", "xử lý nước thải"}
	for i := range n {
		topic := topics[i%len(topics)]
		rec := map[string]any{
			"id": fmt.Sprintf("kq-%05d", i), "kind": "result",
			"title":    fmt.Sprintf("Nghiên cứu %s, đề tài số %d", topic, i),
			"summary":  strings.Repeat(fmt.Sprintf("Kết quả về %s được thử nghiệm tại nhiều địa phương. ", topic), 6),
			"keywords": []string{topic, "chuyển giao"},
			"year":     2000 + i%25,
		}
		line, _ := json.Marshal(rec)
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sameHits reduces a `search --json` answer to its total and ids in order.
func sameHits(out string) string {
	var s searchOut
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		return "unreadable: " + out
	}
	ids := []string{fmt.Sprint(s.Total)}
	for _, h := range s.Hits {
		ids = append(ids, h.ID)
	}
	return strings.Join(ids, " ")
}
