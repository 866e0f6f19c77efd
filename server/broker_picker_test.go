package server

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
)

var (
	pickerGroup  = regexp.MustCompile(`(?s)<optgroup label="([^"]*)"[^>]*>(.*?)</optgroup>`)
	pickerOption = regexp.MustCompile(`<option value="([^"]+)"( selected)?>([^<]*)</option>`)
)

// pickedNeed is one need of the broker page's picker, as the page lists it.
type pickedNeed struct {
	group, id, text string
	selected        bool
}

func needPicker(body string) []pickedNeed {
	var out []pickedNeed
	for _, g := range pickerGroup.FindAllStringSubmatch(body, -1) {
		for _, o := range pickerOption.FindAllStringSubmatch(g[2], -1) {
			out = append(out, pickedNeed{group: g[1], id: o[1], selected: o[2] != "", text: o[3]})
		}
	}
	return out
}

// TestBrokerPickerStates: brokers match needs still sought. The broker page's need picker lists the open
// ones (published, matched) and by default no closed or expired one; asked to, it lists those after the
// open ones, grouped and labelled with their state. A closed need picked by its id (an old link) is still
// listed, selected, and the page says it is no longer sought.
func TestBrokerPickerStates(t *testing.T) {
	day := func(d int) string { return time.Now().In(corpus.Vietnam).AddDate(0, 0, d).Format("2006-01-02") }
	need := func(id, deadline string) *corpus.Need {
		return &corpus.Need{ID: id, Kind: corpus.KindNeed, Title: "Cần công nghệ sao chè xanh Vĩnh Thạnh " + id,
			Deadline: deadline, Confidentiality: corpus.ConfBrokerOnly}
	}
	ts, st, key := brokerStoreServer(t, need("nc-che-mo", day(90)), need("nc-che-ghep", ""),
		need("nc-che-dong", day(90)), need("nc-che-het", day(-3)))
	for id, state := range map[string]string{"nc-che-ghep": corpus.NeedMatched, "nc-che-dong": corpus.NeedClosed} {
		if err := st.SetNeedState(id, state, corpus.ActorSystem, "kiểm thử"); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, ts.URL)
	b.signIn(key, "")
	ours := func(ns []pickedNeed) []pickedNeed {
		return slices.DeleteFunc(ns, func(n pickedNeed) bool { return !strings.HasPrefix(n.id, "nc-che-") })
	}
	filter := "loc=" + url.QueryEscape("sao chè xanh Vĩnh Thạnh")

	for _, tc := range []struct {
		name, query string
		want        []pickedNeed // our needs, by group in the order of the page
		ended       bool         // the page says the picked need is no longer sought
	}{
		{"open only by default", filter, []pickedNeed{
			{"Đang mở", "nc-che-ghep", "", false}, {"Đang mở", "nc-che-mo", "", false}}, false},
		{"closed and expired on asking, after the open ones", filter + "&da-dong=1", []pickedNeed{
			{"Đang mở", "nc-che-ghep", "", false}, {"Đang mở", "nc-che-mo", "", false},
			{"Đã đóng", "nc-che-dong", " — Đã đóng", false}, {"Đã hết hạn", "nc-che-het", " — Đã hết hạn", false}}, false},
		{"a closed need picked by its id", filter + "&nhu-cau=nc-che-dong", []pickedNeed{
			{"Đang mở", "nc-che-ghep", "", false}, {"Đang mở", "nc-che-mo", "", false},
			{"Đã đóng", "nc-che-dong", " — Đã đóng", true}}, true},
		{"an expired need picked, not among the filtered", "loc=" + url.QueryEscape("không có nhu cầu nào như thế") + "&nhu-cau=nc-che-het",
			[]pickedNeed{{"Đã hết hạn", "nc-che-het", " — Đã hết hạn", true}}, true},
		{"an open need picked", filter + "&nhu-cau=nc-che-mo", []pickedNeed{
			{"Đang mở", "nc-che-ghep", "", false}, {"Đang mở", "nc-che-mo", "", true}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.get(brokerPath + "?" + tc.query)
			if p.code != http.StatusOK {
				t.Fatalf("%d %s", p.code, p.body)
			}
			got := ours(needPicker(p.body))
			// The groups come in this order; within one, the filter's ranking orders the needs.
			order := []string{"Đang mở", "Đã đóng", "Đã hết hạn"}
			rank := func(n pickedNeed) int { return slices.Index(order, n.group) }
			for i := 1; i < len(got); i++ {
				if rank(got[i]) < rank(got[i-1]) {
					t.Errorf("%s (%s) listed after %s (%s)", got[i].id, got[i].group, got[i-1].id, got[i-1].group)
				}
			}
			byGroup := func(a, b pickedNeed) int {
				if d := rank(a) - rank(b); d != 0 {
					return d
				}
				return strings.Compare(a.id, b.id)
			}
			slices.SortStableFunc(got, byGroup)
			var want []pickedNeed
			for _, w := range tc.want {
				w.text = "Cần công nghệ sao chè xanh Vĩnh Thạnh " + w.id + " (" + w.id + ")" + w.text
				want = append(want, w)
			}
			if !slices.Equal(got, want) {
				t.Errorf("picker lists\n%v\nwant\n%v", got, want)
			}
			if ended := strings.Contains(p.body, `<p class="ended"`); ended != tc.ended {
				t.Errorf("notice that the need is no longer sought: %v, want %v", ended, tc.ended)
			}
			if checked := strings.Contains(p.body, `name="da-dong" value="1" checked`); checked != strings.Contains(tc.query, "da-dong=1") {
				t.Errorf("the box to show closed needs is checked: %v", checked)
			}
		})
	}

	// The whole sample: by default the picker lists exactly the needs still sought.
	states, err := st.NeedStates(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var open, listed []string
	for id, s := range states {
		if corpus.NeedOpen(s) {
			open = append(open, id)
		}
	}
	if len(open) == len(states) || len(open) > MaxSize {
		t.Fatalf("%d of %d needs open: the sample no longer tests the picker", len(open), len(states))
	}
	for _, n := range needPicker(b.get(brokerPath).body) {
		if n.group != "Đang mở" {
			t.Errorf("%s listed under %q", n.id, n.group)
		}
		listed = append(listed, n.id)
	}
	slices.Sort(open)
	slices.Sort(listed)
	if !slices.Equal(listed, open) {
		t.Errorf("the picker lists %d needs, %d are open:\n%v\n%v", len(listed), len(open), listed, open)
	}
}

// TestBrokerPickerManyOpenNeeds: with more open needs than the picker lists, it lists MaxSize of them, and
// ticking the box still shows the closed ones, even when they rank below every open one.
func TestBrokerPickerManyOpenNeeds(t *testing.T) {
	var recs []corpus.Record
	for i := range MaxSize + 20 {
		id := fmt.Sprintf("nc-dieu-%03d", i)
		recs = append(recs, &corpus.Need{ID: id, Kind: corpus.KindNeed, Title: "Cần máy tách vỏ hạt điều Phù Mỹ " + id,
			Confidentiality: corpus.ConfBrokerOnly})
	}
	// A longer title: it ranks below every open need.
	recs = append(recs, &corpus.Need{ID: "nc-dieu-dong", Kind: corpus.KindNeed,
		Title:           "Cần máy tách vỏ hạt điều Phù Mỹ cho hợp tác xã chế biến nông sản xuất khẩu quy mô vừa và nhỏ ở vùng trung du",
		Confidentiality: corpus.ConfBrokerOnly})
	ts, st, key := brokerStoreServer(t, recs...)
	if err := st.SetNeedState("nc-dieu-dong", corpus.NeedClosed, corpus.ActorSystem, "kiểm thử"); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, ts.URL)
	b.signIn(key, "")
	filter := "loc=" + url.QueryEscape("máy tách vỏ hạt điều Phù Mỹ")
	for _, tc := range []struct {
		query  string
		closed bool
	}{{filter, false}, {filter + "&da-dong=1", true}} {
		open, closed := 0, false
		for _, n := range needPicker(b.get(brokerPath + "?" + tc.query).body) {
			switch {
			case n.id == "nc-dieu-dong":
				closed = true
			case strings.HasPrefix(n.id, "nc-dieu-"):
				open++
			}
		}
		if open != MaxSize || closed != tc.closed {
			t.Errorf("%s: %d open needs listed, the closed one %v; want %d, %v", tc.query, open, closed, MaxSize, tc.closed)
		}
	}
}
