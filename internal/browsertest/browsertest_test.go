package browsertest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
)

// TestHelpers drives a two-page site: text, typing, a form post that loads a new page, a file input, a
// script-made change waited for, and the phone viewport.
func TestHelpers(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.Method == http.MethodPost {
			r.ParseForm()
			w.Write([]byte(`<!doctype html><h1 id="kq">Đã nhận: ` + strings.ReplaceAll(r.FormValue("ten"), "<", "&lt;") + `</h1>`))
			return
		}
		w.Write([]byte(`<!doctype html><meta name="viewport" content="width=device-width">
<p id="a">Xin chào</p>
<form method="post"><input id="ten" name="ten"><input id="tep" type="file"><button id="gui">Gửi</button></form>
<p id="sau"></p>
<script>document.getElementById("a").textContent += "!"; setTimeout(() => document.getElementById("sau").textContent = "xong", 300);</script>`))
	}))
	defer ts.Close()
	ctx := Start(t)
	Navigate(t, ctx, ts.URL)
	if got := Text(t, ctx, "#a"); got != "Xin chào!" {
		t.Errorf("Text = %q", got)
	}
	WaitFor(t, ctx, "the late change", `document.getElementById("sau").textContent === "xong"`)
	f := filepath.Join(t.TempDir(), "tệp.txt")
	os.WriteFile(f, []byte("nội dung"), 0o644)
	SetUploadFiles(t, ctx, "#tep", f)
	if n := Eval[int](t, ctx, `document.getElementById("tep").files.length`); n != 1 {
		t.Errorf("%d files chosen", n)
	}
	Viewport(t, ctx, 375, 700)
	if w := Eval[int](t, ctx, `window.innerWidth`); w != 375 {
		t.Errorf("viewport width %d", w)
	}
	SendKeys(t, ctx, "#ten", "Gia Lai")
	ClickAndWait(t, ctx, "#gui")
	if got := Text(t, ctx, "#kq"); got != "Đã nhận: Gia Lai" {
		t.Errorf("after the post: %q", got)
	}
	if loc := Location(t, ctx); loc != ts.URL+"/" {
		t.Errorf("Location = %q", loc)
	}
}

// TestExceptionsAreCollected: the listener keeps what a page throws, for Start's cleanup to report.
func TestExceptionsAreCollected(t *testing.T) {
	var e exceptions
	e.listen(&runtime.EventConsoleAPICalled{})
	e.listen(&runtime.EventExceptionThrown{ExceptionDetails: &runtime.ExceptionDetails{Text: "Uncaught",
		URL: "http://x/static/a.js", LineNumber: 4, Exception: &runtime.RemoteObject{Description: "TypeError: x is null"}}})
	got := e.list()
	if len(got) != 1 || got[0] != "Uncaught TypeError: x is null (http://x/static/a.js:5)" {
		t.Errorf("collected %q", got)
	}
}
