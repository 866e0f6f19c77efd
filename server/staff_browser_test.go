package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/internal/browsertest"
	"ketnoi/internal/pdffixture"
)

// TestStaffPageInBrowser drives the staff page in headless Chromium as a person would: sign in with the
// key, choose a PDF in the file input and upload it (the script sends it to the API with per-file
// progress), drop a second file on the drop zone, wait until the job table says "xong", merge the index
// from its section, open the metadata form from the row, change the title, save, and see the new title on
// the result page. The page must also fit a phone's width.
func TestStaffPageInBrowser(t *testing.T) {
	pdffixture.NeedFont(t)
	fx, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(t.TempDir(), "báo cáo sấy cá.pdf")
	if err := os.WriteFile(pdf, fx[0].PDF, 0o644); err != nil {
		t.Fatal(err)
	}
	e := staffServer(t)
	ctx := browsertest.Start(t)

	// Without a session the staff page sends the browser to the sign-in form, and back after it.
	browsertest.Navigate(t, ctx, e.ts.URL+"/can-bo")
	browsertest.WaitVisible(t, ctx, "#khoa")
	browsertest.SendKeys(t, ctx, "#khoa", e.staff)
	browsertest.ClickAndWait(t, ctx, ".signin button[type=submit]")
	if loc := browsertest.Location(t, ctx); loc != e.ts.URL+"/can-bo" {
		t.Fatalf("after sign-in the browser is at %s", loc)
	}
	// The script is running: it shows the drop zone, which the page hides without it.
	browsertest.WaitVisible(t, ctx, "#vung-tha")

	browsertest.SetUploadFiles(t, ctx, "#tep", pdf)
	browsertest.Click(t, ctx, "#tai-len button[type=submit]")
	browsertest.WaitFor(t, ctx, "the upload to be accepted",
		`[...document.querySelectorAll("#tien-do li")].some(li => li.textContent.includes("báo cáo sấy cá.pdf") && li.textContent.includes("đã nhận"))`)

	// Drag and drop: a file dropped on the zone is uploaded at once.
	browsertest.Eval[bool](t, ctx, `(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["Quy trình ủ phân hữu cơ từ vỏ cà phê."], "kéo thả.txt", {type: "text/plain"}));
		return document.getElementById("vung-tha").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
	})()`)

	// A record file dropped goes to the records API: imported at once, its counts and broken row shown
	// in its progress line, no job.
	browsertest.Eval[bool](t, ctx, `(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([`+"`"+staffRecordsCSV+"`"+`], "ket-qua.csv", {type: "text/csv"}));
		return document.getElementById("vung-tha").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
	})()`)
	browsertest.WaitFor(t, ctx, "the record file's import to be shown",
		`[...document.querySelectorAll("#tien-do li")].some(li => li.textContent.includes("ket-qua.csv") &&
			li.textContent.includes("đã nhập: 2 bản ghi (2 mới, 0 cập nhật, 0 không đổi), 1 bị loại, 0 cảnh báo") && li.textContent.includes("Dòng 3, lỗi"))`)

	// The table refreshes itself until both jobs are done.
	done := `(name) => [...document.querySelectorAll("#bang-cong-viec tr[data-job]")].some(tr =>
		tr.querySelector(".name").textContent === name && tr.querySelector(".state").textContent === "xong")`
	browsertest.WaitFor(t, ctx, "the PDF's job to say xong", "("+done+`)("báo cáo sấy cá.pdf")`)
	browsertest.WaitFor(t, ctx, "the dropped file's job to say xong", "("+done+`)("kéo thả.txt")`)
	if n := len(e.jobs.List(10)); n != 2 {
		t.Errorf("%d jobs, want 2", n)
	}

	// The dropped file's document deleted, the same file dropped again: the table the script draws says the
	// document stays deleted and how to restore it, not as an error.
	for _, j := range e.jobs.List(10) {
		if j.Name == "kéo thả.txt" && j.Outcome != nil {
			if code, b, _ := e.do(t, "DELETE", "/api/v1/results/"+j.Outcome.DocID, e.staff, "", nil); code != 204 {
				t.Fatalf("delete: %d %s", code, b)
			}
		}
	}
	browsertest.Eval[bool](t, ctx, `(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["Quy trình ủ phân hữu cơ từ vỏ cà phê."], "gửi lại.txt", {type: "text/plain"}));
		return document.getElementById("vung-tha").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
	})()`)
	browsertest.WaitFor(t, ctx, "the resent file's job to say its document stays deleted", `[...document.querySelectorAll("#bang-cong-viec tr[data-job]")].some(tr =>
		tr.querySelector(".name").textContent === "gửi lại.txt" && tr.querySelector(".state").textContent === "xong" &&
		tr.querySelector(".outcome .deleted").textContent.includes("Không đưa lại") && tr.querySelector(".error").textContent === "" &&
		!tr.querySelector(".outcome a"))`)

	// After the import, merge the index from the page; it reports the merge done after a reload.
	browsertest.ClickAndWait(t, ctx, "#gop-chi-muc button[type=submit]")
	if got := browsertest.Text(t, ctx, ".flash"); !strings.Contains(got, "Đã bắt đầu gộp chỉ mục") {
		t.Errorf("flash after starting the merge: %q", got)
	}
	browsertest.WaitFor(t, ctx, "the merge to be reported done", `(async () => {
		const html = await (await fetch("/can-bo")).text();
		return new DOMParser().parseFromString(html, "text/html").getElementById("trang-thai-gop").textContent.includes("xong lúc");
	})()`)

	// The metadata form, from the PDF's row.
	browsertest.Eval[bool](t, ctx, `(() => {
		const tr = [...document.querySelectorAll("#bang-cong-viec tr[data-job]")].find(tr => tr.querySelector(".name").textContent === "báo cáo sấy cá.pdf");
		tr.querySelector("a.edit").id = "sua-pdf";
		return true;
	})()`)
	browsertest.ClickAndWait(t, ctx, "#sua-pdf")
	browsertest.WaitVisible(t, ctx, "#f-title")
	const title = "Máy sấy cá cơm lai bơm nhiệt"
	browsertest.SetValue(t, ctx, "#f-title", title)
	browsertest.ClickAndWait(t, ctx, ".edit-form button[type=submit]")
	if loc := browsertest.Location(t, ctx); !strings.Contains(loc, "/ket-qua/") {
		t.Fatalf("after saving the browser is at %s", loc)
	}
	if got := browsertest.Text(t, ctx, "h1"); got != title {
		t.Errorf("result page title %q, want %q", got, title)
	}
	if ids := e.searchIDs(t, `"lai bơm nhiệt"`); len(ids) != 1 {
		t.Errorf("search for the new title: %v", ids)
	}

	// A phone's width: nothing wider than the screen.
	browsertest.Viewport(t, ctx, 375, 800)
	browsertest.Navigate(t, ctx, e.ts.URL+"/can-bo")
	browsertest.WaitVisible(t, ctx, "#bang-cong-viec")
	if !browsertest.Eval[bool](t, ctx, `document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Errorf("the staff page is wider than a phone: %v px", browsertest.Eval[float64](t, ctx, `document.documentElement.scrollWidth`))
	}
}
