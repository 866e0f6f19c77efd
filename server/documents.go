package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

// Staff write endpoints: upload documents into the indexing queue, follow jobs, correct and delete
// records. Every one of them sits behind requireRole (see routes.go).

// uploads is the server's upload queue and write lock.
type uploads struct {
	jobs  *indexer.Jobs
	limit int64
}

// WithUploads enables POST /api/v1/documents: files up to limit bytes go to the job queue.
func (s *Server) WithUploads(j *indexer.Jobs, limit int64) {
	s.up = &uploads{jobs: j, limit: limit}
}

// WriteLock is held around every store write followed by an index sync, so that upload jobs, edits and
// deletes never sync the index at the same time (give it to the upload Pipeline).
func (s *Server) WriteLock() sync.Locker { return &s.writeMu }

// uploadReadTimeout is how long one upload may take to arrive.
const uploadReadTimeout = 30 * time.Minute

// maxRecordPart bounds the record (sidecar) part of an upload.
const maxRecordPart = 256 << 10

// apiUpload takes a multipart upload: the part "file" (required) and, optionally, a part "record" holding
// a JSON record whose fields override what extraction finds, or single form fields (title, year, ...)
// that do the same, and the label of the file the upload is a version of (sourceFileField). The file is
// streamed to disk, never held whole in memory.
func (s *Server) apiUpload(c echo.Context) error {
	// The whole request is bounded a little above the file's own limit (the record part and headers).
	mr, err := s.openUpload(c, maxRecordPart+64<<10)
	if err != nil {
		return err
	}
	var staged *indexer.Staged
	defer func() {
		if staged != nil {
			staged.Abort()
		}
	}()
	fields := map[string]json.RawMessage{}
	var record []byte
	restore, source := false, ""
	for part, err := range uploadParts(mr) {
		if err != nil {
			return err
		}
		name := part.FormName()
		switch {
		case name == "file":
			if staged != nil {
				return apiErr(http.StatusBadRequest, "too_many_files", "Mỗi yêu cầu một tệp; gửi nhiều tệp bằng nhiều yêu cầu.")
			}
			if staged, err = s.stageFile(c, part); err != nil {
				return err
			}
		case name == "record":
			b, err := io.ReadAll(io.LimitReader(part, maxRecordPart+1))
			if err != nil {
				return uploadReadError(err)
			}
			if len(b) > maxRecordPart {
				return apiErr(http.StatusRequestEntityTooLarge, "record_too_large", "Phần \"record\" quá lớn.")
			}
			record = b
		case name == restoreField:
			if restore, err = readRestoreField(part, len(fields)); err != nil {
				return err
			}
		case name == sourceFileField:
			if source, err = readSourceFileField(part, len(fields)); err != nil {
				return err
			}
		case name != "":
			v, err := readFieldPart(part, len(fields))
			if err != nil {
				return err
			}
			fields[name] = formValue(name, v)
		}
	}
	if staged == nil {
		return apiErr(http.StatusBadRequest, "missing_file", "Thiếu phần \"file\" chứa tệp cần lập chỉ mục.")
	}
	sidecar, aerr := sidecarJSON(record, fields)
	if aerr != nil {
		return aerr
	}
	job, err := s.commitStaged(c, staged, sidecar, restore, source)
	staged = nil
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/jobs/"+job.ID)
	return c.JSON(http.StatusAccepted, job)
}

// restoreField is the upload field that brings back a document staff deleted: without it, a file with the
// content of a deleted document leaves it deleted (the job's outcome says so), as `ketnoi index` does.
const restoreField = "restore"

// sourceFileField is the upload field naming the file the upload is a version of: a label (ketnoi index
// --server sends the file's absolute path on its machine, slash-separated), never a path on the server. An upload with the label of an earlier one replaces that upload's document, as a changed file
// does in a folder indexed again; without it an upload stands on its own.
const sourceFileField = "source_file"

// parseRestore reads the restore field: true, 1 or on (a checkbox) ask for it; false, 0 or nothing do not.
func parseRestore(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "on":
		return true, nil
	case "false", "0", "":
		return false, nil
	}
	return false, apiErr(http.StatusBadRequest, "bad_restore", "Trường \"restore\" phải là true hoặc false.")
}

// openUpload starts reading an upload: the server must take uploads and the request be a multipart form;
// the upload may outlast the ordinary deadlines (uploadDeadlines), and its body is bounded to the upload
// limit and extra bytes (the other parts and headers).
func (s *Server) openUpload(c echo.Context, extra int64) (*multipart.Reader, error) {
	if s.up == nil {
		return nil, apiErr(http.StatusServiceUnavailable, "uploads_disabled", "Máy chủ này không nhận tải lên.")
	}
	ct, params, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || ct != "multipart/form-data" || params["boundary"] == "" {
		return nil, apiErr(http.StatusUnsupportedMediaType, "bad_content_type", "Cần gửi multipart/form-data với phần \"file\".")
	}
	uploadDeadlines(c)
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, s.up.limit+extra)
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return nil, apiErr(http.StatusBadRequest, "bad_multipart", "Dữ liệu multipart không đọc được.")
	}
	return mr, nil
}

// uploadParts are the parts of an upload, in order; a failure to read the next one ends them.
func uploadParts(mr *multipart.Reader) iter.Seq2[*multipart.Part, error] {
	return func(yield func(*multipart.Part, error) bool) {
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(nil, uploadReadError(err))
				return
			}
			if !yield(part, nil) {
				return
			}
		}
	}
}

// readRestoreField reads the restore field of an upload (have: the fields read so far).
func readRestoreField(part *multipart.Part, have int) (bool, error) {
	v, err := readFieldPart(part, have)
	if err != nil {
		return false, err
	}
	return parseRestore(v)
}

// readSourceFileField reads the source_file field of an upload (have: the fields read so far).
func readSourceFileField(part *multipart.Part, have int) (string, error) {
	v, err := readFieldPart(part, have)
	if err != nil {
		return "", err
	}
	if err := indexer.CheckSourceFile(v); err != nil {
		return "", apiErr(http.StatusBadRequest, "bad_source_file", "Trường \"source_file\" không hợp lệ: "+err.Error()+".")
	}
	return v, nil
}

// uploadDeadlines lets an upload outlast the server's read and write timeouts, which protect ordinary
// requests: its body may take uploadReadTimeout to arrive, and its answer is written after that. The write
// deadline moves too, or the job would be queued and the client, its answer cut off, would believe it lost.
func uploadDeadlines(c echo.Context) {
	rc := http.NewResponseController(c.Response())
	deadline := time.Now().Add(uploadReadTimeout)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline.Add(time.Minute))
}

// stageFile streams one file part of an upload to the queue's disk; the queue's refusals become API
// errors. Shared by apiUpload and the staff page's form (staff.go).
func (s *Server) stageFile(c echo.Context, part *multipart.Part) (*indexer.Staged, error) {
	body := &bodyReader{r: part}
	staged, err := s.up.jobs.Stage(part.FileName(), body, s.up.limit)
	switch {
	case errors.Is(err, indexer.ErrBusy):
		return nil, s.busyError(c)
	case errors.Is(err, indexer.ErrTooLarge):
		return nil, apiErr(http.StatusRequestEntityTooLarge, "file_too_large",
			fmt.Sprintf("Tệp vượt giới hạn %d MB.", s.up.limit>>20))
	case err != nil && body.err != nil:
		return nil, uploadReadError(body.err)
	case err != nil:
		// Not the request's fault (a full disk, the upload folder gone): the server's error, logged.
		return nil, err
	}
	return staged, nil
}

// bodyReader remembers why reading the request failed, to tell the client's broken upload from a failure
// to store it.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// commitStaged queues a staged upload in the name of the request's key; the staged upload is used up
// either way.
func (s *Server) commitStaged(c echo.Context, staged *indexer.Staged, sidecar []byte, restore bool, source string) (*indexer.Job, error) {
	job, err := staged.Commit(sidecar, principalID(c), restore, source)
	if errors.Is(err, indexer.ErrBusy) {
		return nil, s.busyError(c)
	}
	return job, err
}

// busyError refuses an upload while the queue is full, with the wait the queue's pace suggests.
func (s *Server) busyError(c echo.Context) *APIError {
	secs := retryAfter(c, s.up.jobs.RetryAfter())
	return apiErr(http.StatusServiceUnavailable, "busy", fmt.Sprintf("Hàng đợi đang đầy, hãy thử lại sau %d giây.", secs))
}

// readFieldPart reads a form field of an upload: at most 64 KiB, and at most 64 fields (have counts
// those read so far).
func readFieldPart(part *multipart.Part, have int) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, 64<<10+1))
	if err != nil {
		return "", uploadReadError(err)
	}
	if len(b) > 64<<10 || have > 64 {
		return "", apiErr(http.StatusRequestEntityTooLarge, "field_too_large", "Trường biểu mẫu quá lớn hoặc quá nhiều.")
	}
	return string(b), nil
}

func uploadReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apiErr(http.StatusRequestEntityTooLarge, "file_too_large", "Yêu cầu vượt giới hạn kích thước.")
	}
	return apiErr(http.StatusBadRequest, "bad_multipart", "Không đọc được dữ liệu tải lên.")
}

// listFields are record fields that take several values; in a form they are written "a; b".
var listFields = map[string]bool{"authors": true, "keywords": true, "field_codes": true, "sectors": true, "transfer_forms": true}

// formValue turns a form field into the JSON value of the record field of that name.
func formValue(name, v string) json.RawMessage {
	v = strings.TrimSpace(v)
	if listFields[name] {
		var list []string
		for _, x := range strings.Split(v, ";") {
			if x = strings.TrimSpace(x); x != "" {
				list = append(list, x)
			}
		}
		b, _ := json.Marshal(list)
		return b
	}
	if n, err := strconv.Atoi(v); err == nil && (name == "year" || name == "trl") {
		return json.RawMessage(strconv.Itoa(n))
	}
	b, _ := json.Marshal(v)
	return b
}

// sidecarJSON merges the record part and the single fields (fields win) into one JSON object, checked
// to be a valid record overlay.
func sidecarJSON(record []byte, fields map[string]json.RawMessage) ([]byte, *APIError) {
	m := map[string]json.RawMessage{}
	if len(record) > 0 {
		var sent map[string]json.RawMessage // stays nil for a JSON null: no record, as if none was sent
		if err := json.Unmarshal(record, &sent); err != nil {
			msg := "Phần \"record\" phải là một đối tượng JSON {…}."
			var se *json.SyntaxError
			if errors.As(err, &se) {
				msg = fmt.Sprintf("Phần \"record\" không phải JSON hợp lệ: lỗi cú pháp ở byte %d.", se.Offset)
			}
			return nil, apiErr(http.StatusBadRequest, "bad_record", msg)
		}
		maps.Copy(m, sent)
	}
	for k, v := range fields {
		m[k] = v
	}
	if len(m) == 0 {
		return nil, nil
	}
	if _, ok := m["kind"]; !ok {
		m["kind"] = json.RawMessage(`"result"`)
	}
	// Check the overlay as a record; id and title, which extraction supplies, get placeholders for it.
	check := maps.Clone(m)
	if _, ok := check["id"]; !ok {
		check["id"] = json.RawMessage(`"tl-kiem-tra"`)
	}
	if _, ok := check["title"]; !ok {
		check["title"] = json.RawMessage(`"(tên lấy từ tệp)"`)
	}
	b, _ := json.Marshal(check)
	if p := corpus.DecodeRecord(b); p.Record == nil {
		return nil, &APIError{Status: http.StatusBadRequest, Code: "bad_record", Message: "Thông tin kèm theo không hợp lệ: " + p.Problems.String()}
	}
	b, _ = json.Marshal(m)
	return b, nil
}

// documentHeld is the answer of GET /api/v1/documents/{sha} (the SHA-256 of a file).
type documentHeld struct {
	SHA256   string `json:"sha256"`
	ID       string `json:"id"`
	State    string `json:"state"` // indexed or deleted
	NeedsOCR bool   `json:"needs_ocr"`
	// SourceFileKnown answers the source_file query: the last upload with that label gave this document.
	SourceFileKnown *bool `json:"source_file_known,omitempty"`
}

// apiDocumentHeld says what the server holds of a file's content, by its SHA-256, so that a client
// (ketnoi index --server) learns without sending the file that it is indexed as it is, or that its
// document was deleted by staff and an upload would leave it deleted.
func (s *Server) apiDocumentHeld(c echo.Context) error {
	sha := strings.ToLower(c.Param("sha"))
	if len(sha) != 64 || strings.Trim(sha, "0123456789abcdef") != "" {
		return apiErr(http.StatusBadRequest, "bad_sha256", "Mã băm phải là SHA-256 của tệp: 64 chữ số hex.")
	}
	source := c.QueryParam(sourceFileField)
	if err := indexer.CheckSourceFile(source); err != nil {
		return apiErr(http.StatusBadRequest, "bad_source_file", "Tham số \"source_file\" không hợp lệ: "+err.Error()+".")
	}
	h, err := indexer.ContentHeld(s.store, sha, principalID(c), source)
	if err != nil {
		return err
	}
	if h.ID == "" {
		return apiErr(http.StatusNotFound, "not_found", "Máy chủ không có tài liệu nào từ tệp có nội dung này.")
	}
	out := documentHeld{SHA256: sha, ID: h.ID, State: "indexed", NeedsOCR: h.NeedsOCR}
	if h.Deleted {
		out.State = "deleted"
	}
	if source != "" {
		out.SourceFileKnown = &h.SourceFile
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiJob(c echo.Context) error {
	if s.up == nil {
		return apiErr(http.StatusNotFound, "not_found", "Không có công việc này.")
	}
	job, ok := s.up.jobs.Get(c.Param("id"))
	if !ok {
		return apiErr(http.StatusNotFound, "not_found", "Không có công việc "+strconv.Quote(c.Param("id"))+".")
	}
	return c.JSON(http.StatusOK, job)
}

func (s *Server) apiJobs(c echo.Context) error {
	if s.up == nil {
		return c.JSON(http.StatusOK, map[string]any{"jobs": []any{}})
	}
	return c.JSON(http.StatusOK, map[string]any{"jobs": s.up.jobs.List(200), "pending": s.up.jobs.Pending()})
}

func (s *Server) apiJobRetry(c echo.Context) error {
	if s.up == nil {
		return apiErr(http.StatusNotFound, "not_found", "Không có công việc này.")
	}
	job, err := s.up.jobs.Retry(c.Param("id"))
	var superseded *indexer.SupersededError
	switch {
	case errors.As(err, &superseded):
		return apiErr(http.StatusConflict, "superseded", "Công việc "+strconv.Quote(c.Param("id"))+": "+err.Error()+".")
	case errors.Is(err, corpus.ErrNotFound):
		return apiErr(http.StatusNotFound, "not_found", "Không có công việc "+strconv.Quote(c.Param("id"))+".")
	case errors.Is(err, indexer.ErrBusy):
		return s.busyError(c)
	case errors.Is(err, indexer.ErrUploadGone):
		return apiErr(http.StatusConflict, "upload_released", "Công việc "+strconv.Quote(c.Param("id"))+" đã xong: "+indexer.ErrUploadGone.Error()+".")
	case err != nil:
		return err
	}
	return c.JSON(http.StatusAccepted, job)
}

// editable are the fields staff may not set by PATCH: identity and bookkeeping.
var notEditable = map[string]bool{"id": true, "kind": true, "extraction": true, "edited": true, "pages": true}

// apiEdit applies a JSON object of field corrections to a record. The fields are remembered as edited, so
// a re-extraction of the record's file keeps them.
func (s *Server) apiEdit(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		var patch map[string]json.RawMessage
		if err := json.NewDecoder(c.Request().Body).Decode(&patch); err != nil {
			return apiErr(http.StatusBadRequest, "bad_json", "Thân yêu cầu phải là một đối tượng JSON các trường cần sửa.")
		}
		rec, problems, err := s.editRecord(c.Request().Context(), kind, recordID(c), patch)
		if err != nil {
			return err
		}
		if rec == nil {
			return &APIError{Status: http.StatusBadRequest, Code: "bad_record", Message: "Bản ghi sau khi sửa không hợp lệ: " + problems.String()}
		}
		return c.JSON(http.StatusOK, rec)
	}
}

// editRecord applies field corrections to record id of kind (a JSON null removes a field), stores the
// record and syncs the index, so that search shows the change when it returns. A result remembers the
// fields as edited. When the corrected record is invalid nothing is written and rec is nil, with the
// problems that reject it; err is an *APIError for a field that may not be edited or a missing record.
// Shared by apiEdit and the staff page's form (staff.go).
func (s *Server) editRecord(ctx context.Context, kind, id string, patch map[string]json.RawMessage) (rec corpus.Record, rejected corpus.Problems, err error) {
	for k := range patch {
		if notEditable[k] {
			return nil, nil, apiErr(http.StatusBadRequest, "not_editable", "Không sửa được trường "+strconv.Quote(k)+".")
		}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	e, err := s.store.Get(id)
	if errors.Is(err, corpus.ErrNotFound) || (err == nil && e.Kind != kind) {
		return nil, nil, apiErr(http.StatusNotFound, "not_found", "Không tìm thấy bản ghi "+strconv.Quote(id)+".")
	}
	if err != nil {
		return nil, nil, err
	}
	var cur map[string]json.RawMessage
	if err := json.Unmarshal(e.Record, &cur); err != nil {
		return nil, nil, err
	}
	var edited []string
	_ = json.Unmarshal(cur["edited"], &edited)
	for k, v := range patch {
		if string(v) == "null" {
			delete(cur, k)
		} else {
			cur[k] = v
		}
		if kind == corpus.KindResult && !slices.Contains(edited, k) {
			edited = append(edited, k)
		}
	}
	if kind == corpus.KindResult {
		slices.Sort(edited)
		cur["edited"], _ = json.Marshal(edited)
	}
	b, _ := json.Marshal(cur)
	p := corpus.DecodeRecord(b)
	if p.Record == nil {
		return nil, p.Problems, nil
	}
	if _, err := s.store.Put([]corpus.Record{p.Record}, "api"); err != nil {
		return nil, nil, err
	}
	if err := s.syncIndex(ctx); err != nil {
		return nil, nil, err
	}
	return p.Record, nil, nil
}

// apiDelete deletes a record: gone from search when the answer comes; its original file stays in the
// store until `ketnoi delete --purge`.
func (s *Server) apiDelete(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := recordID(c)
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		// A record its source deleted (its file changed or is gone, its repository withdrew it) may still be
		// deleted by staff, which keeps it deleted when the source gives it again.
		e, err := s.store.Tombstone(id)
		if errors.Is(err, corpus.ErrNotFound) || (err == nil && (e.Kind != kind || e.Deleted && !e.Withdrawn)) {
			return apiErr(http.StatusNotFound, "not_found", "Không tìm thấy bản ghi "+strconv.Quote(id)+".")
		}
		if err != nil {
			return err
		}
		if e.Deleted {
			// An old version of a report: deleting it would leave the report in search.
			if to, err := s.store.Replacement(id); err != nil {
				return err
			} else if to != "" {
				return apiErr(http.StatusConflict, "replaced", "Bản ghi "+strconv.Quote(id)+" đã được thay bằng bản mới "+
					strconv.Quote(to)+"; muốn xoá báo cáo thì xoá "+strconv.Quote(to)+".")
			}
		}
		if err := s.store.Delete([]string{id}); err != nil {
			return err
		}
		if err := s.syncIndex(c.Request().Context()); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// apiOriginal sends the file a result was extracted from.
func (s *Server) apiOriginal(c echo.Context) error {
	rec, err := s.lookup(c, corpus.KindResult)
	if err != nil {
		return err
	}
	r := rec.(*corpus.Result)
	e, err := s.store.Get(r.ID)
	if err != nil {
		return err
	}
	if e.Original == "" || r.Extraction == nil {
		return apiErr(http.StatusNotFound, "no_file", "Kết quả này không có tệp gốc.")
	}
	f, err := s.store.OpenOriginal(e.Original)
	if err != nil {
		return apiErr(http.StatusNotFound, "no_file", "Tệp gốc không còn trong kho.")
	}
	defer f.Close()
	name := r.Extraction.File
	if name == "" {
		name = r.ID + "." + r.Extraction.Format
	}
	ctype := map[string]string{"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"odt": "application/vnd.oasis.opendocument.text", "text": "text/plain; charset=utf-8"}[r.Extraction.Format]
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename*=UTF-8''"+url.PathEscape(filepath.Base(name)))
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return sendSliding(c, ctype, f)
}

// principalID is the id of the key a request was authenticated with ("" on open routes).
func principalID(c echo.Context) string {
	if k, ok := principal(c); ok {
		return k.ID
	}
	return ""
}

func recordID(c echo.Context) string {
	id := c.Param("id")
	if u, err := url.PathUnescape(id); err == nil {
		id = u
	}
	return id
}
