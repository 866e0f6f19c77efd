package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer"
	"ketnoi/indexer/bleveidx"
	"ketnoi/indexer/extract"
	"ketnoi/internal/pdffixture"
	"ketnoi/matcher"
)

type uploadEnv struct {
	dir        string
	ts         *httptest.Server
	handler    http.Handler // the server's, to serve it again (over TLS)
	staff, brk string
	jobs       *indexer.Jobs
	keys       *corpus.Keyring
	users      *corpus.Users // the server's own, so that users added in a test are seen at once
	store      *corpus.Store
	staffK     corpus.KeyInfo
}

// uploadServer is a real server (store, bleve index, extraction in this process) with an upload queue
// of the given capacity; run starts the job runner.
func uploadServer(t *testing.T, capacity int, run bool) *uploadEnv {
	return writeServer(t, capacity, run, "Cán bộ A", nil)
}

// writeServer is uploadServer with the staff key's name and the log sink chosen.
func writeServer(t *testing.T, capacity int, run bool, staffName string, logs io.Writer) *uploadEnv {
	t.Helper()
	return newWriteServer(t, serverOpts{capacity: capacity, run: run, staffName: staffName, logs: logs})
}

// serverOpts say what a test server has beyond its store, index, keys and upload queue.
type serverOpts struct {
	capacity  int
	run       bool // start the job runner
	staffName string
	logs      io.Writer
	sample    bool                    // the sample corpus, indexed, and a matcher over it
	config    func(*Config)           // changes to the default configuration
	pipeline  func(*indexer.Pipeline) // changes to the upload queue's pipeline
}

func newWriteServer(t *testing.T, o serverOpts) *uploadEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := corpus.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := indexer.OpenCurrent(dir, func(d string) (indexer.Index, error) { return bleveidx.Open(d) })
	if err != nil {
		t.Fatal(err)
	}
	var m *matcher.Matcher
	if o.sample {
		recs, err := sample.Records()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Put(recs, "sample"); err != nil {
			t.Fatal(err)
		}
		if _, err := indexer.Sync(context.Background(), st, idx, nil); err != nil {
			t.Fatal(err)
		}
		m = matcher.New(idx, st, matcher.DefaultWeights(), 2026)
	}
	keys := corpus.OpenKeyring(dir)
	staff, sk, err := keys.Create(o.staffName, corpus.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	brk, _, err := keys.Create("Môi giới B", corpus.RoleBroker)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Keys = keys
	cfg.Users = corpus.OpenUsers(dir)
	if o.config != nil {
		o.config(&cfg)
	}
	var log *slog.Logger
	if o.logs != nil {
		log = slog.New(slog.NewTextHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s := New(cfg, idx, st, m, log)
	x := extract.NewExtractor(extract.Options{NoOCR: true}, 1, nil)
	p := &indexer.Pipeline{Store: st, Index: idx, Extractor: x, Workers: 1, WriteLock: s.WriteLock(), BatchDocs: 1}
	if o.pipeline != nil {
		o.pipeline(p)
	}
	jobs, err := indexer.NewJobs(p, filepath.Join(dir, "uploads"), o.capacity)
	if err != nil {
		t.Fatal(err)
	}
	s.WithUploads(jobs, 2<<20)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	if o.run {
		go func() { jobs.Run(ctx); close(done) }()
	} else {
		close(done)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		cancel()
		<-done
		x.Close()
		idx.Close()
		st.Close()
	})
	return &uploadEnv{dir: dir, ts: ts, handler: s.Handler(), staff: staff, brk: brk, jobs: jobs, keys: keys, users: cfg.Users, store: st, staffK: sk}
}

func (u *uploadEnv) do(t *testing.T, method, path, key, ctype string, body io.Reader) (int, []byte, http.Header) {
	t.Helper()
	return call(t, method, u.ts.URL+path, key, ctype, body)
}

// call makes one request, with an API key when key is not empty, and returns the whole answer.
func call(t *testing.T, method, url, key, ctype string, body io.Reader) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func multipartBody(t *testing.T, name string, content []byte, fields map[string]string) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	w.Close()
	return w.FormDataContentType(), &buf
}

func (u *uploadEnv) waitJob(t *testing.T, id string) indexer.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		code, b, _ := u.do(t, "GET", "/api/v1/jobs/"+id, u.staff, "", nil)
		var j indexer.Job
		if code != http.StatusOK || json.Unmarshal(b, &j) != nil {
			t.Fatalf("job %s: %d %s", id, code, b)
		}
		if j.State == indexer.JobDone || j.State == indexer.JobFailed {
			return j
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s not finished", id)
	return indexer.Job{}
}

func (u *uploadEnv) searchIDs(t *testing.T, q string) []string {
	t.Helper()
	code, b, _ := u.do(t, "GET", "/api/v1/search?q="+url.QueryEscape(q), "", "", nil)
	if code != http.StatusOK {
		t.Fatalf("search: %d %s", code, b)
	}
	var res struct{ Hits []struct{ ID string } }
	json.Unmarshal(b, &res)
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

// TestUploadEditDelete: a staff key uploads a PDF with one corrected field, the job reports the
// document, search finds it, an edit shows at once, the original downloads, a delete removes it from
// search at once.
func TestUploadEditDelete(t *testing.T) {
	pdffixture.NeedFont(t)
	fx, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	u := uploadServer(t, 8, true)
	ctype, body := multipartBody(t, "../../etc/báo cáo.pdf", fx[0].PDF, map[string]string{"year": "2023", "keywords": "cá cơm; sấy"})

	// No key: 401, before anything else.
	if code, b, _ := u.do(t, "POST", "/api/v1/documents", "", ctype, bytes.NewReader(body.Bytes())); code != http.StatusUnauthorized {
		t.Fatalf("upload without key: %d %s", code, b)
	}
	// A broker may not upload.
	if code, _, _ := u.do(t, "POST", "/api/v1/documents", u.brk, ctype, bytes.NewReader(body.Bytes())); code != http.StatusForbidden {
		t.Fatalf("upload with broker key: %d", code)
	}
	code, b, h := u.do(t, "POST", "/api/v1/documents", u.staff, ctype, body)
	if code != http.StatusAccepted {
		t.Fatalf("upload: %d %s", code, b)
	}
	var job indexer.Job
	json.Unmarshal(b, &job)
	if h.Get("Location") != "/api/v1/jobs/"+job.ID || job.Name != "báo cáo.pdf" {
		t.Errorf("job %+v, location %q", job, h.Get("Location"))
	}
	job = u.waitJob(t, job.ID)
	if job.State != indexer.JobDone || job.Outcome == nil || job.Outcome.DocID == "" {
		t.Fatalf("job: %+v", job)
	}
	id := job.Outcome.DocID
	if ids := u.searchIDs(t, "sấy cá cơm năng lượng mặt trời"); len(ids) == 0 || ids[0] != id {
		t.Fatalf("search after upload: %v, want %s first", ids, id)
	}
	code, b, _ = u.do(t, "GET", "/api/v1/results/"+id, "", "", nil)
	var rec corpus.Result
	json.Unmarshal(b, &rec)
	if code != 200 || rec.Year != 2023 || len(rec.Keywords) != 2 || rec.Organization == "" {
		t.Errorf("record from upload: %d %+v", code, rec)
	}

	// Edit: shown at once, remembered as edited.
	code, b, _ = u.do(t, "PATCH", "/api/v1/results/"+id, u.staff, "application/json", strings.NewReader(`{"title": "Máy sấy cá cơm lai bơm nhiệt"}`))
	if code != http.StatusOK || !strings.Contains(string(b), `"edited":["title"]`) {
		t.Fatalf("edit: %d %s", code, b)
	}
	if ids := u.searchIDs(t, `"lai bơm nhiệt"`); len(ids) != 1 || ids[0] != id {
		t.Errorf("search after edit: %v", ids)
	}
	if code, _, _ := u.do(t, "PATCH", "/api/v1/results/"+id, u.staff, "application/json", strings.NewReader(`{"trl": "chín"}`)); code != http.StatusBadRequest {
		t.Errorf("invalid edit: %d", code)
	}
	if code, _, _ := u.do(t, "PATCH", "/api/v1/results/"+id, "", "application/json", strings.NewReader(`{"title": "x"}`)); code != http.StatusUnauthorized {
		t.Errorf("edit without key: %d", code)
	}

	// The original downloads, byte for byte, with a safe file name.
	code, b, h = u.do(t, "GET", "/api/v1/results/"+id+"/file", "", "", nil)
	if code != http.StatusOK || !bytes.Equal(b, fx[0].PDF) || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("original: %d, %d bytes, %q", code, len(b), h.Get("Content-Disposition"))
	}

	// Delete: gone from search at once.
	if code, b, _ := u.do(t, "DELETE", "/api/v1/results/"+id, u.staff, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", code, b)
	}
	if ids := u.searchIDs(t, `"lai bơm nhiệt"`); len(ids) != 0 {
		t.Errorf("found after delete: %v", ids)
	}
	if code, _, _ := u.do(t, "GET", "/api/v1/results/"+id, "", "", nil); code != http.StatusNotFound {
		t.Errorf("record after delete: %d", code)
	}
}

// TestUploadLimits: an upload over the size limit is refused with 413; a full queue answers 503 with
// Retry-After; a broken file becomes a failed job with its reason; a request without a file is 400.
func TestUploadLimits(t *testing.T) {
	u := uploadServer(t, 1, false)
	ctype, body := multipartBody(t, "lon.pdf", bytes.Repeat([]byte("x"), 3<<20), nil)
	if code, b, _ := u.do(t, "POST", "/api/v1/documents", u.staff, ctype, body); code != http.StatusRequestEntityTooLarge {
		t.Errorf("3 MB upload over a 2 MB limit: %d %s", code, b)
	}
	ctype, body = multipartBody(t, "a.txt", []byte("Quy trình ủ phân hữu cơ."), nil)
	if code, b, _ := u.do(t, "POST", "/api/v1/documents", u.staff, ctype, body); code != http.StatusAccepted {
		t.Fatalf("first upload: %d %s", code, b)
	}
	ctype, body = multipartBody(t, "b.txt", []byte("Quy trình nuôi ốc hương."), nil)
	code, b, h := u.do(t, "POST", "/api/v1/documents", u.staff, ctype, body)
	if wait, err := strconv.Atoi(h.Get("Retry-After")); code != http.StatusServiceUnavailable || err != nil || wait < 1 || wait > 60 {
		t.Errorf("upload into a full queue: %d %s, Retry-After %q", code, b, h.Get("Retry-After"))
	}
	if code, b, _ := u.do(t, "GET", "/readyz", "", "", nil); code != http.StatusServiceUnavailable {
		t.Errorf("readyz with a full queue: %d %s", code, b)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("title", "không có tệp")
	w.Close()
	if code, _, _ := u.do(t, "POST", "/api/v1/documents", u.staff, w.FormDataContentType(), &buf); code != http.StatusBadRequest {
		t.Errorf("upload without a file: %d", code)
	}
	if code, _, _ := u.do(t, "POST", "/api/v1/documents", u.staff, "application/json", strings.NewReader("{}")); code != http.StatusUnsupportedMediaType {
		t.Errorf("upload as JSON: %d", code)
	}

	// With a runner: a broken PDF is a failed job with a typed reason, and can be retried.
	u2 := uploadServer(t, 4, true)
	ctype, body = multipartBody(t, "hong.pdf", []byte("%PDF-1.4\nkhông phải PDF"), nil)
	code, b, _ = u2.do(t, "POST", "/api/v1/documents", u2.staff, ctype, body)
	if code != http.StatusAccepted {
		t.Fatalf("upload: %d %s", code, b)
	}
	var job indexer.Job
	json.Unmarshal(b, &job)
	job = u2.waitJob(t, job.ID)
	if job.State != indexer.JobFailed || job.Outcome == nil || job.Outcome.Reason != extract.ReasonMalformed {
		t.Errorf("broken upload: %+v", job)
	}
	if code, _, _ := u2.do(t, "POST", "/api/v1/jobs/"+job.ID+"/retry", u2.staff, "", nil); code != http.StatusAccepted {
		t.Errorf("retry: %d", code)
	}
}

// TestAuditLogRecordsWrites: every write, accepted or refused, leaves a line in DATA/audit.log with the
// key's id and name, never the key.
func TestAuditLogRecordsWrites(t *testing.T) {
	u := uploadServer(t, 4, true)
	ctype, body := multipartBody(t, "a.txt", []byte("Quy trình ủ phân hữu cơ từ bã mía."), nil)
	if code, b, _ := u.do(t, "POST", "/api/v1/documents", u.staff, ctype, body); code != http.StatusAccepted {
		t.Fatalf("upload: %d %s", code, b)
	}
	u.do(t, "DELETE", "/api/v1/results/khong-co", "", "", nil)
	u.do(t, "GET", "/api/v1/search?q=phân", "", "", nil)
	b, err := os.ReadFile(filepath.Join(u.dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("audit log has %d lines, want 2 (the upload, the refused delete):\n%s", len(lines), b)
	}
	var up, del auditEntry
	json.Unmarshal([]byte(lines[0]), &up)
	json.Unmarshal([]byte(lines[1]), &del)
	if up.KeyName != "Cán bộ A" || up.Role != "staff" || up.Status != http.StatusAccepted || up.Path != "/api/v1/documents" {
		t.Errorf("upload entry: %+v", up)
	}
	if del.KeyID != "" || del.Status != http.StatusUnauthorized || del.Method != "DELETE" {
		t.Errorf("refused delete entry: %+v", del)
	}
	if strings.Contains(string(b), u.staff) {
		t.Error("the audit log holds a key")
	}
}

// trickle is a request body that arrives in pieces, pause after pause, as a large file does over a slow
// line: slower, in all, than the test server's read and write timeouts.
type trickle struct {
	b     []byte
	piece int
	pause time.Duration
}

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	n := copy(p[:min(len(p), r.piece)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestSlowUploadAnswered: an upload that takes longer to arrive than the server's read and write timeouts
// (which guard ordinary requests) is queued and answered, through the API and the staff page's form alike;
// the client must not lose the answer of an upload that was queued.
func TestSlowUploadAnswered(t *testing.T) {
	env := staffServer(t)
	slow := httptest.NewUnstartedServer(env.handler)
	slow.Config.ReadTimeout, slow.Config.WriteTimeout = time.Second, time.Second
	slow.Start()
	defer slow.Close()
	// Signed in on the server without timeouts; the jar sends the session to the slow one (same host).
	b := newBrowser(t, env.ts.URL)
	if p := b.signIn(env.staff, ""); p.code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", p.code)
	}
	csrf := b.csrf()
	text := []byte(strings.Repeat("Quy trình ủ phân hữu cơ từ bã mía và vỏ cà phê. ", 200))
	tests := []struct {
		name, path, file string
		key              string // the API's key; "" for the staff page's form, by its session
		want             int
	}{
		{"api", uploadRoute, "cham-api.txt", env.staff, http.StatusAccepted},
		{"staff form", staffUploadRoute, "cham-trang.txt", "", http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			if tt.key == "" {
				w.WriteField("csrf", csrf)
			}
			fw, _ := w.CreateFormFile("file", tt.file)
			fw.Write(text)
			w.Close()
			body := &trickle{b: buf.Bytes(), piece: buf.Len()/10 + 1, pause: 250 * time.Millisecond}
			req, _ := http.NewRequest("POST", slow.URL+tt.path, body)
			req.Header.Set("Content-Type", w.FormDataContentType())
			if tt.key != "" {
				req.Header.Set("Authorization", "Bearer "+tt.key)
			}
			resp, err := b.c.Do(req)
			if err != nil {
				t.Fatalf("slow upload: no answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("slow upload: %d, want %d", resp.StatusCode, tt.want)
			}
			queued := false
			for _, j := range env.jobs.List(100) {
				queued = queued || j.Name == tt.file
			}
			if !queued {
				t.Errorf("slow upload %s answered but not queued", tt.file)
			}
		})
	}
}

// TestUploadRecordPart: the optional record part of an upload is a JSON object or null (no record); any
// other part is refused in Vietnamese, never with the JSON decoder's English, and never a server error.
func TestUploadRecordPart(t *testing.T) {
	u := uploadServer(t, 8, false)
	for _, tt := range []struct {
		name, record string
		want         int
		says         string // in the refusal's message
	}{
		{"null and a field", "null", http.StatusAccepted, ""},
		{"object", `{"title": "Quy trình ủ phân"}`, http.StatusAccepted, ""},
		{"syntax error", `{"title": "x",}`, http.StatusBadRequest, "lỗi cú pháp ở byte 15"},
		{"array", `[1, 2]`, http.StatusBadRequest, "đối tượng JSON"},
		{"string", `"tên"`, http.StatusBadRequest, "đối tượng JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctype, body := multipartBody(t, "a.txt", []byte("Quy trình ủ phân hữu cơ."),
				map[string]string{"record": tt.record, "organization": "Viện Nông nghiệp"})
			code, b, _ := u.do(t, "POST", uploadRoute, u.staff, ctype, body)
			if code != tt.want {
				t.Fatalf("%d, want %d: %s", code, tt.want, b)
			}
			if tt.says == "" {
				return
			}
			var ae APIError
			if json.Unmarshal(b, &ae); ae.Code != "bad_record" || !strings.Contains(ae.Message, tt.says) ||
				strings.Contains(ae.Message, "json:") || strings.Contains(ae.Message, "invalid character") {
				t.Errorf("refusal: %s", b)
			}
		})
	}
}

// TestAuditLogRecordsBackups: a backup hands out the whole data directory and an export every record of a
// kind, confidential needs included, so both are audited like writes, whether given or refused; other
// reads are not.
func TestAuditLogRecordsBackups(t *testing.T) {
	u := uploadServer(t, 4, false)
	admin, _, err := u.keys.Create("Quản trị C", corpus.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{admin, u.staff} {
		if code, _, _ := u.do(t, "GET", backupRoute, key, "", nil); code != http.StatusOK && code != http.StatusForbidden {
			t.Fatalf("backup: %d", code)
		}
	}
	// An export hands out confidential needs too: audited, and so is a refused one.
	for _, key := range []string{u.staff, u.brk} {
		if code, _, _ := u.do(t, "GET", exportRoute+"?kind=need&format=jsonl", key, "", nil); code != http.StatusOK && code != http.StatusForbidden {
			t.Fatalf("export: %d", code)
		}
	}
	u.do(t, "GET", "/api/v1/jobs", u.staff, "", nil)
	b, err := os.ReadFile(filepath.Join(u.dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e auditEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		got = append(got, fmt.Sprintf("%s %s %d %s", e.Method, e.Path, e.Status, e.KeyName))
	}
	want := []string{"GET " + backupRoute + " 200 Quản trị C", "GET " + backupRoute + " 403 Cán bộ A",
		"GET " + exportRoute + " 200 Cán bộ A", "GET " + exportRoute + " 403 Môi giới B"}
	if !slices.Equal(got, want) {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAuditLogHidesTokens: a write sent to a follow page's or a feed's address (refused: they only answer
// GET) leaves its audit entry without the token, which opens what the store keeps only the hash of.
func TestAuditLogHidesTokens(t *testing.T) {
	u := uploadServer(t, 4, false)
	follow, feed := corpus.NewToken(), corpus.FeedTokenPrefix+corpus.NewToken()
	for _, p := range []string{followPrefix + follow, followAPI + follow, feedsPrefix + "needs/" + feed + feedSuffix} {
		if code, _, _ := u.do(t, "POST", p, "", "", nil); code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: %d, want 405", p, code)
		}
	}
	b, err := os.ReadFile(filepath.Join(u.dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 3 {
		t.Errorf("%d audit entries, want 3:\n%s", n, b)
	}
	if strings.Contains(string(b), follow) || strings.Contains(string(b), feed) {
		t.Errorf("a token in the audit log:\n%s", b)
	}
}

// TestUploadStoreFailureIsServers: an upload the server cannot store (its upload folder is gone) is the
// server's error — 500, and logged — not the client's "could not read the upload"; an upload whose body is
// cut off still is the client's.
func TestUploadStoreFailureIsServers(t *testing.T) {
	u := uploadServer(t, 4, false)
	ctype, body := multipartBody(t, "a.txt", []byte(strings.Repeat("Quy trình ủ phân hữu cơ. ", 100)), nil)
	whole := body.Bytes()
	for _, tt := range []struct {
		name   string
		body   []byte
		before func()
		status int
		code   string
	}{
		{"body cut off", whole[:len(whole)/2], func() {}, http.StatusBadRequest, "bad_multipart"},
		{"upload folder gone", whole, func() {
			dir := filepath.Join(u.dir, "uploads")
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dir, []byte("không phải thư mục"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, http.StatusInternalServerError, "internal"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.before()
			code, b, _ := u.do(t, "POST", uploadRoute, u.staff, ctype, bytes.NewReader(tt.body))
			var ae APIError
			if json.Unmarshal(b, &ae); code != tt.status || ae.Code != tt.code {
				t.Errorf("%d %s, want %d %s", code, b, tt.status, tt.code)
			}
		})
	}
}
