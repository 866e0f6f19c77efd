package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
)

// TestTimesInProvinceClock: every time the command line prints (users, keys and a revoked key's error,
// alerts, harvests, a restored backup) is on the province's clock with its offset, on a machine whose own
// zone is UTC (TZ set empty): what staff read matches what the server shows, wherever the CLI runs.
func TestTimesInProvinceClock(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	needs, results := filepath.Join(dir, "needs.jsonl"), filepath.Join(dir, "results.csv")
	writeFile(t, needs, standingNeeds)
	writeFile(t, results, alertResults)
	for _, f := range []string{needs, results} { // the second raises an alert
		if code, out, errOut := ketnoi(t, "index", "--data", data, f); code != 0 {
			t.Fatalf("index %s: exit %d\n%s\n%s", f, code, out, errOut)
		}
	}
	code, out, errOut := ketnoi(t, "keys", "create", "--data", data, "--name", "Lan", "--role", "staff")
	if code != 0 {
		t.Fatalf("keys create: exit %d\n%s\n%s", code, out, errOut)
	}
	var keys []struct {
		ID      string    `json:"id"`
		Created time.Time `json:"created_at"`
		Revoked time.Time `json:"revoked_at"`
	}
	_, out, _ = ketnoi(t, "keys", "list", "--data", data, "--json")
	if err := json.Unmarshal([]byte(out), &keys); err != nil || len(keys) != 1 {
		t.Fatalf("keys list --json: %v\n%s", err, out)
	}
	if code, out, errOut := ketnoi(t, "keys", "revoke", "--data", data, keys[0].ID); code != 0 {
		t.Fatalf("keys revoke: exit %d\n%s\n%s", code, out, errOut)
	}
	_, out, _ = ketnoi(t, "keys", "list", "--data", data, "--json")
	json.Unmarshal([]byte(out), &keys)
	if code, out, errOut := ketnoiIn(t, strings.NewReader("Mật khẩu của Lan 2026\n"), "users", "add", "--data", data, "--name", "lan", "--role", "staff"); code != 0 {
		t.Fatalf("users add: exit %d\n%s\n%s", code, out, errOut)
	}
	var users []struct {
		Created     time.Time `json:"created_at"`
		PasswordSet time.Time `json:"password_set_at"`
	}
	_, out, _ = ketnoi(t, "users", "list", "--data", data, "--json")
	if err := json.Unmarshal([]byte(out), &users); err != nil || len(users) != 1 {
		t.Fatalf("users list --json: %v\n%s", err, out)
	}
	alerts := alertsJSON(t, "--data", data)
	if len(alerts.Alerts) != 1 {
		t.Fatalf("alerts: %+v", alerts)
	}
	st, err := corpus.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	const base = "https://kho.example.edu.vn/oai"
	err = st.SetHarvestState(corpus.HarvestKey(base, "", "oai_dc"), corpus.HarvestState{BaseURL: base, Prefix: "oai_dc", Last: "2025-05-30T20:00:00Z"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "sao-luu.tar")
	before := time.Now().Truncate(time.Second)
	if code, out, errOut := ketnoi(t, "backup", "--data", data, archive); code != 0 {
		t.Fatalf("backup: exit %d\n%s\n%s", code, out, errOut)
	}
	after := time.Now()

	// The province's clock written independently of the code under test: UTC+7, no daylight saving.
	vn := func(t time.Time) string {
		return t.In(time.FixedZone("", 7*3600)).Format("2006-01-02 15:04") + " UTC+07:00"
	}
	run := func(args ...string) (string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "TZ=") // empty: the machine's clock is UTC
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		cmd.Run()
		return o.String(), e.String()
	}
	for _, c := range []struct {
		args []string
		want []string // in stdout or stderr
	}{
		{[]string{"users", "list", "--data", data}, []string{vn(users[0].Created), vn(users[0].PasswordSet)}},
		{[]string{"keys", "list", "--data", data}, []string{vn(keys[0].Created), vn(keys[0].Revoked)}},
		{[]string{"keys", "revoke", "--data", data, keys[0].ID}, []string{"(lúc " + vn(keys[0].Revoked) + ")"}},
		{[]string{"alerts", "--data", data}, []string{vn(alerts.Alerts[0].Created)}},
		{[]string{"harvest", "--list", "--data", data}, []string{"2025-05-30T20:00:00Z (2025-05-31 03:00 UTC+07:00)"}},
	} {
		o, e := run(c.args...)
		for _, w := range c.want {
			if !strings.Contains(o+e, w) {
				t.Errorf("%v: want %q in\n%s%s", c.args, w, o, e)
			}
		}
	}
	o, e := run("restore", archive, "--data", filepath.Join(dir, "khoi-phuc"))
	m := regexp.MustCompile(`sao lưu lúc (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\+07:00)`).FindStringSubmatch(o)
	if m == nil {
		t.Fatalf("restore: no backup time on the province's clock\n%s%s", o, e)
	}
	if at, err := time.Parse("2006-01-02 15:04:05 UTC-07:00", m[1]); err != nil || at.Before(before) || at.After(after) {
		t.Errorf("restore says the backup was made at %s (%v), it was made between %s and %s", m[1], err, before, after)
	}
}
