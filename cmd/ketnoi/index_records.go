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

// importRemote sends each record file to the server (POST /api/v1/records, one request per file, with
// restore for --restore-deleted) and prints and counts what the server did with its rows as a local run
// does. The server parses the file, so the local run's warning for an id repeated across the files of a
// run is not given. A refusal of the key or of every upload stops the run.
func importRemote(ctx context.Context, e *env, r remoteRun, records []string, st *importStats) error {
	client := &http.Client{} // an import can be long; each request is bounded by ctx
	base := strings.TrimRight(r.url, "/")
	for _, path := range records {
		if err := ctx.Err(); err != nil {
			return err
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
		if err != nil {
			st.failedFiles++
			fmt.Fprintf(e.stderr, "LỖI %s: %v\n", path, err)
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
