package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"ketnoi/corpus"
	"ketnoi/server"
)

// ketnoiIn runs the command in-process with stdin.
func ketnoiIn(t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runWith(stdin, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsersCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	const pw = "Mật khẩu của Lan 2026"
	steps := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		want     string // in stdout or stderr
		wantNot  string
		checkOut func(t *testing.T, out string)
	}{
		{name: "add from a pipe", stdin: pw + "\n", args: []string{"users", "add", "--name", "lan.nguyen", "--role", "broker"},
			want: "Đã tạo người dùng lan.nguyen"},
		{name: "same name again", stdin: pw + "\n", args: []string{"users", "add", "--name", "LAN.NGUYEN", "--role", "staff"},
			code: 1, want: "đã có"},
		{name: "short password", stdin: "ngắn\n", args: []string{"users", "add", "--name", "minh", "--role", "staff"},
			code: 1, want: "ít nhất 10"},
		{name: "no password", stdin: "", args: []string{"users", "add", "--name", "minh", "--role", "staff"},
			code: 1, want: "đầu vào chuẩn trống"},
		{name: "bad role", args: []string{"users", "add", "--name", "minh", "--role", "root"}, code: 2, want: "vai trò"},
		{name: "bad name, before any password is asked", args: []string{"users", "add", "--name", "minh nguyen", "--role", "staff"},
			code: 2, want: "chỉ dùng chữ"},
		{name: "password as an argument is refused", args: []string{"users", "add", "--name", "minh", "--role", "staff", "matkhau"},
			code: 2, want: "không nhận đối số"},
		{name: "flag of another subcommand", args: []string{"users", "list", "--role", "staff"}, code: 2, want: "users list không nhận cờ --role"},
		{name: "list", args: []string{"users", "list"}, want: "lan.nguyen", wantNot: "$argon2id"},
		{name: "list as JSON", args: []string{"users", "list", "--json"}, checkOut: func(t *testing.T, out string) {
			var us []userJSON
			if err := json.Unmarshal([]byte(out), &us); err != nil || len(us) != 1 || us[0].Role != corpus.RoleBroker {
				t.Errorf("list --json: %v %s", err, out)
			}
		}},
		{name: "passwd", stdin: "mật khẩu mới của Lan\r\n", args: []string{"users", "passwd", "lan.nguyen"}, want: "Đã đặt mật khẩu mới"},
		{name: "passwd of nobody", stdin: "mật khẩu mới của ai\n", args: []string{"users", "passwd", "--name", "ai"}, code: 1, want: "không có người dùng"},
	}
	for _, s := range steps {
		code, out, errOut := ketnoiIn(t, strings.NewReader(s.stdin), append(s.args, "--data", data)...)
		all := out + errOut
		if code != s.code || !strings.Contains(all, s.want) || s.wantNot != "" && strings.Contains(all, s.wantNot) {
			t.Errorf("%s: exit %d (want %d)\n%s", s.name, code, s.code, all)
		}
		if strings.Contains(all, pw) {
			t.Errorf("%s: the password was printed", s.name)
		}
		if s.checkOut != nil {
			s.checkOut(t, out)
		}
	}
	u := corpus.OpenUsers(data)
	if _, ok := u.Verify("lan.nguyen", "mật khẩu mới của Lan"); !ok {
		t.Error("new password (read without its CR LF) refused")
	}
	if _, ok := u.Verify("lan.nguyen", pw); ok {
		t.Error("old password still accepted")
	}
	if code, out, _ := ketnoiIn(t, nil, "users", "remove", "lan.nguyen", "--data", data); code != 0 || !strings.Contains(out, "Đã xóa") {
		t.Errorf("remove: %d %s", code, out)
	}
	if _, out, _ := ketnoiIn(t, nil, "users", "list", "--data", data); !strings.Contains(out, "Chưa có người dùng") {
		t.Errorf("list after remove: %s", out)
	}
}

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slave.Close(); master.Close() })
	_ = master.SetReadDeadline(time.Now().Add(30 * time.Second)) // where the terminal supports it: no test hangs
	return master, slave
}

// TestUsersAddOnATerminal: on a terminal the password is asked twice and never echoed, and the terminal
// echoes again afterwards.
func TestUsersAddOnATerminal(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	const pw = "mật khẩu gõ trên terminal"
	tests := []struct {
		name          string
		first, second string
		code          int
		want          string
	}{
		{"mismatch", pw, pw + "x", 1, "không khớp"},
		{"typed twice", pw, pw, 0, "Đã tạo người dùng"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			master, slave := openPTY(t)
			// Whatever the terminal echoes is collected from the master side.
			echoed := make(chan string, 1)
			go func() {
				var b bytes.Buffer
				buf := make([]byte, 1024)
				for {
					n, err := master.Read(buf)
					b.Write(buf[:n])
					if err != nil {
						echoed <- b.String()
						return
					}
				}
			}()
			go func() {
				time.Sleep(200 * time.Millisecond)
				master.Write([]byte(tt.first + "\n"))
				time.Sleep(200 * time.Millisecond)
				master.Write([]byte(tt.second + "\n"))
			}()
			code, out, errOut := ketnoiIn(t, slave, "users", "add", "--name", "terminal", "--role", "staff", "--data", data)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) || strings.Count(errOut, "ật khẩu") < 2 {
				t.Errorf("exit %d (want %d), asked twice?\n%s%s", code, tt.code, out, errOut)
			}
			tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
			if err != nil || tio.Lflag&unix.ECHO == 0 {
				t.Errorf("echo not restored: %v", err)
			}
			slave.Close() // the master's read ends (EIO) once no one holds the terminal
			select {
			case got := <-echoed:
				if strings.Contains(got, "terminal") || strings.Contains(got, "gõ") {
					t.Errorf("the terminal echoed the password: %q", got)
				}
			case <-time.After(10 * time.Second):
				t.Error("the terminal's output could not be read")
			}
		})
	}
	if _, ok := corpus.OpenUsers(data).Verify("terminal", pw); !ok {
		t.Error("password typed on the terminal not stored")
	}
}

func TestServeFlags(t *testing.T) {
	ok := serveOptions{timeout: 10 * time.Second, readRate: 10, readBurst: 60, writeRate: 2, writeBurst: 30}
	tests := []struct {
		name string
		edit func(*serveOptions)
		want string // part of the error; "" for none
	}{
		{name: "defaults", edit: func(*serveOptions) {}},
		{name: "trusted proxies", edit: func(o *serveOptions) { o.proxies = "127.0.0.1, 10.0.0.0/8" }},
		{name: "bad proxy", edit: func(o *serveOptions) { o.proxies = "proxy.local" }, want: "--trusted-proxies"},
		{name: "negative rate", edit: func(o *serveOptions) { o.readRate = -1 }, want: "--rate-read"},
		{name: "zero burst", edit: func(o *serveOptions) { o.writeBurst = 0 }, want: "burst"},
		{name: "zero timeout", edit: func(o *serveOptions) { o.timeout = 0 }, want: "--timeout"},
		{name: "metrics role", edit: func(o *serveOptions) { o.metricsRole = "admin" }},
		{name: "bad metrics role", edit: func(o *serveOptions) { o.metricsRole = "root" }, want: "--metrics-key-role"},
		{name: "TLS key without certificate", edit: func(o *serveOptions) { o.tlsKey = "k.pem" }, want: "--tls-cert"},
	}
	for _, tt := range tests {
		o := ok
		tt.edit(&o)
		_, err := serveConfig(server.DefaultConfig(), o)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		var ue usageError
		if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want a usage error about %s", tt.name, err, tt.want)
		}
	}
	cfg, _ := serveConfig(server.DefaultConfig(), serveOptions{timeout: time.Second, proxies: "10.0.0.0/8", readRate: 0, readBurst: 1,
		writeRate: 1, writeBurst: 5, limitLoopback: true, metricsRole: "admin", metricsLocal: true})
	if len(cfg.TrustedProxies) != 1 || cfg.Rates.Read.PerSecond != 0 || cfg.Rates.Write.Burst != 5 || !cfg.Rates.LimitLoopback ||
		cfg.Metrics.KeyRole != corpus.RoleAdmin || !cfg.Metrics.LoopbackOnly || cfg.RequestTimeout != time.Second {
		t.Errorf("configuration from flags: %+v", cfg)
	}
}
