package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"ketnoi/indexer"
	"ketnoi/internal/browsertest"
	"ketnoi/internal/pdffixture"
)

// TestSearchPageInBrowser drives the public search page in headless Chromium: type a query, apply a
// facet, open a result, download its original file.
func TestSearchPageInBrowser(t *testing.T) {
	pdffixture.NeedFont(t)
	fx, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	u := uploadServer(t, 8, true)
	upload := func(name string, content []byte, fields map[string]string) string {
		ctype, body := multipartBody(t, name, content, fields)
		code, b, _ := u.do(t, "POST", "/api/v1/documents", u.staff, ctype, body)
		if code != http.StatusAccepted {
			t.Fatalf("upload %s: %d %s", name, code, b)
		}
		var j indexer.Job
		json.Unmarshal(b, &j)
		if j = u.waitJob(t, j.ID); j.State != indexer.JobDone {
			t.Fatalf("job %s: %+v", name, j)
		}
		return j.Outcome.DocID
	}
	pdfID := upload("báo cáo sấy cá cơm.pdf", fx[0].PDF, map[string]string{"field_codes": "40101", "year": "2024"})
	upload("say-ca.txt", []byte("Thiết kế máy sấy cá cơm dùng bơm nhiệt cho hộ gia đình ven biển."), map[string]string{"field_codes": "20201", "year": "2021"})
	upload("muc.txt", []byte("Quy trình sấy mực một nắng bằng năng lượng mặt trời."), map[string]string{"field_codes": "40101", "year": "2022"})

	ctx := browsertest.Start(t)
	browsertest.Navigate(t, ctx, u.ts.URL+"/")
	browsertest.WaitVisible(t, ctx, "#q")
	browsertest.SendKeys(t, ctx, "#q", "say ca com") // typed without diacritics, as enterprises do
	browsertest.ClickAndWait(t, ctx, `form.search button[type=submit]`)
	browsertest.WaitFor(t, ctx, "results", `document.querySelectorAll("li.hit").length >= 2`)
	if first := browsertest.Text(t, ctx, "li.hit h3 a"); !strings.Contains(first, "sấy cá cơm") {
		t.Errorf("first hit %q", first)
	}
	// A facet link narrows the results and keeps the query in a shareable URL.
	before := browsertest.Eval[int](t, ctx, `document.querySelectorAll("li.hit").length`)
	browsertest.ClickAndWait(t, ctx, `aside.facets a[href*="field="]`)
	loc := browsertest.Location(t, ctx)
	after := browsertest.Eval[int](t, ctx, `document.querySelectorAll("li.hit").length`)
	if !strings.Contains(loc, "field=") || !strings.Contains(loc, "q=say") || after == 0 || after >= before {
		t.Errorf("facet: %s, %d hits → %d", loc, before, after)
	}
	// Open the report and download its file.
	browsertest.Navigate(t, ctx, u.ts.URL+"/ket-qua/"+pdfID)
	browsertest.WaitVisible(t, ctx, "a.download")
	got := browsertest.Eval[string](t, ctx, `(() => {
		const x = new XMLHttpRequest();
		x.open("GET", document.querySelector("a.download").href, false);
		x.overrideMimeType("text/plain; charset=x-user-defined"); // bytes as they are
		x.send();
		return x.status + " " + x.getResponseHeader("content-type") + " " + x.responseText.length;
	})()`)
	if name := browsertest.Text(t, ctx, "p.file"); !strings.Contains(name, "báo cáo sấy cá cơm.pdf") {
		t.Errorf("file name shown: %q", name)
	}
	if want := "200 application/pdf " + itoa(len(fx[0].PDF)); got != want {
		t.Errorf("download: %q, want %q", got, want)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
