package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"ketnoi/corpus"
	"ketnoi/server"
)

func init() {
	register(&command{
		name:    "feedback",
		summary: "xuất quyết định chấp nhận / từ chối đề xuất ghép nối của nhà môi giới",
		usage:   "export [--csv TỆP] [--json] [--need MÃ] [--current] | import TỆP | reasons",
		help: `
feedback export in mọi quyết định của nhà môi giới về các cặp nhu cầu – kết quả (gửi qua
POST /api/v1/match/feedback), kể cả quyết định đã bị quyết định sau thay thế (cột superseded), kèm điểm
và các thành phần điểm lúc quyết định, để đánh giá bộ ghép nối. --csv ghi ra tệp CSV (UTF-8 có BOM),
--json in JSON như API, --need chỉ lấy một nhu cầu, --current chỉ lấy quyết định hiện hành của mỗi cặp.
Khi máy chủ đang giữ thư mục dữ liệu, lệnh hỏi qua API và cần khoá môi giới hoặc cán bộ (--key hoặc
KETNOI_KEY).
feedback import TỆP nhập các quyết định từ tệp của ketnoi export --kind feedback (CSV, XLSX hoặc JSONL, ví
dụ từ thư mục dữ liệu khác) đúng như lúc chúng được đưa ra: thời điểm, người quyết định, điểm; quyết định
đã có (cùng cặp, cùng thời điểm, cùng quyết định) được bỏ qua nên chạy lại được; dòng lỗi được báo và bỏ
qua. Cần dừng máy chủ trước.

feedback reasons in danh mục lý do (mã, nhãn tiếng Việt, dùng khi chấp nhận hay từ chối).`,
		run: runFeedback,
	})
}

func runFeedback(e *env, args []string) error {
	c := find("feedback")
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
		commandUsage(e.stdout, c, nil)
		return nil
	}
	if len(args) == 0 || (args[0] != "export" && args[0] != "import" && args[0] != "reasons") {
		return usageError{"cần lệnh con: feedback export, feedback import hoặc feedback reasons"}
	}
	if args[0] == "import" {
		fs := newFlags(e, c)
		pos, err := parse(e, c, fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usageError{"feedback import cần đúng một TỆP"}
		}
		return runFeedbackImport(e, pos[0])
	}
	if args[0] == "reasons" {
		for _, t := range corpus.FeedbackReasons.Terms() {
			var used []string
			for _, d := range []string{corpus.DecisionAccept, corpus.DecisionReject} {
				if corpus.ReasonFits(t.Code, d) {
					used = append(used, corpus.DecisionLabel(d))
				}
			}
			fmt.Fprintf(e.stdout, "%-18s %s (khi %s)\n", t.Code, t.LabelVI, strings.Join(used, ", "))
		}
		return nil
	}
	fs := newFlags(e, c)
	csvPath := fs.String("csv", "", "ghi CSV ra TỆP")
	asJSON := fs.Bool("json", false, "in JSON như API")
	need := fs.String("need", "", "chỉ quyết định về nhu cầu có MÃ này")
	current := fs.Bool("current", false, "chỉ quyết định hiện hành của mỗi cặp, không kèm lịch sử")
	key := fs.String("key", os.Getenv("KETNOI_KEY"), "khoá API môi giới hoặc cán bộ khi đi qua máy chủ (hoặc biến môi trường KETNOI_KEY)")
	pos, err := parse(e, c, fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"feedback export không nhận đối số: " + pos[0]}
	}
	rows, err := feedbackRows(e, *need, *current, *key)
	if err != nil {
		return err
	}
	if *csvPath != "" {
		var buf bytes.Buffer
		if err := server.WriteFeedbackCSV(&buf, rows); err != nil {
			return err
		}
		if err := corpus.WriteFileAtomic(*csvPath, buf.Bytes()); err != nil {
			return fmt.Errorf("ghi %s: %w", *csvPath, err)
		}
		fmt.Fprintf(e.stderr, "Đã ghi %d quyết định vào %s\n", len(rows), *csvPath)
	}
	switch {
	case *asJSON:
		b, err := json.Marshal(map[string]any{"count": len(rows), "feedback": rows})
		if err != nil {
			return err
		}
		return writeJSON(e.stdout, b)
	case *csvPath == "":
		fmt.Fprintf(e.stdout, "%d quyết định\n", len(rows))
		for _, r := range rows {
			old := ""
			if r.Superseded {
				old = " [đã bị thay]"
			}
			fmt.Fprintf(e.stdout, "#%d %s → %s%s: %s\n", r.Seq, r.NeedID, r.ResultID, old, server.FeedbackText(&r))
		}
	}
	return nil
}

// feedbackRows reads the decisions from the store, or from the server holding the data directory.
func feedbackRows(e *env, need string, current bool, key string) ([]server.FeedbackJSON, error) {
	st, err := openStore(e.data)
	var held *errHeld
	switch {
	case errors.As(err, &held) && held.url != "":
		if key == "" {
			return nil, usageError{fmt.Sprintf("máy chủ %s đang giữ thư mục dữ liệu; xuất quyết định qua API cần khoá môi giới hoặc cán bộ: --key KHOÁ hoặc biến môi trường KETNOI_KEY", held.url)}
		}
		q := url.Values{"format": {"json"}, "need_id": {need}, "current": {fmt.Sprint(current)}}
		body, err := apiCall(context.Background(), http.MethodGet, held.url+"api/v1/match/feedback?"+q.Encode(), key, nil, httpClient.Timeout)
		if err != nil {
			return nil, err
		}
		var out struct {
			Feedback []server.FeedbackJSON `json:"feedback"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			return nil, fmt.Errorf("đọc trả lời của máy chủ: %w", err)
		}
		return out.Feedback, nil
	case err != nil:
		return nil, err
	}
	defer st.Close()
	return server.FeedbackRows(st, need, current)
}
