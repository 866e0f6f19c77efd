package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/corpus"
)

// brokerEnv is a real server over the sample corpus with a broker key and a staff key, and needs that
// batch matching must treat specially.
type brokerEnv struct {
	ts            *httptest.Server
	srv           *Server
	st            *corpus.Store
	broker, staff string
}

// Needs added to the sample: open whatever today's date (deadline far ahead), long expired, broker-only,
// anonymised, and one whose title tries to inject HTML.
var brokerExtra = []corpus.Record{
	&corpus.Need{ID: "nc-mo", Kind: corpus.KindNeed, Title: "Cần máy sấy cá cơm bằng bơm nhiệt", Enterprise: "Cơ sở Hải Sản Mở", Deadline: "2999-12-31"},
	&corpus.Need{ID: "nc-het-han", Kind: corpus.KindNeed, Title: "Cần lò sấy mực đã hết hạn", Enterprise: "Cơ sở Hết Hạn", Deadline: "2000-01-31"},
	&corpus.Need{ID: "nc-mat", Kind: corpus.KindNeed, Title: "Cần công nghệ bí mật xử lý vỏ sò điệp", Enterprise: "Công ty Bí Mật", Confidentiality: corpus.ConfBrokerOnly},
	&corpus.Need{ID: "nc-an", Kind: corpus.KindNeed, Title: "Cần máy ép dầu dừa", Enterprise: "Công ty Ẩn Danh", Contact: "0909", Confidentiality: corpus.ConfAnonymised},
	&corpus.Need{ID: "nc-xss", Kind: corpus.KindNeed, Title: `Cần máy <script>alert("x")</script> sấy tiêu`, Description: "Sấy hạt tiêu <b>đều</b> & nhanh"},
}

func newBrokerEnv(t *testing.T) *brokerEnv {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Keys = corpus.OpenKeyring(t.TempDir())
	broker, _, err := cfg.Keys.Create("Môi giới Bình", corpus.RoleBroker)
	if err != nil {
		t.Fatal(err)
	}
	staff, _, err := cfg.Keys.Create("Cán bộ Lan", corpus.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	srv, st := storeServer(t, cfg, brokerExtra)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &brokerEnv{ts: ts, srv: srv, st: st, broker: broker, staff: staff}
}

func (e *brokerEnv) do(t *testing.T, method, path, key, body string) (int, []byte, http.Header) {
	t.Helper()
	if body == "" {
		return call(t, method, e.ts.URL+path, key, "", nil)
	}
	return call(t, method, e.ts.URL+path, key, "application/json", strings.NewReader(body))
}

// topMatches returns the best matches of a stored need, asked as a broker would (with the need's id).
func (e *brokerEnv) topMatches(t *testing.T, needID, key string) []matchJSON {
	t.Helper()
	code, b, _ := e.do(t, "GET", "/api/v1/needs/"+needID, "", "")
	if code != http.StatusOK {
		t.Fatalf("need %s: %d %s", needID, code, b)
	}
	code, b, _ = e.do(t, "POST", "/api/v1/match?size=5", key, string(b))
	var res struct{ Matches []matchJSON }
	if code != http.StatusOK || json.Unmarshal(b, &res) != nil || len(res.Matches) < 2 {
		t.Fatalf("match %s: %d %s", needID, code, b)
	}
	return res.Matches
}

func TestFeedbackNeedsAKey(t *testing.T) {
	e := newBrokerEnv(t)
	body := `{"need_id": "nc-001", "result_id": "kq-ts-001", "decision": "accept"}`
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/v1/match/feedback", body},
		{"GET", "/api/v1/match/feedback", ""},
		{"GET", "/api/v1/match/batch?format=csv", ""},
	} {
		code, b, _ := e.do(t, tc.method, tc.path, "", tc.body)
		var ae APIError
		json.Unmarshal(b, &ae)
		if code != http.StatusUnauthorized || ae.Code != "unauthorized" || !strings.Contains(ae.Message, "khóa API") {
			t.Errorf("%s %s without a key: %d %s", tc.method, tc.path, code, b)
		}
		if code, b, _ := e.do(t, tc.method, tc.path, "kn_sai", tc.body); code != http.StatusUnauthorized {
			t.Errorf("%s %s with a wrong key: %d %s", tc.method, tc.path, code, b)
		}
	}
	n := 0
	e.st.EachFeedback("", func(corpus.Feedback) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d decisions stored without a key", n)
	}
}

func TestFeedbackValidation(t *testing.T) {
	e := newBrokerEnv(t)
	for _, tc := range []struct {
		name, body, code, field, msg string
	}{
		{"not json", `{"need_id": `, "bad_json", "", "JSON hợp lệ"},
		{"array", `[]`, "bad_json", "", "đối tượng JSON"},
		{"string", `"nc-001"`, "bad_json", "", "đối tượng JSON"},
		{"misspelt field", `{"need_id": "nc-001", "result_id": "kq-ts-001", "desicion": "accept"}`, "unknown_field", "", `"desicion"`},
		{"number for id", `{"need_id": 1, "result_id": "kq-ts-001", "decision": "accept"}`, "bad_type", "", "need_id phải là chuỗi"},
		{"missing need", `{"result_id": "kq-ts-001", "decision": "accept"}`, "missing_need_id", "need_id", "Thiếu mã nhu cầu"},
		{"unknown need", `{"need_id": "nc-khong-co", "result_id": "kq-ts-001", "decision": "accept"}`, "unknown_need", "need_id", `"nc-khong-co"`},
		{"swapped ids", `{"need_id": "kq-ts-001", "result_id": "nc-001", "decision": "accept"}`, "not_a_need", "need_id", "không phải nhu cầu"},
		{"unknown result", `{"need_id": "nc-001", "result_id": "kq-khong-co", "decision": "accept"}`, "unknown_result", "result_id", `"kq-khong-co"`},
		{"bad decision", `{"need_id": "nc-001", "result_id": "kq-ts-001", "decision": "ok"}`, "bad_decision", "decision", "accept (chấp nhận) hoặc reject (từ chối)"},
		{"reject without reason", `{"need_id": "nc-001", "result_id": "kq-ts-001", "decision": "reject"}`, "missing_reason", "reason", "too_early_stage"},
		{"unknown reason", `{"need_id": "nc-001", "result_id": "kq-ts-001", "decision": "reject", "reason": "expensive"}`, "bad_reason", "reason", "price"},
		{"other without note", `{"need_id": "nc-001", "result_id": "kq-ts-001", "decision": "reject", "reason": "other"}`, "missing_note", "note", "ghi chú"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b, _ := e.do(t, "POST", "/api/v1/match/feedback", e.broker, tc.body)
			var ae struct {
				APIError
				Details []map[string]string `json:"details"`
			}
			if err := json.Unmarshal(b, &ae); err != nil || code != http.StatusBadRequest {
				t.Fatalf("%d %s", code, b)
			}
			field := ""
			if len(ae.Details) == 1 {
				field = ae.Details[0]["field"]
			}
			if ae.Code != tc.code || !strings.Contains(ae.Message, tc.msg) || ae.RequestID == "" || field != tc.field {
				t.Errorf("got %+v, want code %s field %q message containing %q", ae, tc.code, tc.field, tc.msg)
			}
		})
	}
	n := 0
	e.st.EachFeedback("", func(corpus.Feedback) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d refused decisions stored", n)
	}
}

// TestFeedbackSupersedeExportAudit: a broker rejects a proposed match, then a staff member accepts it; the
// second decision supersedes the first, both stay in the export (JSON and CSV, Vietnamese intact), the match
// output shows the current decision to callers with a key, and the audit log names each decision.
func TestFeedbackSupersedeExportAudit(t *testing.T) {
	e := newBrokerEnv(t)
	ms := e.topMatches(t, "nc-mo", "")
	top, second := ms[0], ms[1]
	note := "=Giá cao hơn ngân sách – cần đàm phán lại với Viện"
	post := func(key, result, decision, reason, note string) feedbackResponse {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"need_id": "nc-mo", "result_id": result, "decision": decision, "reason": reason, "note": note})
		code, b, _ := e.do(t, "POST", "/api/v1/match/feedback", key, string(body))
		var out feedbackResponse
		if code != http.StatusCreated || json.Unmarshal(b, &out) != nil || out.Feedback == nil {
			t.Fatalf("feedback: %d %s", code, b)
		}
		return out
	}
	first := post(e.broker, top.ID, "reject", "price", note)
	f := first.Feedback
	if first.Supersedes != nil || f.Actor.Name != "Môi giới Bình" || f.Actor.Role != "broker" || f.ReasonLabel == "" || f.NeedTitle == "" {
		t.Errorf("first decision: %+v", first)
	}
	// The score and components at the time of the decision are the ones the broker saw.
	if f.Rank != 1 || f.Score != top.Score || f.Components["text"] != top.Components["text"] {
		t.Errorf("decision recorded score %v rank %d components %v; the match had %v %v", f.Score, f.Rank, f.Components, top.Score, top.Components)
	}
	if first.NeedState != corpus.NeedPublished {
		t.Errorf("need state after a rejection: %q", first.NeedState)
	}
	if acc := post(e.broker, second.ID, "accept", "", ""); acc.NeedState != corpus.NeedMatched {
		t.Errorf("need state after an acceptance: %q", acc.NeedState)
	}
	latest := post(e.staff, top.ID, "accept", "co_development", "")
	if latest.Supersedes == nil || latest.Supersedes.Seq != f.Seq || latest.Feedback.Actor.Name != "Cán bộ Lan" {
		t.Errorf("second decision on the pair: %+v", latest)
	}
	if ok, err := e.st.HasAcceptedMatch("nc-mo"); !ok || err != nil {
		t.Errorf("HasAcceptedMatch: %v %v", ok, err)
	}

	// The match output: decisions for a caller with a key, none for the public.
	for _, m := range e.topMatches(t, "nc-mo", e.broker)[:2] {
		if m.Feedback == nil || m.Feedback.Decision != "accept" {
			t.Errorf("match %s with a broker key: feedback %+v", m.ID, m.Feedback)
		}
	}
	for _, m := range e.topMatches(t, "nc-mo", "") {
		if m.Feedback != nil {
			t.Errorf("match %s shows a decision to the public: %+v", m.ID, m.Feedback)
		}
	}

	// JSON export: the history with the superseded decision, or only the current ones.
	var all struct {
		Count    int
		Feedback []FeedbackJSON
	}
	code, b, _ := e.do(t, "GET", "/api/v1/match/feedback?need_id=nc-mo", e.broker, "")
	if code != http.StatusOK || json.Unmarshal(b, &all) != nil || all.Count != 3 {
		t.Fatalf("export: %d %s", code, b)
	}
	superseded := 0
	for _, r := range all.Feedback {
		if r.Superseded {
			superseded++
			if r.Decision != "reject" || r.Note != note {
				t.Errorf("superseded decision: %+v", r)
			}
		}
	}
	if superseded != 1 {
		t.Errorf("%d superseded decisions, want 1", superseded)
	}
	code, b, _ = e.do(t, "GET", "/api/v1/match/feedback?current=1", e.staff, "")
	if json.Unmarshal(b, &all); code != http.StatusOK || all.Count != 2 {
		t.Errorf("current decisions: %d %s", code, b)
	}
	if code, b, _ := e.do(t, "GET", "/api/v1/match/feedback?format=xml", e.staff, ""); code != http.StatusBadRequest || !strings.Contains(string(b), "bad_format") {
		t.Errorf("format=xml: %d %s", code, b)
	}

	// CSV export: a byte order mark, parses, Vietnamese round-trips, a formula is neutralised.
	code, b, h := e.do(t, "GET", "/api/v1/match/feedback?format=csv", e.broker, "")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatalf("csv: %d %q %q", code, h.Get("Content-Type"), b[:min(len(b), 20)])
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("csv parse: %v, %d rows\n%s", err, len(rows), b)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, name := range []string{"need_id", "result_id", "decision", "reason_label", "note", "actor_name", "score", "superseded", "component_text"} {
		if _, ok := col[name]; !ok {
			t.Errorf("csv lacks column %s: %v", name, rows[0])
		}
	}
	found := false
	for _, r := range rows[1:] {
		if r[col["superseded"]] == "true" {
			found = true
			if r[col["note"]] != "'"+note || r[col["reason_label"]] != corpus.FeedbackReasons.Label("price") || r[col["actor_name"]] != "Môi giới Bình" || r[col["need_title"]] == "" {
				t.Errorf("superseded row: %v", r)
			}
		}
	}
	if !found {
		t.Error("csv lacks the superseded decision")
	}

	// Audit: one line per decision, saying what was decided, never the key.
	log, _ := os.ReadFile(filepath.Join(e.st.Dir(), "audit.log"))
	var decisions []auditEntry
	for _, l := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		var a auditEntry
		if json.Unmarshal([]byte(l), &a) == nil && a.Path == "/api/v1/match/feedback" {
			decisions = append(decisions, a)
		}
	}
	if len(decisions) != 3 || decisions[0].KeyName != "Môi giới Bình" || decisions[0].Action != "match.reject" ||
		!strings.HasPrefix(decisions[0].Target, "nc-mo → "+top.ID+" #") || decisions[0].Reason != "price" ||
		decisions[2].Action != "match.accept" || !strings.Contains(decisions[2].Reason, "thay quyết định #") || decisions[2].Status != http.StatusCreated {
		t.Errorf("audit entries: %+v", decisions)
	}
	if strings.Contains(string(log), e.broker) || strings.Contains(string(log), e.staff) {
		t.Error("the audit log holds a key")
	}
}
