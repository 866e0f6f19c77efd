package indexer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer/extract"
)

// The pipeline indexes document files (PDF, DOCX, ODT, TXT): walk → (skip unchanged) → hash → extract
// on all cores → record → store and index in batches. Every file's outcome is written to the store in
// the same transaction as its record, so a killed run leaves nothing half-done and the next run skips
// exactly what was finished.

// Outcomes of one file in a run.
const (
	OutcomeAdded     = "added"     // a new document
	OutcomeUpdated   = "updated"   // the file changed, or its document was re-extracted
	OutcomeUnchanged = "unchanged" // same size and time as last run: not read
	OutcomeSame      = "same"      // content already indexed under another name: one document, one more path
	OutcomeFailed    = "failed"    // no text: Reason says why
)

// FileOutcome is what a run did with one file.
type FileOutcome struct {
	Path     string         `json:"path"`
	Outcome  string         `json:"outcome"`
	DocID    string         `json:"doc_id,omitempty"`
	Reason   extract.Reason `json:"reason,omitempty"`
	Message  string         `json:"message,omitempty"`
	Pages    int            `json:"pages,omitempty"`
	Rungs    map[string]int `json:"rungs,omitempty"`
	NeedsOCR bool           `json:"needs_ocr,omitempty"`
	// Deleted: the file's content is that of document DocID, which staff deleted; it stays deleted
	// (Outcome unchanged) unless the run was asked to restore it (Pipeline.Restore).
	Deleted  bool     `json:"deleted,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Bytes    int64    `json:"bytes"`
	Seconds  float64  `json:"seconds"`
}

// Progress is a snapshot of a run for a progress display.
type Progress struct {
	Files, Done    int
	Pages          int
	Bytes, Total   int64 // bytes done and to do
	Current        string
	Failed         int
	Started        time.Time
	Skipped        int // unchanged files, not read
	ExtractStarted time.Time
}

// Summary is a run's totals.
type Summary struct {
	Files     int                    `json:"files"`
	Added     int                    `json:"added"`
	Updated   int                    `json:"updated"`
	Unchanged int                    `json:"unchanged"`
	Same      int                    `json:"same"`
	Failed    map[extract.Reason]int `json:"failed"`
	NeedsOCR  int                    `json:"needs_ocr"`
	Deleted   int                    `json:"deleted"` // unchanged files whose document staff deleted: not brought back
	Pruned    int                    `json:"pruned"`
	Pages     int                    `json:"pages"`
	Bytes     int64                  `json:"bytes"`
	Duration  time.Duration          `json:"duration"`
	Rungs     map[string]int         `json:"rungs"`
}

// FailedCount is the number of failed files.
func (s *Summary) FailedCount() int {
	n := 0
	for _, v := range s.Failed {
		n += v
	}
	return n
}

// Pipeline indexes document files into a store and its index.
type Pipeline struct {
	Store     *corpus.Store
	Index     Index
	Extractor *extract.Extractor
	// Workers is how many files are extracted at once (the extractor's worker processes).
	Workers int
	// OCRAvailable: files kept without OCR are read again (set from Extractor.OCRStatus).
	OCRAvailable bool
	// RetryFailed reads failed files again even when unchanged.
	RetryFailed bool
	// Restore, when it returns true for a file, brings back the document staff deleted that the file's
	// content gave; otherwise that document stays deleted (see KeepDeleted).
	Restore func(path string) bool
	// OnStart is called when a worker starts on a file (hashing, then extraction), from the workers: possibly
	// several calls at once, each holding up its worker, so it must be quick. An unchanged file, or one that
	// cannot be opened, gets no call: its outcome comes at once.
	OnStart func(path string)
	// OnFile is called for every file, in completion order, one call at a time.
	OnFile func(FileOutcome)
	// OnProgress is called after every file and on a timer, one call at a time.
	OnProgress func(Progress)
	// BatchDocs and BatchWait bound how long finished files wait before they are committed.
	BatchDocs int
	BatchWait time.Duration
	// DisplayName, when set, names a file for people (an upload's own name, not the name it is stored
	// under): the record's extraction file name and fallback title.
	DisplayName func(path string) string
	// WriteLock, when set, is held around each store write and index sync, so that a server's other
	// writers (edits, deletes) and its upload jobs do not sync the index at the same time.
	WriteLock sync.Locker
	// StateKey, when set, names the file a path holds a version of (an upload of a file the client
	// names, see UploadKey): its state is read and written under that key, which is also its document's
	// source, so that a new version replaces the old one as a changed file on disk does. Such a file is
	// always read: the size and time of a new upload say nothing about the last one.
	StateKey func(path string) string
	// Rerun, when it returns true for a file, says an earlier run may have written it without its outcome
	// reaching anyone (an upload job of a server stopped between the store write and the job's end): a state
	// written from this very file then gives the outcome that run reported (FileState.Reported), not what
	// reading it again would find (its own document: unchanged, or same).
	Rerun func(path string) bool
}

// DocumentExt are the extensions the pipeline reads as documents.
var DocumentExt = map[string]bool{".pdf": true, ".docx": true, ".odt": true, ".txt": true, ".doc": true}

// candidate is a file to look at.
type candidate struct {
	path    string
	key     string // the key of the file's state: its path, or StateKey's
	size    int64
	mtime   time.Time
	sidecar int64  // sidecar's mtime, 0 when none
	prevDoc string // the document the file gave last time
	prev    corpus.FileState
}

// Run indexes the document files among paths (files or directories, walked recursively). Files given
// by name are read whatever their extension; in directories only DocumentExt. Errors reading a file
// are outcomes, not errors of the run; the error is for the store or index failing, or ctx ending.
func (p *Pipeline) Run(ctx context.Context, files []string) (Summary, error) {
	start := time.Now()
	sum := Summary{Failed: map[extract.Reason]int{}, Rungs: map[string]int{}}
	prog := Progress{Files: len(files), Started: start}
	var cands []candidate
	for _, f := range files {
		st, err := os.Stat(f)
		if err == nil && !st.Mode().IsRegular() {
			// Opening a pipe would wait for a writer for good.
			err = errors.New("không phải tệp thường (thư mục, ống dẫn, thiết bị hay socket)")
		}
		if err != nil {
			p.emit(&sum, &prog, FileOutcome{Path: f, Outcome: OutcomeFailed, Reason: extract.ReasonIO, Message: ioMessage(err)})
			continue
		}
		c := candidate{path: f, key: p.stateKey(f), size: st.Size(), mtime: st.ModTime()}
		if sc := extract.SidecarPath(f); sc != "" {
			if sst, err := os.Stat(sc); err == nil {
				c.sidecar = sst.ModTime().UnixNano()
			}
		}
		prog.Total += c.size
		cands = append(cands, c)
	}
	// Unchanged files first, and fast: one store read each, no file read.
	var todo []candidate
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		st, found, err := p.Store.FileState(c.key)
		if err != nil {
			return sum, err
		}
		c.prevDoc, c.prev = st.DocID, st
		if found && p.Rerun != nil && p.Rerun(c.path) && st.Reported != "" && writtenFrom(st, c) {
			prog.Skipped++
			p.emit(&sum, &prog, p.reported(st, c))
			continue
		}
		if found && c.key == c.path && p.unchanged(st, c) {
			deleted, changed, err := p.docDeleted(st)
			if err != nil {
				return sum, err
			}
			if deleted && p.restore(c.path) {
				todo = append(todo, c)
				continue
			}
			prog.Skipped++
			o := FileOutcome{Path: c.path, Outcome: OutcomeUnchanged, DocID: st.DocID,
				Reason: extract.Reason(st.Reason), Message: st.Message, NeedsOCR: st.NeedsOCR, Bytes: c.size}
			if st.Outcome == corpus.FileFailed {
				o.DocID = "" // the document a readable version gave, kept: not this file's outcome
			}
			if deleted {
				keepDeleted(&o, changed)
			}
			p.emit(&sum, &prog, o)
			continue
		}
		todo = append(todo, c)
	}
	var claims map[string]string
	if slices.ContainsFunc(todo, func(c candidate) bool { return c.sidecar != 0 }) {
		claims = p.sidecarClaims(cands) // only when a file to read has a sidecar: reruns stay cheap
	}
	err := p.process(ctx, todo, claims, &sum, &prog)
	sum.Files = len(files)
	sum.Duration = time.Since(start)
	return sum, err
}

func (p *Pipeline) unchanged(st corpus.FileState, c candidate) bool {
	if !st.Unchanged(c.size, c.mtime) || st.Sidecar != c.sidecar {
		return false
	}
	if st.Version < ExtractionVersion && st.Outcome == corpus.FileFailed {
		return false
	}
	if st.NeedsOCR && p.OCRAvailable {
		return false // a later run with tesseract picks it up
	}
	if p.RetryFailed && st.Outcome == corpus.FileFailed {
		return false
	}
	// A document deleted by staff stays deleted: its unchanged file is not brought back (see Run).
	return true
}

// done is one extracted (or failed, or same-content) file on its way to the writer.
type done struct {
	c       candidate
	change  corpus.FileChange
	outcome FileOutcome
}

func (p *Pipeline) process(ctx context.Context, todo []candidate, claims map[string]string, sum *Summary, prog *Progress) error {
	if len(todo) == 0 {
		return nil
	}
	workers := max(1, p.Workers)
	jobs := make(chan candidate)
	results := make(chan done, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				if p.OnStart != nil {
					p.OnStart(c.path)
				}
				results <- p.one(ctx, c, claims)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, c := range todo {
			select {
			case jobs <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	batchDocs := p.BatchDocs
	if batchDocs <= 0 {
		batchDocs = 32
	}
	wait := p.BatchWait
	if wait <= 0 {
		wait = time.Second
	}
	// Batches are committed (store, then index) by their own goroutine while the next one fills, so
	// extraction in the worker processes goes on while the index analyses: one batch in flight, one
	// waiting at most.
	commits := make(chan []done, 1)
	commitDone := make(chan struct{})
	var commitErr error
	var mu sync.Mutex // guards sum, prog and commitErr between the two goroutines
	go func() {
		defer close(commitDone)
		for b := range commits {
			mu.Lock()
			failed := commitErr != nil
			mu.Unlock()
			if failed {
				continue // drain: nothing more is written
			}
			err := p.commit(ctx, b)
			mu.Lock()
			if err != nil {
				commitErr = err
			} else {
				for _, d := range b {
					p.emit(sum, prog, d.outcome)
				}
			}
			mu.Unlock()
		}
	}()
	stop := func() error {
		close(commits)
		<-commitDone
		mu.Lock()
		defer mu.Unlock()
		return commitErr
	}
	var batch []done
	written := map[string]string{} // doc id → sha written in this run: a second file with it is the same document
	left := map[string][]string{}  // document → the files of this run that left it (not all committed yet)
	flush := func() {
		if len(batch) > 0 {
			commits <- batch
			batch = nil
		}
	}
	tick := time.NewTicker(wait)
	defer tick.Stop()
	for {
		select {
		case d, ok := <-results:
			if !ok {
				flush()
				if err := stop(); err != nil {
					return err
				}
				return ctx.Err()
			}
			mu.Lock()
			prog.Current = d.c.path
			mu.Unlock()
			if id := d.change.State.DocID; id != "" && d.outcome.Outcome != OutcomeFailed {
				if sha, ok := written[id]; ok && sha == d.change.State.SHA256 && !d.outcome.Deleted {
					d.outcome.Outcome = OutcomeSame
				}
				written[id] = d.change.State.SHA256
			}
			if prev := d.change.Previous; prev != "" && prev != d.change.State.DocID {
				// Decided here, in the order the files are written, rather than by each worker: copies of one
				// document that all change in one run each saw the others still giving it. The last to leave
				// replaces it, also when its new content is one an earlier file of the run gave ("same").
				if (d.outcome.Outcome == OutcomeAdded || d.outcome.Outcome == OutcomeSame) && p.replaces(d.c, left[prev]) {
					d.outcome.Outcome = OutcomeUpdated
				}
				left[prev] = append(left[prev], d.c.key)
			}
			if !d.outcome.Deleted && d.outcome.Outcome != OutcomeFailed {
				d.change.State.Reported = d.outcome.Outcome // with the state, in its transaction (see Rerun)
				d.change.State.Warnings = d.outcome.Warnings
			}
			batch = append(batch, d)
			if len(batch) >= batchDocs {
				flush()
			}
		case <-tick.C:
			flush()
			mu.Lock()
			if p.OnProgress != nil {
				p.OnProgress(*prog)
			}
			mu.Unlock()
		}
		mu.Lock()
		err := commitErr
		mu.Unlock()
		if err != nil {
			// Drain so the workers stop; nothing more is written.
			go func() {
				for range results {
				}
			}()
			stop()
			return err
		}
	}
}

// commit writes one batch: the originals it names reach the disk first, then the records and file
// states in one store transaction, then the index catches up. Only then are its files finished.
func (p *Pipeline) commit(ctx context.Context, batch []done) error {
	changes := make([]corpus.FileChange, len(batch))
	for i, d := range batch {
		changes[i] = d.change
	}
	if err := p.Store.SyncOriginals(); err != nil {
		return err
	}
	if p.WriteLock != nil {
		p.WriteLock.Lock()
		defer p.WriteLock.Unlock()
	}
	if _, err := p.Store.PutFiles(changes); err != nil {
		return err
	}
	_, err := Sync(ctx, p.Store, p.Index, nil)
	return err
}

// one takes a file from disk to a FileChange: kept original, hash, same-content check, extraction,
// record.
func (p *Pipeline) one(ctx context.Context, c candidate, claims map[string]string) done {
	t0 := time.Now()
	out := FileOutcome{Path: c.path, Bytes: c.size}
	state := corpus.FileState{Path: c.key, Size: c.size, ModTime: c.mtime.UnixNano(), Sidecar: c.sidecar, Version: ExtractionVersion}
	if c.key != c.path {
		state.From = c.path
	}
	fail := func(r extract.Reason, msg string) done {
		if c.prevDoc != "" {
			if _, err := p.Store.Get(c.prevDoc); err == nil { // live (its record is not decoded)
				msg += fmt.Sprintf("; bản đọc được trước đó (%s) vẫn được giữ trong tìm kiếm", c.prevDoc)
			}
		}
		out.Seconds = time.Since(t0).Seconds()
		return failDone(done{c: c, change: corpus.FileChange{State: state, Original: state.SHA256, Previous: c.prevDoc}, outcome: out}, r, msg)
	}
	sha, err := p.keepOriginal(c.path)
	if err != nil {
		return fail(extract.ReasonIO, ioMessage(err))
	}
	state.SHA256 = sha
	// A sidecar that cannot be read fails the file: indexing it without the corrections staff wrote
	// (its id among them) would make a document they did not ask for.
	side, serr := sidecarRecord(c.path)
	if serr != nil {
		return fail(serr.Reason, serr.Detail)
	}
	// Same content already indexed (another name, or the file was only touched): no extraction, the
	// document gets one more path. A sidecar with its own id makes it a separate document.
	id := DocID(sha)
	if sid := sidecarID(side); sid != "" {
		id = sid
	}
	existing := p.existing(id)
	if owner := claims[id]; owner != "" && owner != c.path &&
		(existing == nil || existing.Extraction == nil || existing.Extraction.SHA256 != sha) {
		if p.DisplayName != nil {
			owner = p.DisplayName(owner) // an upload's own name, not where the server keeps it
		}
		return fail(extract.ReasonMalformed, fmt.Sprintf("tệp kèm: mã %q đã là mã của tài liệu lấy từ tệp khác (%s); hãy đặt mã khác trong tệp kèm", id, owner))
	}
	if src := p.recordFileOf(existing, sidecarID(side)); src != "" {
		// The report would replace that record, and the next import of the record file replace it back.
		return fail(extract.ReasonMalformed, fmt.Sprintf("tệp kèm: mã %q đã là mã của bản ghi nhập từ tệp %s; hãy đặt mã khác trong tệp kèm", id, src))
	}
	// The content of a document staff deleted (the file touched, copied, or uploaded again), or a file
	// whose sidecar names such a document: it stays deleted, as an unchanged file's does, unless restoring
	// was asked for.
	if deleted, changed, err := p.contentDeleted(c, existing, id, sha, sidecarID(side) != ""); err != nil {
		return fail(extract.ReasonIO, err.Error())
	} else if deleted {
		state.Outcome, state.DocID = corpus.FileIndexed, id // no OCR wanted for a deleted document
		out.DocID, out.Seconds = id, time.Since(t0).Seconds()
		keepDeleted(&out, changed)
		return done{c: c, change: corpus.FileChange{State: state, Original: sha, Previous: c.prevDoc}, outcome: out}
	}
	if existing != nil && existing.Extraction != nil && existing.Extraction.SHA256 == sha && side == nil &&
		!(existing.Extraction.NeedsOCR && p.OCRAvailable) {
		state.Outcome, state.DocID, state.NeedsOCR = corpus.FileIndexed, id, existing.Extraction.NeedsOCR
		out.Outcome, out.DocID, out.Pages, out.Seconds = OutcomeSame, id, existing.Extraction.Pages, time.Since(t0).Seconds()
		return done{c: c, change: corpus.FileChange{State: state, Record: existing, Original: sha, Previous: c.prevDoc}, outcome: out}
	}
	doc := p.Extractor.Extract(ctx, c.path)
	if doc.Err != nil {
		return fail(doc.Err.Reason, doc.Err.Error())
	}
	if doc.SHA256 != sha {
		// The file changed between hashing and reading: its next run will see the new content.
		return fail(extract.ReasonIO, "tệp thay đổi trong lúc đọc; chạy lại để lập chỉ mục bản mới")
	}
	name := filepath.Base(c.path)
	if p.DisplayName != nil {
		name = p.DisplayName(c.path)
	}
	// A changed file is a new document (a new id from its new content), but the fields staff corrected
	// on the version it replaces are kept.
	edited := existing
	if edited == nil && c.prevDoc != "" {
		edited = p.existing(c.prevDoc)
	}
	rec, probs := docRecord(doc, name, side, edited)
	if probs.Rejected() {
		return fail(extract.ReasonMalformed, "tệp kèm: "+probs.String())
	}
	for _, pr := range probs {
		out.Warnings = append(out.Warnings, pr.String())
	}
	for _, w := range doc.Warnings {
		out.Warnings = append(out.Warnings, w.Message)
	}
	state.Outcome, state.DocID, state.NeedsOCR = corpus.FileIndexed, rec.ID, rec.Extraction.NeedsOCR
	out.Outcome, out.DocID, out.Pages, out.Rungs, out.NeedsOCR = OutcomeAdded, rec.ID, len(doc.Pages), rec.Extraction.Rungs, state.NeedsOCR
	if existing != nil {
		// Re-extracted. A new version taking over from the document its old one gave is told apart when the
		// file is written (see replaces).
		out.Outcome = OutcomeUpdated
	}
	out.Seconds = time.Since(t0).Seconds()
	return done{c: c, change: corpus.FileChange{State: state, Record: rec, Original: sha, Previous: c.prevDoc}, outcome: out}
}

// replaces reports whether file c's new version takes the place of the document its old one gave: that
// document is live and no other file gives it but those that left it earlier in this run (a copy elsewhere
// keeps it, and the new version is then a document beside it; staff edits do not keep a document). The
// file is then updated, not new, whatever id its new content has.
func (p *Pipeline) replaces(c candidate, left []string) bool {
	if c.prevDoc == "" {
		return false
	}
	e, err := p.Store.Get(c.prevDoc)
	if err != nil {
		return false
	}
	return !slices.ContainsFunc(e.Sources, func(s string) bool { return s != c.key && s != "api" && !slices.Contains(left, s) })
}

// failDone turns d into a failed file: no record, the reason in its state and its outcome. The document
// the file's last readable version gave stays, and its state keeps it (DocID) so that the next readable
// version replaces it: a file that became unreadable must not take a good report out of search.
func failDone(d done, r extract.Reason, msg string) done {
	d.outcome.Outcome, d.outcome.Reason, d.outcome.Message = OutcomeFailed, r, msg
	d.outcome.DocID, d.outcome.Pages, d.outcome.Rungs, d.outcome.NeedsOCR = "", 0, nil, false
	d.change.State.Outcome, d.change.State.Reason, d.change.State.Message = corpus.FileFailed, string(r), msg
	d.change.State.DocID, d.change.State.NeedsOCR = d.change.Previous, false
	d.change.Record = nil
	return d
}

func (p *Pipeline) stateKey(path string) string {
	if p.StateKey != nil {
		if k := p.StateKey(path); k != "" {
			return k
		}
	}
	return path
}

func (p *Pipeline) existing(id string) *corpus.Result {
	e, err := p.Store.Get(id)
	if err != nil {
		return nil
	}
	rec, err := e.Decode()
	if err != nil {
		return nil
	}
	r, _ := rec.(*corpus.Result)
	return r
}

// keepOriginal stores the file content-addressed (nothing staff bring is lost) and returns its SHA-256.
func (p *Pipeline) keepOriginal(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return p.Store.PutOriginalLazy(f) // made durable once per batch, before the batch commits
}

// ioMessage says in Vietnamese why a file could not be read.
func ioMessage(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "tệp không còn trên đĩa (bị xoá hay đổi tên trong lúc chạy)"
	case errors.Is(err, fs.ErrPermission):
		return "không có quyền đọc tệp"
	}
	return err.Error()
}

func (p *Pipeline) emit(sum *Summary, prog *Progress, o FileOutcome) {
	sum.Add(prog, o)
	if p.OnFile != nil {
		p.OnFile(o)
	}
	if p.OnProgress != nil && o.Outcome != OutcomeUnchanged {
		p.OnProgress(*prog)
	}
}

// Add counts one file's outcome into a run's totals and its progress: the same for a local run and for
// files sent to a server (ketnoi index --server).
func (s *Summary) Add(prog *Progress, o FileOutcome) {
	switch o.Outcome {
	case OutcomeAdded:
		s.Added++
	case OutcomeUpdated:
		s.Updated++
	case OutcomeSame:
		s.Same++
	case OutcomeFailed:
		s.Failed[o.Reason]++
		prog.Failed++
	case OutcomeUnchanged:
		s.Unchanged++
		if o.Deleted {
			s.Deleted++
		}
		if o.Reason != "" {
			// Still failed since an earlier run: listed and counted again, never silently skipped.
			s.Failed[o.Reason]++
			prog.Failed++
		}
	}
	if o.NeedsOCR {
		s.NeedsOCR++
	}
	if o.Outcome != OutcomeUnchanged { // what was read this time
		s.Bytes += o.Bytes
	}
	if o.Outcome == OutcomeAdded || o.Outcome == OutcomeUpdated {
		// Pages extracted: a file whose content was already indexed (OutcomeSame) is hashed, not read, and
		// counting its pages would inflate pages/s and print a rung line with no rung.
		s.Pages += o.Pages
		prog.Pages += o.Pages
		for k, v := range o.Rungs {
			s.Rungs[k] += v
		}
	}
	prog.Bytes += o.Bytes // unchanged files too: the bar is over every byte of the run
	prog.Done++
}
