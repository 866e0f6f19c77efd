package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"ketnoi/corpus"
	"ketnoi/server"
)

// runFeedbackImport stores the decisions of a `ketnoi export --kind feedback` file (CSV, XLSX or JSONL)
// in the data directory, as they were made there.
func runFeedbackImport(e *env, path string) error {
	format := corpus.FormatOf(path)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("mở %s: %w", path, err)
	}
	defer f.Close()
	var fs []corpus.Feedback
	var rows []int
	var skipped []string // rows that could not be read: reported, and the others still go in
	switch format {
	case corpus.FormatJSONL:
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, corpus.MaxRecordBytes)
		for line := 1; sc.Scan(); line++ {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var j server.FeedbackJSON
			if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
				skipped = append(skipped, fmt.Sprintf("dòng %d: không đọc được quyết định: %v", line, err))
				continue
			}
			fs = append(fs, corpus.Feedback{Seq: j.Seq, Time: j.Time, NeedID: j.NeedID, ResultID: j.ResultID, Decision: j.Decision,
				Reason: j.Reason, Note: j.Note, Actor: j.Actor, Score: j.Score, Components: j.Components, Rank: j.Rank})
			rows = append(rows, line)
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("đọc %s: %w", path, err)
		}
	case corpus.FormatCSV, corpus.FormatXLSX:
		t, err := corpus.ReadTable(f, format)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for i, r := range t.Rows {
			fb, err := feedbackFromRow(t.Header, r)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("dòng %d: %v", t.Lines[i], err))
				continue
			}
			fs, rows = append(fs, fb), append(rows, t.Lines[i])
		}
	default:
		return usageError{"feedback import đọc tệp .csv, .xlsx hoặc .jsonl của ketnoi export --kind feedback"}
	}
	st, err := openStore(e.data)
	var held *errHeld
	if errors.As(err, &held) {
		return fmt.Errorf("%w; dừng máy chủ rồi nhập lại", err)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	added, bad, err := st.ImportFeedback(fs, rows)
	if err != nil {
		return err
	}
	for _, m := range skipped {
		fmt.Fprintf(e.stderr, "BỎ QUA %s, %s\n", path, m)
	}
	for _, b := range bad {
		fmt.Fprintf(e.stderr, "BỎ QUA %s, %s\n", path, b.Error())
	}
	fmt.Fprintf(e.stdout, "Đã nhập %d quyết định (%d đã có sẵn, %d lỗi).\n", added, len(fs)-added-len(bad), len(bad)+len(skipped))
	if len(bad)+len(skipped) > 0 {
		return exitError{1}
	}
	return nil
}

// feedbackFromRow reads one row of server.FeedbackTable's columns.
func feedbackFromRow(header, row []string) (corpus.Feedback, error) {
	col := map[string]string{}
	var f corpus.Feedback
	for i, h := range header {
		col[h] = strings.TrimSpace(row[i])
		if c, ok := strings.CutPrefix(h, "component_"); ok && col[h] != "" {
			v, err := finite(col[h])
			if err != nil {
				return f, fmt.Errorf("cột %s: cần số, gặp %q", h, col[h])
			}
			if f.Components == nil {
				f.Components = map[string]float64{}
			}
			f.Components[c] = v
		}
	}
	var err error
	if f.Time, err = time.Parse(time.RFC3339, col["time"]); err != nil {
		return f, fmt.Errorf("cột time: cần thời điểm RFC 3339 (2026-03-31T08:00:00Z), gặp %q", col["time"])
	}
	for name, dst := range map[string]any{"seq": &f.Seq, "score": &f.Score, "rank": &f.Rank} {
		v := col[name]
		if v == "" {
			continue
		}
		switch d := dst.(type) {
		case *uint64:
			*d, err = strconv.ParseUint(v, 10, 64)
		case *float64:
			*d, err = finite(v)
		case *int:
			*d, err = strconv.Atoi(v)
		}
		if err != nil {
			return f, fmt.Errorf("cột %s: cần số, gặp %q", name, v)
		}
	}
	f.NeedID, f.ResultID, f.Decision, f.Reason, f.Note = col["need_id"], col["result_id"], col["decision"], col["reason"], col["note"]
	f.Actor = corpus.FeedbackActor{ID: col["actor_id"], Name: col["actor_name"], Role: col["actor_role"]}
	return f, nil
}

// finite parses a number of a score column. strconv also reads "NaN" and "Inf", which no decision has and
// which JSON cannot carry: stored, they broke every later export and listing of the decisions.
func finite(v string) (float64, error) {
	x, err := strconv.ParseFloat(v, 64)
	if err == nil && (math.IsNaN(x) || math.IsInf(x, 0)) {
		err = errors.New("không phải số hữu hạn")
	}
	return x, err
}
