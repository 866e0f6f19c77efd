package indexer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"ketnoi/corpus"
)

// Jobs is the upload queue of a running server: each uploaded file becomes a job that the same Pipeline
// as `ketnoi index` processes. An upload is on disk (DATA/uploads/JOB/) with its job file before it is
// acknowledged, so a server killed at any point finds its queued jobs again on restart.
type Jobs struct {
	p     *Pipeline
	dir   string
	queue chan string
	mu    sync.Mutex
	jobs  map[string]*Job
	// perFile is the mean time a file took in the runner's last run (guarded by mu), for RetryAfter.
	perFile time.Duration
	// resumed are the jobs a previous server left queued or running (guarded by mu): their file may be in
	// the store already, its outcome not yet recorded with the job (Pipeline.Rerun).
	resumed map[string]bool
}

// Job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Job is one uploaded file on its way into the index.
type Job struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"` // the file name the client gave (shown, never used as a path)
	Size     int64        `json:"size"`
	State    string       `json:"state"`
	Outcome  *FileOutcome `json:"outcome,omitempty"`
	Error    string       `json:"error,omitempty"`
	Created  time.Time    `json:"created"`
	Finished time.Time    `json:"finished,omitzero"`
	// By is the id of the key that uploaded it.
	By string `json:"by,omitempty"`
	// Restore: the upload brings back the document staff deleted that its content gave (asked for
	// explicitly); without it that document stays deleted and the outcome says so.
	Restore bool `json:"restore,omitempty"`
	// Source is the label of the file the upload is a version of (CheckSourceFile): its document
	// replaces the one the last upload with that label gave. "" for an upload on its own.
	Source string `json:"source_file,omitempty"`
}

// ErrBusy is returned by Stage, Commit and Retry when the queue is full: the client should retry later.
var ErrBusy = errors.New("hàng đợi tải lên đang đầy, hãy thử lại sau")

// ErrTooLarge is returned by Stage when the upload is over its limit.
var ErrTooLarge = errors.New("tệp tải lên vượt giới hạn kích thước")

// NewJobs opens the upload queue in dir (DATA/uploads), re-queueing what a previous server left
// unfinished.
func NewJobs(p *Pipeline, dir string, capacity int) (*Jobs, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	j := &Jobs{p: p, dir: dir, queue: make(chan string, capacity), jobs: map[string]*Job{}, resumed: map[string]bool{}}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var pending []*Job
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "job.json"))
		if err != nil {
			// An upload killed before its job file was written was never acknowledged: drop it.
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
			continue
		}
		var job Job
		if json.Unmarshal(b, &job) != nil || job.ID != e.Name() {
			continue
		}
		if job.State == JobQueued || job.State == JobRunning {
			job.State = JobQueued
			pending = append(pending, &job)
			j.resumed[job.ID] = true
		}
		j.release(&job) // a server stopped between a job's end and its release, or one from before releases
		j.jobs[job.ID] = &job
	}
	sort.Slice(pending, func(a, b int) bool { return pending[a].Created.Before(pending[b].Created) })
	// Re-queued jobs may exceed the channel: a goroutine feeds them as room frees up.
	go func() {
		for _, job := range pending {
			j.queue <- job.ID
		}
	}()
	return j, nil
}

// Staged is an upload on disk, not yet queued: the rest of a multipart request (a sidecar record) may
// still be on its way.
type Staged struct {
	j    *Jobs
	id   string
	dir  string
	name string
	size int64
}

// Name is the file name the upload was sent with: only shown, never a path.
func (st *Staged) Name() string { return st.name }

// Stage streams an upload to disk (at most limit bytes, fsynced). The file name is only shown: the file
// is stored under a name we make.
func (j *Jobs) Stage(name string, body io.Reader, limit int64) (*Staged, error) {
	if len(j.queue) == cap(j.queue) {
		return nil, ErrBusy
	}
	id := newJobID()
	jdir := filepath.Join(j.dir, id)
	if err := os.Mkdir(jdir, 0o755); err != nil {
		return nil, err
	}
	st := &Staged{j: j, id: id, dir: jdir, name: displayName(name)}
	f, err := os.OpenFile(filepath.Join(jdir, "upload"+safeExt(name)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		st.Abort()
		return nil, err
	}
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		st.Abort()
		return nil, fmt.Errorf("ghi tệp tải lên: %w", err)
	}
	if n > limit {
		st.Abort()
		return nil, ErrTooLarge
	}
	st.size = n
	return st, nil
}

// Abort removes a staged upload.
func (st *Staged) Abort() { _ = os.RemoveAll(st.dir) }

// Commit writes the job (and the sidecar record, if any) and queues it: from here on the upload is
// acknowledged, and survives a restart. restore asks for the document staff deleted to come back; source
// is the label of the file the upload is a version of ("" for none; see CheckSourceFile).
func (st *Staged) Commit(sidecar []byte, by string, restore bool, source string) (*Job, error) {
	j := st.j
	if err := CheckSourceFile(source); err != nil {
		st.Abort()
		return nil, err
	}
	if len(sidecar) > 0 {
		if err := corpus.WriteFileAtomic(filepath.Join(st.dir, "upload.json"), sidecar); err != nil {
			st.Abort()
			return nil, err
		}
	}
	job := &Job{ID: st.id, Name: st.name, Size: st.size, State: JobQueued, Created: time.Now().UTC(), By: by, Restore: restore, Source: source}
	if err := j.save(job); err != nil {
		st.Abort()
		return nil, err
	}
	// The job's directory entry itself must survive a power cut once the upload is acknowledged.
	if err := corpus.SyncDir(j.dir); err != nil {
		st.Abort()
		return nil, err
	}
	j.mu.Lock()
	j.jobs[job.ID] = job
	c := job.copy() // before the send: from then on the runner owns the job
	j.mu.Unlock()
	select {
	case j.queue <- job.ID:
		return c, nil
	default:
		j.mu.Lock()
		delete(j.jobs, job.ID)
		j.mu.Unlock()
		st.Abort()
		return nil, ErrBusy
	}
}

// Get returns a copy of a job.
func (j *Jobs) Get(id string) (*Job, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	job, ok := j.jobs[id]
	if !ok {
		return nil, false
	}
	return job.copy(), true
}

// List returns the jobs, newest first, at most n.
func (j *Jobs) List(n int) []*Job {
	j.mu.Lock()
	out := make([]*Job, 0, len(j.jobs))
	for _, job := range j.jobs {
		out = append(out, job.copy())
	}
	j.mu.Unlock()
	sort.Slice(out, func(a, b int) bool { return out[a].Created.After(out[b].Created) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Pending is the number of jobs waiting or running.
func (j *Jobs) Pending() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, job := range j.jobs {
		if job.State == JobQueued || job.State == JobRunning {
			n++
		}
	}
	return n
}

// Full reports whether the queue would refuse an upload now.
func (j *Jobs) Full() bool { return len(j.queue) == cap(j.queue) }

// Retry queues a failed job again (after a fix such as installing tesseract). A job whose upload is gone
// (it went into the index, and its content is in the corpus originals) cannot run again: ErrUploadGone.
func (j *Jobs) Retry(id string) (*Job, error) {
	j.mu.Lock()
	job, ok := j.jobs[id]
	if !ok {
		j.mu.Unlock()
		return nil, corpus.ErrNotFound
	}
	if job.State == JobQueued || job.State == JobRunning {
		j.mu.Unlock()
		return job.copy(), nil
	}
	if _, err := os.Stat(j.uploadPath(id)); err != nil {
		j.mu.Unlock()
		return nil, ErrUploadGone
	}
	if newer, err := j.newerVersion(job); err != nil || newer != "" {
		j.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return nil, &SupersededError{Newer: newer}
	}
	before := job.copy()
	job.State, job.Error, job.Outcome, job.Finished = JobQueued, "", nil, time.Time{}
	c := job.copy()
	j.mu.Unlock()
	if err := j.save(c); err != nil {
		return nil, err
	}
	select {
	case j.queue <- id:
		return c, nil
	default:
		// Not queued after all: the job stays as it was, not "queued" with nothing to run it.
		j.mu.Lock()
		job.State, job.Error, job.Outcome, job.Finished = before.State, before.Error, before.Outcome, before.Finished
		j.mu.Unlock()
		_ = j.save(before)
		return nil, ErrBusy
	}
}

// SupersededError is returned by Retry for an upload of a file (Job.Source) that the same uploader sent
// again since, in an upload that did not fail: retried, the old version would replace the newer one.
type SupersededError struct{ Newer string }

func (e *SupersededError) Error() string {
	return fmt.Sprintf("tệp này đã được tải lên lại sau đó (công việc %s); thử lại bản cũ sẽ thay bản mới hơn bằng nó, nên không thử lại — muốn dùng bản cũ thì tải nó lên lại", e.Newer)
}

// newerVersion is the id of an upload of job's file by the same uploader that came after it and did not
// fail: one queued or running, or the one whose document the file's state now holds (written from
// another upload than job's). "" when none. The file's state, not the clock, says which came last. Hold
// j.mu.
func (j *Jobs) newerVersion(job *Job) (string, error) {
	if job.Source == "" {
		return "", nil
	}
	for _, o := range j.jobs {
		if o.ID != job.ID && o.By == job.By && o.Source == job.Source && (o.State == JobQueued || o.State == JobRunning) {
			return o.ID, nil
		}
	}
	st, found, err := j.p.Store.FileState(UploadKey(job.By, job.Source))
	if err != nil || !found || st.Outcome != corpus.FileIndexed || st.From == "" || st.From == j.uploadPath(job.ID) {
		return "", err
	}
	return filepath.Base(filepath.Dir(st.From)), nil // the job's folder is named by its id
}

// ErrUploadGone is returned by Retry for a job whose uploaded file was released after it went in.
var ErrUploadGone = errors.New("tệp của công việc này đã vào kho và không còn trong hàng đợi; hãy tải lên lại nếu cần")

// release removes a finished job's upload, keeping its job file: the content is in the corpus originals
// (content-addressed), so a second copy per upload only filled the disk, once more for every re-upload.
// A failed job keeps its file for a retry, and so does one with pages waiting for OCR.
func (j *Jobs) release(job *Job) {
	if job.State != JobDone || job.Outcome == nil || job.Outcome.NeedsOCR {
		return
	}
	dir := filepath.Join(j.dir, job.ID)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "job.json" {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// groupMax bounds how many queued jobs one pipeline run takes: enough to keep every extraction worker busy
// and fill the pipeline's batches, few enough that each job's outcome still shows soon.
const groupMax = 64

// Run processes jobs until ctx ends. Whatever is queued when the runner comes round goes through one
// pipeline run together, as a folder does with `ketnoi index`: extraction on every worker process, one
// store and index batch per 32 files. One run per upload left all but one worker idle and paid a batch
// commit per file (100 ten-page PDFs through `ketnoi index --server`: 29 pages/s).
func (j *Jobs) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-j.queue:
			ids := []string{id}
		more:
			for len(ids) < groupMax {
				select {
				case id := <-j.queue:
					ids = append(ids, id)
				default:
					break more
				}
			}
			j.runGroup(ctx, ids)
		}
	}
}

// runGroup runs the given jobs through one pipeline run. A job stays queued until a worker starts on its
// file and is running from then on (in memory only: a running job is queued again after a restart anyway,
// so this costs no write); it ends when the pipeline reports its file (after its batch committed), not when
// the whole group does. A job the run did not finish when the server stopped is queued again.
func (j *Jobs) runGroup(ctx context.Context, ids []string) {
	t0 := time.Now()
	upload := make([]string, len(ids))
	for i, id := range ids {
		upload[i] = j.uploadPath(id)
	}
	byPath := map[string]*Job{} // read-only once the run starts
	restore, rerun := map[string]bool{}, map[string]bool{}
	keys := map[string]string{} // upload → the key of the file it is a version of
	taken := map[string]bool{}  // keys of this run
	var paths, later []string
	j.mu.Lock()
	for i, id := range ids {
		job, ok := j.jobs[id]
		if !ok || byPath[upload[i]] != nil {
			continue
		}
		if job.Source != "" {
			key := UploadKey(job.By, job.Source)
			if taken[key] {
				// Two versions of one file in one run would both replace the last one: the later waits for
				// the next run and replaces the earlier.
				later = append(later, id)
				continue
			}
			keys[upload[i]], taken[key] = key, true
		}
		byPath[upload[i]] = job
		restore[upload[i]], rerun[upload[i]] = job.Restore, j.resumed[id]
		paths = append(paths, upload[i])
	}
	j.mu.Unlock()
	if len(paths) == 0 {
		return
	}
	if len(later) > 0 {
		defer j.runGroup(ctx, later)
	}
	ended := map[string]bool{} // only OnFile, then this goroutine after the run, touch it
	p := *j.p
	p.RetryFailed = true // an upload is always read
	onStart := p.OnStart
	p.OnStart = func(path string) {
		j.mu.Lock()
		if job := byPath[path]; job != nil {
			job.State = JobRunning
		}
		j.mu.Unlock()
		if onStart != nil {
			onStart(path)
		}
	}
	p.Restore = func(path string) bool { return restore[path] }
	p.StateKey = func(path string) string { return keys[path] }
	p.Rerun = func(path string) bool { return rerun[path] }
	p.OnFile = func(o FileOutcome) {
		if job := byPath[o.Path]; job != nil && !ended[o.Path] {
			ended[o.Path] = true
			j.end(ctx, job, &o, nil)
		}
	}
	p.OnProgress = nil
	p.DisplayName = func(path string) string {
		if job := byPath[path]; job != nil {
			return job.Name
		}
		return filepath.Base(path)
	}
	_, err := p.Run(ctx, paths)
	for _, path := range paths {
		if !ended[path] {
			j.end(ctx, byPath[path], nil, err)
		}
	}
	j.mu.Lock()
	j.perFile = time.Since(t0) / time.Duration(len(paths))
	j.mu.Unlock()
}

// end finishes a job of a run with its file's outcome, or, when the run gave none, by the run's error: the
// job is written to disk and its upload released before anyone can read it as ended.
func (j *Jobs) end(ctx context.Context, job *Job, out *FileOutcome, err error) {
	j.mu.Lock()
	c := job.copy()
	j.mu.Unlock()
	c.Finished = time.Now().UTC()
	switch {
	case out != nil:
		out.Path = c.Name
		c.Outcome = out
		c.State, c.Error = JobDone, ""
		if out.Outcome == OutcomeFailed {
			c.State, c.Error = JobFailed, out.Message
		}
	case err != nil && ctx.Err() != nil:
		c.State, c.Error = JobQueued, "" // the server is stopping: the job runs again on restart
		c.Finished = time.Time{}
	case err != nil:
		c.State, c.Error = JobFailed, err.Error()
	default:
		c.State, c.Error = JobFailed, "không có kết quả"
	}
	if j.save(c) == nil {
		j.release(c)
	}
	j.mu.Lock()
	*job = *c
	if c.State != JobQueued {
		delete(j.resumed, c.ID) // its outcome is recorded: a retry reads its file again
	}
	j.mu.Unlock()
}

// RetryAfter is how long a client refused with ErrBusy should wait: about the time the runner takes to
// work through half of what is queued, by the pace of its last run (between 1 and 60 seconds).
func (j *Jobs) RetryAfter() time.Duration {
	j.mu.Lock()
	per := j.perFile
	j.mu.Unlock()
	if per <= 0 {
		per = time.Second
	}
	return min(max(per*time.Duration(len(j.queue)/2), time.Second), time.Minute)
}

func (j *Jobs) uploadPath(id string) string {
	ents, _ := os.ReadDir(filepath.Join(j.dir, id))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "upload.") && e.Name() != "upload.json" || e.Name() == "upload" {
			return filepath.Join(j.dir, id, e.Name())
		}
	}
	return filepath.Join(j.dir, id, "upload")
}

func (j *Jobs) save(job *Job) error {
	b, err := json.MarshalIndent(job, "", "  ")
	if err != nil {
		return err
	}
	return corpus.WriteFileAtomic(filepath.Join(j.dir, job.ID, "job.json"), b)
}

func (job *Job) copy() *Job {
	c := *job
	if job.Outcome != nil {
		o := *job.Outcome
		c.Outcome = &o
	}
	return &c
}

func newJobID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "job-" + hex.EncodeToString(b)
}

// safeExt keeps a known document extension of the client's file name (which decides the format), and
// nothing else of it.
func safeExt(name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	if DocumentExt[ext] {
		return ext
	}
	return ".bin"
}

// displayName is the client's file name reduced to something safe to show: its base, printable, short.
func displayName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	if name == "" || name == "." || name == "/" {
		name = "tệp"
	}
	return name
}
