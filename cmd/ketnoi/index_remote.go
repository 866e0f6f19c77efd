package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
)

// checkStaffKey asks the server whose key this is, and refuses the run unless it is a staff key. It comes
// first: files the server already has are not sent, so without it a wrong key would pass for as long as
// nothing new came up.
func checkStaffKey(ctx context.Context, base, key string) error {
	b, err := apiCall(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/api/v1/whoami", key, nil, time.Minute)
	var who struct{ Role corpus.Role }
	if err == nil {
		err = json.Unmarshal(b, &who)
	}
	if err != nil || who.Role != corpus.RoleStaff {
		msg := "khoá API không phải khoá cán bộ"
		if err != nil {
			msg = err.Error()
		}
		return &uploadError{fatal: true, msg: "máy chủ từ chối khoá API (" + msg + "); tạo khoá cán bộ bằng: ketnoi keys create --role staff"}
	}
	return nil
}

// indexRemote sends document files to a running server (POST /api/v1/documents) instead of opening the
// data directory the server holds, and follows the jobs to their outcome while the next files go up, with
// the same progress display and per-file lines as a local run. Uploads stream from disk. Each upload names
// the file it is (sourceFile), so that a changed file replaces its document on the server as it does in a
// local run. The caller has checked the key (checkStaffKey).
func indexRemote(ctx context.Context, e *env, base, key string, docs []string, quiet, restore bool, rep *reportWriter) (indexer.Summary, error) {
	sum := indexer.Summary{Failed: map[extract.Reason]int{}, Rungs: map[string]int{}}
	start := time.Now()
	base = strings.TrimRight(base, "/")
	client := &http.Client{Timeout: 0} // uploads can be long; each request is bounded by ctx
	prog := indexer.Progress{Files: len(docs), Started: start}
	for _, path := range docs {
		if st, err := os.Stat(path); err == nil {
			prog.Total += st.Size()
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// sent is one file in upload order: its job, what the server already has from it (then it was not
	// sent), or why it could not be sent; warn, why it was sent without a label.
	type sent struct {
		path, job, warn string
		size            int64
		err             error
		held            *indexer.FileOutcome
	}
	// Buffered: the server's queue bounds how far uploads run ahead of the outcomes anyway.
	uploads := make(chan sent, 256)
	go func() {
		defer close(uploads)
		for _, path := range docs {
			var job string
			source, warn := labelOf(path)
			held, size, err := remoteHeld(ctx, client, base, key, path, source, restore)
			if held == nil && err == nil {
				job, size, err = uploadOne(ctx, client, base, key, path, source, restore)
			}
			select {
			case uploads <- sent{path: path, job: job, warn: warn, size: size, err: err, held: held}:
			case <-ctx.Done():
				return
			}
			var ue *uploadError
			if errors.As(err, &ue) && ue.fatal || ctx.Err() != nil {
				return
			}
		}
	}()
	bar := newProgressBar(e.stderr)
	defer bar.finish()
	for u := range uploads {
		o := indexer.FileOutcome{Path: u.path, Bytes: u.size}
		if u.held != nil {
			o = *u.held
		} else if u.err != nil {
			var ue *uploadError
			if errors.As(u.err, &ue) && ue.fatal || ctx.Err() != nil {
				return sum, u.err
			}
			o.Outcome, o.Reason, o.Message = indexer.OutcomeFailed, uploadReason(u.err), u.err.Error()
		} else {
			j, err := waitRemoteJob(ctx, client, base, key, u.job)
			if err != nil {
				return sum, err
			}
			if j.Outcome != nil {
				o = *j.Outcome
				o.Path, o.Bytes = u.path, u.size
			}
			if j.State == indexer.JobFailed && o.Outcome != indexer.OutcomeFailed {
				o.Outcome, o.Reason, o.Message = indexer.OutcomeFailed, extract.ReasonCrashed, j.Error
			}
		}
		if u.warn != "" {
			// Said even with --quiet: unlike an extraction's warnings, it is about every later version.
			o.Warnings = append(o.Warnings, u.warn)
			bar.println(e.stderr, "CẢNH BÁO "+u.path+": "+u.warn)
		}
		sum.Add(&prog, o)
		rep.add(o)
		switch {
		case o.Outcome == indexer.OutcomeFailed:
			bar.println(e.stderr, "LỖI "+outcomeLine(o))
		case !quiet && o.Outcome != indexer.OutcomeUnchanged:
			bar.println(e.stdout, outcomeLine(o))
		}
		prog.Current = u.path
		bar.update(prog)
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	sum.Files = len(docs)
	sum.Duration = time.Since(start)
	return sum, nil
}

// remoteHeld asks the server what it holds of this file's content (GET /api/v1/documents/{sha}) and returns
// the file's outcome when there is no need to send it, nil when it must be sent: a folder sent again then
// costs a hash and a small lookup per unchanged report, not an upload and a pass through the pipeline. Not
// sent, as a local run does not read them: a report the server holds as it is, from the last upload under
// this file's label (or held at all, for a file without a label) ("không đổi"), and the content of a document staff deleted, which an upload would leave
// deleted (unless restore). A file with a sidecar is always sent (its corrections may have changed), and so
// is one whose document waits for OCR (the server may have tesseract now). The size is the file's, when it
// was read.
func remoteHeld(ctx context.Context, client *http.Client, base, key, path, source string, restore bool) (*indexer.FileOutcome, int64, error) {
	if extract.SidecarPath(path) != "" {
		return nil, 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	f.Close()
	if err != nil {
		return nil, 0, err
	}
	sha := hex.EncodeToString(h.Sum(nil))
	u := base + "/api/v1/documents/" + sha + "?" + url.Values{"source_file": {source}}.Encode()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return nil, size, fmt.Errorf("hỏi máy chủ về tệp %s: %w", path, err)
	}
	defer resp.Body.Close()
	var held struct {
		ID              string `json:"id"`
		State           string `json:"state"`
		NeedsOCR        bool   `json:"needs_ocr"`
		SourceFileKnown bool   `json:"source_file_known"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&held) != nil || held.ID == "" {
		return nil, size, nil // not known as it is: send it, and the server decides
	}
	o := &indexer.FileOutcome{Path: path, Outcome: indexer.OutcomeUnchanged, DocID: held.ID, Bytes: size}
	switch {
	case held.State == "deleted" && !restore:
		indexer.KeepDeleted(o)
		return o, size, nil
	case held.State == "indexed" && !held.NeedsOCR && (held.SourceFileKnown || source == ""):
		// A file sent without a label (labelOf) cannot be known as its own: its content held is
		// all there is to know, and sending it again every run would only add an upload to its sources.
		return o, size, nil
	}
	return nil, size, nil
}

// sourceFile is the label a file is sent under (the upload's source_file field): its absolute path on
// this machine, slash-separated ("/home/canbo/bao-cao/2024/a.pdf", "C:/bao-cao/a.pdf"), checked as the
// server checks labels. It is the identity a local run keys its files by: two distinct files never share
// it (folders of the same name elsewhere included), the same file sent again keeps it, and a folder moved
// elsewhere starts afresh as it does locally. The error says why the file can have no label (too long,
// a control character in its name).
func sourceFile(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("không lấy được đường dẫn tuyệt đối: %w", err)
	}
	return pathLabel(abs)
}

// labelsNFC: this system's file systems find a name whatever its Unicode normalisation (macOS: APFS,
// HFS+), so a path typed in NFC and the same path completed in NFD are one file, and no two files differ
// only so. Labels are put in NFC there; elsewhere such names are two files and keep their bytes.
var labelsNFC = runtime.GOOS == "darwin"

// pathLabel is the label of absolute path abs (a file's, or a folder's for --prune).
func pathLabel(abs string) (string, error) {
	s := filepath.ToSlash(abs)
	if labelsNFC {
		s = norm.NFC.String(s)
	}
	if err := indexer.CheckSourceFile(s); err != nil {
		return "", err
	}
	return s, nil
}

// labelOf returns the label to send path under, or "" and the warning saying why it has none. A file whose
// path can be no label (too long, a control character in its name) is sent without one rather than left
// out: its report is still indexed, at the price said in the warning. Labels are a file's exact path, so
// two files never share one.
func labelOf(path string) (label, warn string) {
	label, err := sourceFile(path)
	if err != nil {
		return "", fmt.Sprintf("gửi không kèm tên tệp nguồn vì %v, nên bản sửa sau này của tệp sẽ vào thành tài liệu riêng bên cạnh tài liệu này thay vì thay nó", err)
	}
	return label, ""
}

// uploadError is an answer of the server; fatal ones (no or wrong key) stop the run.
type uploadError struct {
	status int
	code   string
	msg    string
	fatal  bool
}

func (u *uploadError) Error() string { return u.msg }

// uploadReason is the reason a file that could not be sent failed for: the server's answer when it
// refused it (the file was read), io when the file could not be read or the server not reached.
func uploadReason(err error) extract.Reason {
	var ue *uploadError
	if !errors.As(err, &ue) || ue.status == 0 {
		return extract.ReasonIO
	}
	switch {
	case ue.status == http.StatusRequestEntityTooLarge:
		return extract.ReasonTooLarge
	case ue.status == http.StatusUnsupportedMediaType || strings.Contains(ue.code, "unsupported"):
		return extract.ReasonUnsupported
	case ue.status == http.StatusServiceUnavailable || ue.status == http.StatusTooManyRequests:
		return extract.ReasonTimeout // busy for longer than the client waits
	case ue.status >= 500:
		return extract.ReasonCrashed
	}
	return extract.ReasonMalformed // any other refusal: the upload as sent (file, sidecar or fields) is wrong
}

// uploadOne streams one file (and its sidecar, as the "record" part) to the server, labelled source,
// waiting and retrying while the server says it is busy. restore sends the field that brings back a
// document staff deleted (--restore-deleted); without it the server leaves it deleted, as a local run does.
func uploadOne(ctx context.Context, client *http.Client, base, key, path, source string, restore bool) (string, int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	fields := uploadFields(source, restore)
	if sc := extract.SidecarPath(path); sc != "" {
		sidecar, err := os.ReadFile(sc)
		if err != nil {
			return "", 0, err
		}
		fields = append(fields, [2]string{"record", string(sidecar)})
	}
	body, err := sendFile(ctx, client, base+"/api/v1/documents", key, fields, path, http.StatusAccepted)
	if err != nil {
		return "", 0, err
	}
	var j indexer.Job
	if err := json.Unmarshal(body, &j); err != nil {
		return "", 0, fmt.Errorf("câu trả lời của máy chủ không đọc được: %w", err)
	}
	return j.ID, st.Size(), nil
}

// uploadFields are the form fields of an upload of a file labelled source ("" for none), with the field
// that brings back what staff deleted when restore.
func uploadFields(source string, restore bool) [][2]string {
	var fields [][2]string
	if source != "" {
		fields = append(fields, [2]string{"source_file", source})
	}
	if restore {
		fields = append(fields, [2]string{"restore", "true"})
	}
	return fields
}

// sendFile streams the file at path to the server's route u as the multipart part "file", after the form
// fields (name, value), and returns the answer's body when its status is want. While the server says it
// is busy it waits (Retry-After) and sends again; other refusals are *uploadError, fatal for a key the
// server refuses and for uploads disabled (waiting would only delay every file).
func sendFile(ctx context.Context, client *http.Client, u, key string, fields [][2]string, path string, want int) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			err := func() error {
				for _, f := range fields {
					if err := mw.WriteField(f[0], f[1]); err != nil {
						return err
					}
				}
				w, err := mw.CreateFormFile("file", filepath.Base(path))
				if err != nil {
					return err
				}
				f, err := os.Open(path)
				if err != nil {
					return err
				}
				defer f.Close()
				if _, err := io.Copy(w, f); err != nil {
					return err
				}
				return mw.Close()
			}()
			pw.CloseWithError(err)
		}()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			pr.CloseWithError(err)
			return nil, fmt.Errorf("gửi tệp lên máy chủ: %w", err)
		}
		// An import's answer lists up to 1 000 problems of its rows.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		if resp.StatusCode == want {
			return body, nil
		}
		var apiErr struct{ Code, Message string }
		_ = json.Unmarshal(body, &apiErr)
		switch resp.StatusCode {
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			if apiErr.Code == "uploads_disabled" { // not busy: waiting would only delay every file
				return nil, &uploadError{status: resp.StatusCode, code: apiErr.Code, fatal: true,
					msg: "máy chủ từ chối mọi tệp tải lên: " + apiErr.Message + " (uploads_disabled)"}
			}
			wait := 5 * time.Second
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				wait = time.Duration(s) * time.Second
			}
			if attempt > 100 {
				return nil, &uploadError{status: resp.StatusCode, code: apiErr.Code, msg: "máy chủ bận quá lâu: " + apiErr.Message}
			}
			select {
			case <-time.After(wait):
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		case http.StatusUnauthorized, http.StatusForbidden:
			return nil, &uploadError{status: resp.StatusCode, fatal: true,
				msg: "máy chủ từ chối khoá API (" + apiErr.Message + "); tạo khoá cán bộ bằng: ketnoi keys create --role staff"}
		default:
			msg := apiErr.Message
			if msg == "" {
				msg = resp.Status
			}
			return nil, &uploadError{status: resp.StatusCode, code: apiErr.Code,
				msg: fmt.Sprintf("máy chủ không nhận tệp (HTTP %d): %s", resp.StatusCode, msg)}
		}
	}
}

func waitRemoteJob(ctx context.Context, client *http.Client, base, key, id string) (*indexer.Job, error) {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/jobs/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("hỏi trạng thái công việc %s: %w", id, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("công việc %s: %s %s", id, resp.Status, bytes.TrimSpace(body))
		}
		var j indexer.Job
		if err := json.Unmarshal(body, &j); err != nil {
			return nil, err
		}
		if j.State == indexer.JobDone || j.State == indexer.JobFailed {
			return &j, nil
		}
		select {
		case <-time.After(300 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
