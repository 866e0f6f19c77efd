package server

import (
	"strings"
	"testing"
	"time"

	"ketnoi/internal/browsertest"
)

// TestIntakeFormInBrowser fills the public need form in headless Chromium as an enterprise would: a
// first post without a phone number comes back with the message next to the contact field and
// everything typed still there; the corrected post lands on the follow page, which shows the state and
// the private link, and the link opens the page again later; once staff publish the need from the queue,
// the link says so. The form must fit a phone's width.
func TestIntakeFormInBrowser(t *testing.T) {
	e := intakeServer(t, 0)
	ctx := browsertest.Start(t)

	browsertest.Navigate(t, ctx, e.ts.URL+"/")
	browsertest.ClickAndWait(t, ctx, "a.cta")
	browsertest.WaitVisible(t, ctx, "#f-title")
	const title = "Cần máy bóc vỏ hạt điều tự động"
	browsertest.SetValue(t, ctx, "#f-title", title)
	browsertest.SetValue(t, ctx, "#f-description", "Xưởng bóc vỏ hạt điều bằng tay, công nhân hay bị dầu vỏ làm phỏng tay; cần máy bóc vỏ, nhân không vỡ.")
	browsertest.SetValue(t, ctx, "#f-enterprise_size", "small")
	browsertest.SetValue(t, ctx, "#f-sectors", "10")
	browsertest.SetValue(t, ctx, "#f-locality", "an-nhon")
	browsertest.SendKeys(t, ctx, "#f-budget_min", "300")
	browsertest.SetValue(t, ctx, "#f-budget_max", "1,5 tỷ")
	browsertest.SetValue(t, ctx, "#f-deadline", time.Now().AddDate(0, 3, 0).Format("2006-01-02"))
	browsertest.Click(t, ctx, `input[name=confidentiality][value=anonymised]`)
	browsertest.SetValue(t, ctx, "#f-enterprise", "Công ty TNHH Hạt điều Nhơn Hưng")
	browsertest.SetValue(t, ctx, "#f-contact", "Chị Hạnh ở xưởng")
	browsertest.ClickAndWait(t, ctx, ".need-form button[type=submit]")

	if msg := browsertest.Text(t, ctx, "#loi-contact"); !strings.Contains(msg, "số điện thoại") {
		t.Fatalf("message next to the contact: %q", msg)
	}
	if got := browsertest.Eval[string](t, ctx, `document.getElementById("f-title").value`); got != title {
		t.Errorf("title after the refused post: %q", got)
	}
	if !browsertest.Eval[bool](t, ctx, `document.querySelector("input[name=confidentiality][value=anonymised]").checked`) {
		t.Error("the chosen confidentiality was lost")
	}
	browsertest.SetValue(t, ctx, "#f-contact", "Chị Hạnh, 0905 123 456")
	browsertest.ClickAndWait(t, ctx, ".need-form button[type=submit]")

	if loc := browsertest.Location(t, ctx); !strings.HasPrefix(loc, e.ts.URL+followPrefix) {
		t.Fatalf("after submitting the browser is at %s", loc)
	}
	if got := browsertest.Text(t, ctx, "#trang-thai"); !strings.Contains(got, "Đã gửi, đang chờ duyệt") {
		t.Errorf("state shown: %q", got)
	}
	link := browsertest.Eval[string](t, ctx, `document.getElementById("duong-dan").value`)
	if !strings.HasPrefix(link, e.ts.URL+followPrefix) || strings.Contains(link, "?") {
		t.Fatalf("private link %q", link)
	}
	if got := browsertest.Text(t, ctx, "h1"); got != title {
		t.Errorf("follow page title %q", got)
	}

	// Later, from the saved link: the page, without the first visit's notice.
	browsertest.Navigate(t, ctx, link)
	browsertest.WaitVisible(t, ctx, "#trang-thai")
	if browsertest.Eval[bool](t, ctx, `!!document.getElementById("duong-dan")`) {
		t.Error("the saved link shows the first visit's notice again")
	}
	if got := browsertest.Text(t, ctx, ".history tbody"); !strings.Contains(got, "Doanh nghiệp") {
		t.Errorf("history: %q", got)
	}

	// A staff member signs in, opens the need from the queue and publishes it; the link then says so.
	browsertest.Navigate(t, ctx, e.ts.URL+queuePath)
	browsertest.WaitVisible(t, ctx, "#khoa")
	browsertest.SendKeys(t, ctx, "#khoa", e.staff)
	browsertest.ClickAndWait(t, ctx, ".signin button[type=submit]")
	browsertest.ClickAndWait(t, ctx, "#hang-doi td.name a")
	if got := browsertest.Eval[string](t, ctx, `document.getElementById("f-title").value`); got != title {
		t.Fatalf("staff form title %q", got)
	}
	browsertest.ClickAndWait(t, ctx, "#dang")
	if got := browsertest.Text(t, ctx, ".flash"); !strings.Contains(got, "Đã đăng nhu cầu") {
		t.Errorf("after publishing: %q", got)
	}
	browsertest.Navigate(t, ctx, link)
	if got := browsertest.Text(t, ctx, "#trang-thai"); !strings.Contains(got, "Đã đăng") {
		t.Errorf("state after publishing: %q", got)
	}

	browsertest.Viewport(t, ctx, 375, 800)
	for _, page := range []string{intakePath, strings.TrimPrefix(link, e.ts.URL)} {
		browsertest.Navigate(t, ctx, e.ts.URL+page)
		if !browsertest.Eval[bool](t, ctx, `document.documentElement.scrollWidth <= window.innerWidth`) {
			t.Errorf("%s is wider than a phone: %v px", page, browsertest.Eval[float64](t, ctx, `document.documentElement.scrollWidth`))
		}
	}
}
