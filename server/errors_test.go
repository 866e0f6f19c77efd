package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestRecordRefusalsReadable: a record refused by validation is explained in plain Vietnamese: no id the
// server made up for a record sent without one, no doubled space before the record's own id.
func TestRecordRefusalsReadable(t *testing.T) {
	e := newBrokerEnv(t)
	for _, tt := range []struct {
		name, method, path, key, body string
		code, says                    string
	}{
		{"need to match without a title", "POST", "/api/v1/match", "", `{"description": 5}`, "invalid_need", "trường description"},
		{"result to match without a title", "POST", "/api/v1/match/reverse", "", `{"summary": "Máy sấy"}`, "invalid_result", "trường title"},
		{"edit with a bad year", "PATCH", "/api/v1/results/kq-ts-002", e.staff, `{"year": "năm ngoái"}`, "bad_record", "(kq-ts-002), trường year"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, b, _ := e.do(t, tt.method, tt.path, tt.key, tt.body)
			var ae APIError
			if err := json.Unmarshal(b, &ae); err != nil || code != http.StatusBadRequest || ae.Code != tt.code {
				t.Fatalf("%d %s, want 400 %s", code, b, tt.code)
			}
			if !strings.Contains(ae.Message, tt.says) || strings.Contains(ae.Message, "  ") ||
				strings.Contains(ae.Message, "nhu-cau-tam") || strings.Contains(ae.Message, "ket-qua-tam") {
				t.Errorf("message %q", ae.Message)
			}
		})
	}
}
