package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
)

// Record files (JSON, JSONL, CSV, XLSX) in `ketnoi index`: imported from disk, or sent to a running server
// (POST /api/v1/records), with the same lines, counts, report rows and exit code either way.

// importStats is what an import of record files did.
type importStats struct {
	files, skipped, failedFiles int
	// notSent counts the record files skipped, among skipped, because the server does not take record
	// files (a previous version): they are not imported, so the run exits 1.
	notSent int
	corpus.ImportCounts
}

// print writes the run's summary line of record files.
func (st *importStats) print(e *env) {
	fmt.Fprintf(e.stdout, "Bản ghi: %d tệp, %d bản ghi đọc được; %d mới, %d cập nhật, %d không đổi%s; %d bị loại, %d cảnh báo; %d tệp bỏ qua, %d tệp lỗi.\n",
		st.files, st.Read, st.Added, st.Updated, st.Unchanged, keptDeletedText(st.KeptDeleted), st.Rejected, st.Warnings, st.skipped, st.failedFiles)
}

// keptDeletedText is the count of records staff deleted that an import or harvest left deleted, for a
// summary line ("" when none).
func keptDeletedText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d bản ghi đã bị xoá (không đưa lại; --restore-deleted để khôi phục)", n)
}

// countsText is what the import of one record file did, for its line and its report row.
func countsText(c corpus.ImportCounts) string {
	return fmt.Sprintf("%d bản ghi (%d mới, %d cập nhật, %d không đổi%s), %d bị loại, %d cảnh báo",
		c.Read, c.Added, c.Updated, c.Unchanged, keptDeletedText(c.KeptDeleted), c.Rejected, c.Warnings)
}

// recordPrinter prints what happens to the rows of one record file as a run goes.
type recordPrinter struct {
	e     *env
	path  string
	quiet bool
}

// problem prints a problem of a row: errors always, warnings unless quiet.
func (p recordPrinter) problem(pr corpus.Problem) {
	switch {
	case pr.Severity != corpus.Warning:
		fmt.Fprintf(p.e.stderr, "LỖI %s\n", pr)
	case !p.quiet:
		fmt.Fprintf(p.e.stderr, "CẢNH BÁO %s\n", pr)
	}
}

// keptDeleted says that the row at line holds record id, which staff deleted and which stays deleted.
func (p recordPrinter) keptDeleted(line int, id string) {
	if !p.quiet {
		fmt.Fprintf(p.e.stdout, "%s, dòng %d (%s): %s\n", p.path, line, id, corpus.KeptDeletedMessage(id))
	}
}

// done prints the file's line.
func (p recordPrinter) done(c corpus.ImportCounts) {
	if !p.quiet {
		fmt.Fprintf(p.e.stdout, "%s: %s\n", p.path, countsText(c))
	}
}

// recordFileError is the LỖI line of a record file that could not be imported. The line where an
// unreadable file breaks follows its name, as a rejected row's does ("ds.json, dòng 2: JSON hỏng…").
func recordFileError(path string, err error) string {
	var ue *corpus.UnreadableError
	if !errors.As(err, &ue) {
		return fmt.Sprintf("%s: %v", path, err)
	}
	if ue.Problem.Line > 0 {
		return fmt.Sprintf("%s, dòng %d: %s", path, ue.Problem.Line, ue.Problem.Message)
	}
	return path + ": " + ue.Problem.Message
}

// recordOutcome is a record file's row of --report: added, updated or unchanged as its records were
// (rows rejected are in the message, and in the exit code), or failed when the file could not be imported.
func recordOutcome(path string, c corpus.ImportCounts, took time.Duration, err error) indexer.FileOutcome {
	o := indexer.FileOutcome{Path: path, Outcome: indexer.OutcomeUnchanged, Message: countsText(c), Seconds: took.Seconds()}
	if st, serr := os.Stat(path); serr == nil {
		o.Bytes = st.Size()
	}
	switch {
	case err != nil:
		o.Outcome, o.Reason, o.Message = indexer.OutcomeFailed, importReason(err), err.Error()
	case c.Added > 0:
		o.Outcome = indexer.OutcomeAdded
	case c.Updated > 0:
		o.Outcome = indexer.OutcomeUpdated
	}
	return o
}

// importReason is why a record file could not be imported: malformed when nothing of it could be read
// (here or on the server), the server's refusal when it refused it, io otherwise.
func importReason(err error) extract.Reason {
	var ue *corpus.UnreadableError
	var up *uploadError
	switch {
	case errors.As(err, &ue):
		return extract.ReasonMalformed
	case errors.As(err, &up) && up.code == corpus.ProblemUnreadableFile:
		return extract.ReasonMalformed
	}
	return uploadReason(err)
}

// recordsAnswer is the server's answer to a record file (POST /api/v1/records).
type recordsAnswer struct {
	Read, Added, Updated, Unchanged, Rejected, Warnings int
	KeptDeleted                                         int `json:"kept_deleted"`
	Problems                                            []struct {
		Line     int             `json:"line"`
		ID       string          `json:"id"`
		Field    string          `json:"field"`
		Severity corpus.Severity `json:"severity"`
		Code     string          `json:"code"`
		Message  string          `json:"message"`
	} `json:"problems"`
	ProblemsTruncated bool `json:"problems_truncated"`
}

func (a *recordsAnswer) counts() corpus.ImportCounts {
	return corpus.ImportCounts{Read: a.Read, Rejected: a.Rejected, Warnings: a.Warnings, Added: a.Added,
		Updated: a.Updated, Unchanged: a.Unchanged, KeptDeleted: a.KeptDeleted}
}

// notTakenMessage is the reason, in --report, of a record file not sent because the server does not take
// record files.
const notTakenMessage = "máy chủ (phiên bản trước) không nhận tệp bản ghi JSON/CSV/XLSX; dừng máy chủ rồi chạy ketnoi index không có --server"

// importRemote sends each record file to the server (POST /api/v1/records, one request per file, with
// restore for --restore-deleted) and prints and counts what the server did with its rows as a local run
// does. The server parses the file, so the local run's warning for an id repeated across the files of a
// run is not given. A refusal of the key or of every upload stops the run. A server of a previous version
// has no such route (404): that is said once, with what to do, and the record files are skipped (counted
// in notSent), while the documents still go.
func importRemote(ctx context.Context, e *env, r remoteRun, records []string, st *importStats) error {
	client := &http.Client{} // an import can be long; each request is bounded by ctx
	base := strings.TrimRight(r.url, "/")
	notTaken := false
	skip := func(path string) {
		st.skipped++
		st.notSent++
		fmt.Fprintf(e.stderr, "BỎ QUA %s: máy chủ không nhận tệp bản ghi\n", path)
		r.rep.add(indexer.FileOutcome{Path: path, Outcome: "skipped", Reason: extract.ReasonUnsupported, Message: notTakenMessage})
	}
	for i, path := range records {
		if err := ctx.Err(); err != nil {
			return err
		}
		if notTaken {
			skip(path)
			continue
		}
		st.files++
		t0 := time.Now()
		pr := recordPrinter{e: e, path: path, quiet: r.quiet}
		source, warn := labelOf(path)
		if warn != "" {
			fmt.Fprintf(e.stderr, "CẢNH BÁO %s: %s\n", path, warn)
		}
		var a recordsAnswer
		body, err := sendFile(ctx, client, base+"/api/v1/records", r.key, uploadFields(source, r.restore), path, http.StatusOK)
		if err == nil {
			if err = json.Unmarshal(body, &a); err != nil {
				err = fmt.Errorf("câu trả lời của máy chủ không đọc được: %w", err)
			}
		}
		var ue *uploadError
		if errors.As(err, &ue) && ue.fatal || ctx.Err() != nil {
			return err
		}
		if errors.As(err, &ue) && ue.status == http.StatusNotFound {
			// The route is unknown: the server predates record files over HTTP.
			notTaken = true
			st.files--
			fmt.Fprintf(e.stderr, "LỖI máy chủ %s không nhận tệp bản ghi (phiên bản trước của ketnoi, chưa có POST /api/v1/records): "+
				"%d tệp bản ghi không được gửi. Để nhập các tệp bản ghi: dừng máy chủ rồi chạy ketnoi index "+
				"không có --server (hoặc cập nhật máy chủ lên phiên bản này rồi chạy lại).\n", r.url, len(records)-i)
			skip(path)
			continue
		}
		if err != nil {
			st.failedFiles++
			fmt.Fprintf(e.stderr, "LỖI %s\n", recordFileError(path, err))
			r.rep.add(recordOutcome(path, corpus.ImportCounts{}, time.Since(t0), err))
			continue
		}
		for _, p := range a.Problems {
			if p.Code == corpus.ProblemKeptDeleted {
				pr.keptDeleted(p.Line, p.ID)
				continue
			}
			pr.problem(corpus.Problem{File: path, Line: p.Line, ID: p.ID, Field: p.Field, Severity: p.Severity, Code: p.Code, Message: p.Message})
		}
		if a.ProblemsTruncated {
			fmt.Fprintf(e.stderr, "CẢNH BÁO %s: máy chủ chỉ gửi về %d vấn đề đầu tiên; số đếm là của cả tệp\n", path, len(a.Problems))
		}
		st.Add(a.counts())
		pr.done(a.counts())
		r.rep.add(recordOutcome(path, a.counts(), time.Since(t0), nil))
	}
	return nil
}
