package main

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ketnoi/alerts"
)

const standingNeeds = `{"id": "nc-t1", "kind": "need", "title": "Cần máy sấy cá cơm đỡ tốn điện, mùa mưa vẫn sấy được", "description": "Cơ sở ở Tam Quan Bắc làm cá cơm luộc rồi phơi khô; cần máy sấy 500–800 kg mỗi mẻ, cá khô giữ màu trắng bạc.", "enterprise": "Cơ sở Lộc Phát", "sectors": ["10"], "field_codes": ["211"], "min_trl": 7, "locality": "hoai-nhon", "standing": true, "broker": "Môi giới B"}
{"id": "nc-t2", "kind": "need", "title": "Cần máy ép dầu dừa công suất nhỏ", "description": "Hợp tác xã ép dầu dừa tinh khiết từ cơm dừa tươi."}
`

const alertResults = "id,kind,title,summary,keywords,sectors,field_codes,trl,locality\n" +
	"kq-t1,result,Máy sấy cá cơm bơm nhiệt tiết kiệm điện,\"Sấy cá cơm luộc cả mùa mưa, cá khô giữ màu trắng bạc\",máy sấy;cá cơm;bơm nhiệt,10,211,8,hoai-nhon\n" +
	"kq-t2,result,Phần mềm quản lý hồ sơ bệnh án cho trạm y tế xã,Lưu hồ sơ khám chữa bệnh và kê đơn,phần mềm;y tế,86,,6,\n"

type alertsOut struct {
	Alerts []alerts.View `json:"alerts"`
}

func alertsJSON(t *testing.T, args ...string) alertsOut {
	t.Helper()
	code, out, errOut := ketnoi(t, append([]string{"alerts", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("alerts --json: exit %d\n%s", code, errOut)
	}
	var a alertsOut
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("alerts --json: %v\n%s", err, out)
	}
	return a
}

// TestIndexRaisesAlerts: an import of a standing need, then of a result that answers it, raises one alert
// at the end of the second run; importing the same file again raises none; feeds token issues a token.
func TestIndexRaisesAlerts(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	needs, results := filepath.Join(dir, "needs.jsonl"), filepath.Join(dir, "results.csv")
	writeFile(t, needs, standingNeeds)
	writeFile(t, results, alertResults)

	code, out, errOut := ketnoi(t, "index", "--data", data, needs)
	if code != 0 || !strings.Contains(out, "Nhu cầu thường trực: 1;") || strings.Contains(out, "CẢNH BÁO") {
		t.Fatalf("index needs: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = ketnoi(t, "index", "--data", data, results)
	if code != 0 || !strings.Contains(out, "CẢNH BÁO nhu cầu nc-t1 ← kết quả kq-t1") || strings.Contains(out, "kq-t2 (") {
		t.Fatalf("index results: exit %d\n%s\n%s", code, out, errOut)
	}
	a := alertsJSON(t, "--data", data)
	if len(a.Alerts) != 1 || a.Alerts[0].Need.ID != "nc-t1" || a.Alerts[0].Result.ID != "kq-t1" || a.Alerts[0].Need.Broker != "Môi giới B" ||
		a.Alerts[0].Delivery != "pending" || len(a.Alerts[0].Reasons) == 0 {
		t.Fatalf("alerts: %+v", a)
	}
	if code, out, _ = ketnoi(t, "index", "--data", data, results); code != 0 || strings.Contains(out, "CẢNH BÁO") {
		t.Errorf("same file again: exit %d\n%s", code, out)
	}
	if a := alertsJSON(t, "--data", data, "--broker", "Môi giới B"); len(a.Alerts) != 1 {
		t.Errorf("broker's alerts after re-import: %d", len(a.Alerts))
	}
	for args, want := range map[string]string{
		"--need nc-t1": "Máy sấy cá cơm bơm nhiệt tiết kiệm điện",
		"--need nc-t2": "Chưa có cảnh báo nào.",
	} {
		code, out, _ := ketnoi(t, append([]string{"alerts", "--data", data}, strings.Fields(args)...)...)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("alerts %s: exit %d\n%s", args, code, out)
		}
	}

	code, out, _ = ketnoi(t, "feeds", "token", "--data", data, "--need", "nc-t1")
	if code != 0 || !strings.Contains(out, "/feeds/needs/kf_") {
		t.Errorf("feeds token: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"feeds", "token", "--need", "nc-khong-co"}, 1, "không có nhu cầu"},
		{[]string{"feeds", "token"}, 2, "đúng một"},
		{[]string{"feeds", "token", "--need", "nc-t1", "--broker", "B"}, 2, "đúng một"},
		{[]string{"feeds"}, 2, "token"},
		{[]string{"alerts", "thừa"}, 2, "không nhận đối số"},
	} {
		code, _, errOut := ketnoi(t, append(tc.args, "--data", data)...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, %s", tc.args, code, errOut)
		}
	}
}

// TestAlertsThroughServer: with the server running, a PATCH that turns a result into an answer to a
// standing need reaches the webhook signed, shows in the feed whose token the CLI issued through the API,
// and ketnoi alerts lists it through the API.
func TestAlertsThroughServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeFile(t, filepath.Join(dir, "needs.jsonl"), standingNeeds)
	writeFile(t, filepath.Join(dir, "results.csv"), alertResults)
	if out, err := exec.Command(bin, "index", "--data", data, filepath.Join(dir, "needs.jsonl"), filepath.Join(dir, "results.csv")).CombinedOutput(); err != nil {
		t.Fatalf("index: %v\n%s", err, out)
	}
	secret := "khoá webhook thử"
	got := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer receiver.Close()
	_, u := startServeWith(t, bin, data, []string{"KETNOI_WEBHOOK_SECRET=" + secret}, "--webhook", receiver.URL+"/nhan")
	key := createKey(t, bin, data, "staff")

	// The first alert (kq-t1, from the import) was waiting in the outbox: the server delivers it.
	var first alerts.Payload
	select {
	case r := <-got:
		b := <-bodies
		json.Unmarshal(b, &first)
		if first.Alert.Result.ID != "kq-t1" || !validSig(secret, r.Header.Get(alerts.HeaderSignature), b) {
			t.Fatalf("first delivery: %s %q", b, r.Header.Get(alerts.HeaderSignature))
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the outbox was not delivered")
	}

	code, out, errOut := ketnoi(t, "feeds", "token", "--data", data, "--need", "nc-t1", "--key", key)
	if code != 0 || !strings.Contains(out, u+"feeds/needs/kf_") {
		t.Fatalf("feeds token through the server: exit %d\n%s\n%s", code, out, errOut)
	}
	feedURL := strings.TrimSpace(out[strings.Index(out, u):])

	// kq-t2 is rewritten into a second dryer: a new alert.
	req, _ := http.NewRequest("PATCH", u+"api/v1/results/kq-t2", strings.NewReader(`{"title": "Máy sấy cá cơm năng lượng mặt trời kết hợp bơm nhiệt", "summary": "Sấy cá cơm luộc mùa mưa, đỡ tốn điện, cá giữ màu trắng bạc", "sectors": ["10"], "field_codes": ["211"], "trl": 8, "locality": "hoai-nhon", "keywords": ["máy sấy", "cá cơm"]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	select {
	case r := <-got:
		b := <-bodies
		var p alerts.Payload
		json.Unmarshal(b, &p)
		if p.Alert.Result.ID != "kq-t2" || !validSig(secret, r.Header.Get(alerts.HeaderSignature), b) {
			t.Errorf("second delivery: %s", b)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no webhook after the PATCH")
	}

	resp, err = http.Get(feedURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var feed struct {
		Entries []struct {
			ID string `xml:"id"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(b, &feed); err != nil || len(feed.Entries) != 2 || feed.Entries[1].ID != first.Alert.ID {
		t.Errorf("feed: %v\n%s", err, b)
	}
	a := alertsJSON(t, "--data", data, "--key", key)
	if len(a.Alerts) != 2 || a.Alerts[0].Result.ID != "kq-t2" {
		t.Errorf("alerts through the server: %+v", a)
	}
	if code, _, errOut := ketnoi(t, "alerts", "--data", data, "--key", ""); code == 0 || !strings.Contains(errOut, "khoá API") {
		t.Errorf("alerts without a key while serving: exit %d %s", code, errOut)
	}
}

func validSig(secret, header string, body []byte) bool {
	ts, _, _ := strings.Cut(strings.TrimPrefix(header, "t="), ",")
	t, err := strconv.ParseInt(ts, 10, 64)
	return err == nil && alerts.Sign([]byte(secret), t, body) == header
}
