package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"ketnoi/alerts"
	"ketnoi/corpus"
	"ketnoi/server"
)

func init() {
	register(&command{
		name:    "alerts",
		summary: "liệt kê cảnh báo của nhu cầu thường trực",
		usage:   "[--need MÃ] [--broker TÊN] [--size N] [--json] [--key KHOÁ]",
		help: `
In các cảnh báo mới nhất trước: nhu cầu thường trực nào, kết quả nghiên cứu nào vừa thêm hoặc sửa phù hợp
với nó, điểm, lời giải thích, và trạng thái gửi webhook. Một nhu cầu thành thường trực khi có
"standing": true (nhập bản ghi, hoặc PATCH /api/v1/needs/MÃ); nó được ghép lại mỗi khi kết quả thay đổi,
và kết quả mới có điểm từ ngưỡng trở lên (tệp alerts.json, mặc định 0,6) thành cảnh báo.
Khi máy chủ đang giữ thư mục dữ liệu, lệnh hỏi qua API của máy chủ, cần khoá API (--key hoặc KETNOI_KEY).`,
		run: runAlerts,
	})
	register(&command{
		name:    "feeds",
		summary: "cấp mã nguồn tin Atom của một nhu cầu hoặc một nhà môi giới",
		usage:   "token --need MÃ | token --broker TÊN [--key KHOÁ]",
		help: `
Nguồn tin Atom của cảnh báo được mở bằng một mã khó đoán trong địa chỉ (trình đọc tin không gửi được tiêu
đề): /feeds/needs/MÃ_NGUỒN_TIN.atom cho một nhu cầu, /feeds/brokers/MÃ_NGUỒN_TIN.atom cho mọi nhu cầu do
một nhà môi giới theo dõi (trường "broker" của nhu cầu). "feeds token" cấp mã mới và in ra một lần duy nhất
(kho chỉ giữ mã băm); mã cũ của cùng nguồn tin thôi dùng được ngay. Khi máy chủ đang chạy, lệnh đi qua API
của máy chủ với khoá cán bộ (--key hoặc KETNOI_KEY).`,
		run: runFeeds,
	})
}

// keyFlag is the API key for commands that go through a running server.
func keyFlag(fs *flag.FlagSet) *string {
	return fs.String("key", os.Getenv("KETNOI_KEY"), "khoá API khi máy chủ đang chạy (hoặc biến môi trường KETNOI_KEY)")
}

func runAlerts(e *env, args []string) error {
	c := find("alerts")
	fs, size, asJSON := sizeFlag(e, c)
	need := fs.String("need", "", "chỉ cảnh báo của nhu cầu này")
	broker := fs.String("broker", "", "chỉ cảnh báo của các nhu cầu do nhà môi giới này theo dõi")
	key := keyFlag(fs)
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"alerts không nhận đối số: " + pos[0]}
	}
	if *size < 1 || *size > server.MaxSize {
		return usageError{fmt.Sprintf("--size phải từ 1 đến %d", server.MaxSize)}
	}
	var body []byte
	st, err := openStore(e.data)
	var held *errHeld
	switch {
	case errors.As(err, &held) && held.url != "":
		q := url.Values{"size": {strconv.Itoa(*size)}}
		if *need != "" {
			q.Set("need", *need)
		}
		if *broker != "" {
			q.Set("broker", *broker)
		}
		if body, err = keyedCall(http.MethodGet, held.url+"api/v1/alerts?"+q.Encode(), *key); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		defer st.Close()
		list, err := st.Alerts(corpus.AlertQuery{Need: *need, Broker: normalBroker(*broker), Limit: *size})
		if err != nil {
			return err
		}
		views := make([]alerts.View, 0, len(list))
		for _, a := range list {
			rec, _ := st.Record(a.Need)
			n, _ := rec.(*corpus.Need)
			views = append(views, alerts.NewView(a, n, "/", alerts.ForKeys))
		}
		body, _ = json.Marshal(map[string]any{"alerts": views})
	}
	if *asJSON {
		return writeJSON(e.stdout, body)
	}
	var out struct{ Alerts []alerts.View }
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("đọc danh sách cảnh báo: %w", err)
	}
	if len(out.Alerts) == 0 {
		fmt.Fprintln(e.stdout, "Chưa có cảnh báo nào.")
		return nil
	}
	for _, a := range out.Alerts {
		fmt.Fprintf(e.stdout, "\n#%d  %s  nhu cầu %s ← kết quả %s  điểm %.3f  (%s)\n", a.Seq, listTime(a.Created),
			a.Need.ID, a.Result.ID, a.Score, deliveryText(a.Delivery))
		fmt.Fprintf(e.stdout, "    %s\n    → %s\n", a.Need.Title, a.Result.Title)
		for _, r := range a.Reasons {
			fmt.Fprintf(e.stdout, "    – %s\n", r)
		}
	}
	return nil
}

func deliveryText(s string) string {
	switch s {
	case corpus.DeliveryDelivered:
		return "đã gửi webhook"
	case corpus.DeliveryFailed:
		return "gửi webhook thất bại"
	}
	return "chờ gửi webhook"
}

func runFeeds(e *env, args []string) error {
	c := find("feeds")
	fs := newFlags(e, c)
	need := fs.String("need", "", "mã nhu cầu")
	broker := fs.String("broker", "", "tên nhà môi giới (như trường \"broker\" của nhu cầu)")
	key := keyFlag(fs)
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "token" {
		return usageError{"feeds cần lệnh con token; xem ketnoi feeds --help"}
	}
	kind, subject := corpus.FeedNeed, *need
	if (*need == "") == (*broker == "") {
		return usageError{"feeds token cần đúng một trong --need MÃ và --broker TÊN"}
	}
	if *broker != "" {
		var problem string
		if subject, problem = corpus.BrokerName(*broker); problem != "" {
			return usageError{problem}
		}
		kind = corpus.FeedBroker
	}
	var tok struct {
		Token, Path, URL string
	}
	st, err := openStore(e.data)
	var held *errHeld
	switch {
	case errors.As(err, &held) && held.url != "":
		path := "api/v1/needs/" + url.PathEscape(subject) + "/feed-token"
		if kind == corpus.FeedBroker {
			path = "api/v1/brokers/" + url.PathEscape(subject) + "/feed-token"
		}
		body, err := keyedCall(http.MethodPost, held.url+path, *key)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(body, &tok); err != nil {
			return fmt.Errorf("đọc trả lời của máy chủ: %w", err)
		}
	case err != nil:
		return err
	default:
		defer st.Close()
		token, _, err := st.IssueFeedToken(kind, subject)
		if errors.Is(err, corpus.ErrNotFound) {
			return fmt.Errorf("không có nhu cầu %q", subject)
		}
		if err != nil {
			return err
		}
		tok.Token, tok.Path = token, "/feeds/"+kind+"s/"+token+".atom"
	}
	fmt.Fprintf(e.stdout, "Mã nguồn tin (chỉ in một lần; mã cũ thôi dùng được): %s\n", tok.Token)
	if tok.URL != "" {
		fmt.Fprintf(e.stdout, "Địa chỉ: %s\n", tok.URL)
	} else {
		fmt.Fprintf(e.stdout, "Đường dẫn trên máy chủ: %s\n", tok.Path)
	}
	if kind == corpus.FeedBroker {
		warnUnknownBroker(e, subject)
	}
	return nil
}

// warnUnknownBroker says when no active broker key has the name: a typo would give an empty feed.
func warnUnknownBroker(e *env, name string) {
	keys, err := corpus.OpenKeyring(e.data).List()
	if err != nil {
		return
	}
	for _, k := range keys {
		if k.Active() && normalBroker(k.Name) == name {
			return
		}
	}
	fmt.Fprintf(e.stderr, "Lưu ý: không có khoá API đang dùng nào tên %q; nguồn tin chỉ có cảnh báo của nhu cầu có \"broker\": %q.\n", name, name)
}

// rematchStanding runs one re-match pass of the standing needs, at the end of an import.
func rematchStanding(ctx context.Context, e *env, d *data, weights string) error {
	cfg, err := alerts.LoadConfig(d.dir)
	if err != nil {
		return err
	}
	m, err := d.matcher(weights)
	if err != nil {
		return err
	}
	st, raised, err := (&alerts.Engine{Store: d.store, Index: d.idx, Matcher: m, Config: cfg}).Pass(ctx)
	if err != nil {
		return err
	}
	if st.Standing == 0 && st.Raised == 0 {
		return nil
	}
	fmt.Fprintf(e.stdout, "Nhu cầu thường trực: %d; %d được ghép với kết quả vừa đổi, %d (vừa đổi) được ghép lại toàn bộ; %d cảnh báo mới (%s).\n",
		st.Standing, st.Matched, st.Baseline, st.Raised, st.Took.Round(time.Millisecond))
	for _, a := range raised {
		fmt.Fprintf(e.stdout, "  CẢNH BÁO nhu cầu %s ← kết quả %s (điểm %.3f): %s\n", a.Need, a.Result, a.Score, a.ResultTitle)
	}
	return nil
}

// keyedCall calls a running server's API with a key, which these commands require.
func keyedCall(method, u, key string) ([]byte, error) {
	if key == "" {
		return nil, usageError{"máy chủ đang chạy: cần khoá API (--key KHOÁ hoặc biến môi trường KETNOI_KEY)"}
	}
	return apiCall(context.Background(), method, u, key, nil, httpClient.Timeout)
}

func normalBroker(s string) string {
	n, _ := corpus.BrokerName(strings.TrimSpace(s))
	return n
}
