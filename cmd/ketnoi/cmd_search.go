package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"ketnoi/server"
)

func init() {
	register(&command{
		name:    "search",
		summary: "tìm kết quả nghiên cứu",
		usage:   "[--size N] [--json] CÂU_TÌM_KIẾM...",
		help: `
Tìm trong chỉ mục như ô tìm kiếm của trang web: gõ có dấu hoặc không dấu; "cụm từ trong ngoặc kép" phải
khớp nguyên cụm (trong câu từ 8 từ trở lên ngoài ngoặc kép, như đoạn văn dán vào, cụm chỉ nâng hạng); -từ
loại bỏ kết quả chứa từ đó; tác_giả:, cơ_quan:, năm:2015..2020 lọc theo trường.
Khi máy chủ đang giữ thư mục dữ liệu, lệnh hỏi qua API của máy chủ.`,
		run: runSearch,
	})
	register(&command{
		name:    "match",
		summary: "ghép một nhu cầu công nghệ với các kết quả nghiên cứu",
		usage:   "[--size N] [--json] [--weights TỆP] NHU_CẦU.json | --all [--size N] [--csv TỆP] [--html TỆP] [--min-score X] [--confidential]",
		help: `
Đọc một bản ghi nhu cầu (JSON, xem docs/records.md; "-" là đầu vào chuẩn) và in các kết quả nghiên cứu
phù hợp nhất, mỗi kết quả kèm điểm, các thành phần điểm, lời giải thích và quyết định gần nhất của nhà
môi giới về cặp đó (khi nhu cầu có mã trong kho).

--all ghép mọi nhu cầu đang mở trong kho (bỏ qua nhu cầu đã đóng hoặc đã quá hạn), song song trên mọi
lõi, rồi ghi --csv (UTF-8 có BOM, mở thẳng bằng Excel: mỗi dòng một cặp nhu cầu × kết quả) và --html
(báo cáo in được cho hội chợ kết nối cung – cầu, mỗi nhu cầu một trang). Nhu cầu ẩn danh không hiện tên
doanh nghiệp; nhu cầu chỉ dành cho môi giới chỉ được đưa vào với --confidential.
Khi máy chủ đang giữ thư mục dữ liệu, lệnh hỏi qua API và cần khoá môi giới hoặc cán bộ (--key hoặc
KETNOI_KEY).`,
		run: runMatch,
	})
}

// Hit and match shapes as the API sends them; the CLI prints from these, local or remote alike.
type searchOut struct {
	Total   uint64   `json:"total"`
	TookMS  float64  `json:"took_ms"`
	Relaxed []string `json:"relaxed_phrases"`
	// Suggestion is the query with its misspelt words corrected.
	Suggestion *struct {
		Q string `json:"q"`
	} `json:"suggestion"`
	Hits []struct {
		ID           string  `json:"id"`
		Score        float64 `json:"score"`
		Title        string  `json:"title"`
		Organization string  `json:"organization"`
		Year         int     `json:"year"`
		TRL          int     `json:"trl"`
		Snippet      string  `json:"snippet"`
		Page         int     `json:"page"`
	} `json:"hits"`
}

type matchOut struct {
	Matches []struct {
		ID           string               `json:"id"`
		Score        float64              `json:"score"`
		Title        string               `json:"title"`
		Organization string               `json:"organization"`
		Year         int                  `json:"year"`
		TRL          int                  `json:"trl"`
		Components   map[string]float64   `json:"components"`
		Reasons      []string             `json:"reasons"`
		Feedback     *server.FeedbackJSON `json:"feedback"`
	} `json:"matches"`
	Note *struct {
		Message string `json:"message"`
	} `json:"note"`
}

func sizeFlag(e *env, c *command) (*flag.FlagSet, *int, *bool) {
	fs := newFlags(e, c)
	size := fs.Int("size", 10, "số kết quả (1–100)")
	asJSON := fs.Bool("json", false, "in JSON giống API")
	return fs, size, asJSON
}

func runSearch(e *env, args []string) error {
	c := find("search")
	fs, size, asJSON := sizeFlag(e, c)
	pos, err := parse(e, c, fs, excludedWords(fs, args))
	if err != nil {
		return err
	}
	if *size < 1 || *size > server.MaxSize {
		return usageError{fmt.Sprintf("--size phải từ 1 đến %d", server.MaxSize)}
	}
	q := strings.Join(pos, " ")
	ctx := context.Background()
	var body []byte
	d, err := openData(ctx, e.data, nil)
	var held *errHeld
	switch {
	case errors.As(err, &held) && held.url != "":
		body, err = httpGet(held.url + "api/v1/search?" + url.Values{"q": {q}, "size": {strconv.Itoa(*size)}}.Encode())
		if err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		defer d.close()
		out, err := server.SearchAPI(ctx, d.idx, q, *size)
		var ae *server.APIError
		if errors.As(err, &ae) {
			return errors.New(ae.Message)
		}
		if err != nil {
			return err
		}
		body, _ = json.Marshal(out)
	}
	if *asJSON {
		return writeJSON(e.stdout, body)
	}
	var out searchOut
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("đọc kết quả: %w", err)
	}
	if out.Suggestion != nil {
		fmt.Fprintf(e.stdout, "Có phải bạn muốn tìm: «%s»?\n", out.Suggestion.Q)
	}
	if q == "" {
		fmt.Fprintf(e.stdout, "%d kết quả nghiên cứu (%.0f ms)\n", out.Total, out.TookMS)
	} else {
		fmt.Fprintf(e.stdout, "Tìm thấy %d kết quả cho «%s» (%.0f ms)\n", out.Total, q, out.TookMS)
	}
	for _, p := range out.Relaxed {
		fmt.Fprintf(e.stdout, "Không có kết quả chứa đúng cụm từ “%s”: đây là kết quả chứa những từ của cụm.\n", p)
	}
	tty := isTerminal(e.stdout)
	for i, h := range out.Hits {
		fmt.Fprintf(e.stdout, "\n%2d. %s  [%s]\n", i+1, h.Title, h.ID)
		meta := []string{}
		for _, s := range []string{h.Organization, yearText(h.Year), trlText(h.TRL), pageText(h.Page), fmt.Sprintf("điểm %.2f", h.Score)} {
			if s != "" {
				meta = append(meta, s)
			}
		}
		fmt.Fprintf(e.stdout, "    %s\n", strings.Join(meta, " · "))
		if h.Snippet != "" {
			fmt.Fprintf(e.stdout, "    %s\n", terminalFragment(h.Snippet, tty))
		}
	}
	return nil
}

// excludedWords reorders search's arguments so that a query word after "-" ("máy sấy -điện": exclude
// "điện") stays a word of the query rather than an unknown flag: the flags and their values first, then
// "--" and the words in their order. An argument with one dash that names none of the command's flags is
// such a word; "--" before a name is always a flag, so that a mistyped long flag is still reported.
func excludedWords(fs *flag.FlagSet, args []string) []string {
	var flags, words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			words = append(words, args[i+1:]...)
			break
		}
		name, ok := flagName(a)
		if !ok {
			words = append(words, a)
			continue
		}
		name, _, hasValue := strings.Cut(name, "=")
		if fs.Lookup(name) == nil && name != "h" && name != "help" && !strings.HasPrefix(a, "--") {
			words = append(words, a)
			continue
		}
		flags = append(flags, a)
		if !hasValue && i+1 < len(args) && isFlagValue(fs, args, i+1) {
			i++
			flags = append(flags, args[i])
		}
	}
	return append(append(flags, "--"), words...)
}

func runMatch(e *env, args []string) error {
	c := find("match")
	fs, size, asJSON := sizeFlag(e, c)
	weights := fs.String("weights", "", "tệp trọng số ghép nối (JSON)")
	all := fs.Bool("all", false, "ghép mọi nhu cầu đang mở trong kho")
	csvPath := fs.String("csv", "", "với --all: ghi bảng CSV ra TỆP")
	htmlPath := fs.String("html", "", "với --all: ghi báo cáo HTML in được ra TỆP")
	minScore := fs.Float64("min-score", 0, "với --all: bỏ các đề xuất có điểm thấp hơn X (0–1)")
	confidential := fs.Bool("confidential", false, "với --all: đưa cả nhu cầu chỉ dành cho môi giới")
	key := fs.String("key", os.Getenv("KETNOI_KEY"), "khoá API môi giới hoặc cán bộ khi đi qua máy chủ (hoặc biến môi trường KETNOI_KEY)")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if *all {
		if len(pos) > 0 {
			return usageError{"--all không nhận tệp nhu cầu: nó ghép mọi nhu cầu đang mở trong kho"}
		}
		return runMatchAll(e, matchAllOptions{size: *size, minScore: *minScore, confidential: *confidential,
			csv: *csvPath, html: *htmlPath, json: *asJSON, weights: *weights, key: *key})
	}
	if *csvPath != "" || *htmlPath != "" || *minScore != 0 || *confidential {
		return usageError{"--csv, --html, --min-score và --confidential chỉ dùng với --all"}
	}
	if len(pos) != 1 {
		return usageError{"cần đúng một tệp nhu cầu (JSON), hoặc - để đọc từ đầu vào chuẩn"}
	}
	if *size < 1 || *size > server.MaxSize {
		return usageError{fmt.Sprintf("--size phải từ 1 đến %d", server.MaxSize)}
	}
	var raw []byte
	if pos[0] == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	} else {
		raw, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return fmt.Errorf("đọc nhu cầu: %w", err)
	}
	// A JSON file saved by Windows Notepad starts with a byte order mark, which ketnoi index accepts too.
	raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
	need, err := server.DecodeNeed(raw)
	if err != nil {
		var ae *server.APIError
		if errors.As(err, &ae) {
			return fmt.Errorf("%s: %s", pos[0], ae.Message)
		}
		return err
	}
	ctx := context.Background()
	var body []byte
	d, err := openData(ctx, e.data, nil)
	var held *errHeld
	switch {
	case errors.As(err, &held) && held.url != "":
		// With a key the server adds the brokers' decisions on each pair.
		body, err = apiCall(ctx, http.MethodPost, held.url+"api/v1/match?size="+strconv.Itoa(*size), *key, raw, httpClient.Timeout)
		if err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		defer d.close()
		m, err := d.matcher(*weights)
		if err != nil {
			return err
		}
		start := time.Now()
		ms, plan, err := m.MatchPlan(ctx, need, *size)
		if err != nil {
			return err
		}
		latest, err := d.store.LatestFeedback(need.ID)
		if err != nil {
			return err
		}
		body, _ = json.Marshal(server.MatchFeedbackJSON(ms, &plan, float64(time.Since(start).Microseconds())/1000, latest))
	}
	if *asJSON {
		return writeJSON(e.stdout, body)
	}
	var out matchOut
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("đọc kết quả: %w", err)
	}
	fmt.Fprintf(e.stdout, "Nhu cầu: %s\n%d kết quả phù hợp\n", need.Title, len(out.Matches))
	if out.Note != nil {
		fmt.Fprintln(e.stdout, out.Note.Message)
	}
	for i, m := range out.Matches {
		fmt.Fprintf(e.stdout, "\n%2d. %s  [%s]\n    điểm %.3f", i+1, m.Title, m.ID, m.Score)
		for _, s := range []string{m.Organization, yearText(m.Year), trlText(m.TRL)} {
			if s != "" {
				fmt.Fprintf(e.stdout, " · %s", s)
			}
		}
		fmt.Fprintln(e.stdout)
		for _, r := range m.Reasons {
			fmt.Fprintf(e.stdout, "    – %s\n", r)
		}
		if m.Feedback != nil {
			fmt.Fprintf(e.stdout, "    ⇒ %s\n", server.FeedbackText(m.Feedback))
		}
	}
	return nil
}

func writeJSON(w io.Writer, body []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func httpGet(u string) ([]byte, error) {
	resp, err := httpClient.Get(u)
	if err != nil {
		return nil, fmt.Errorf("gọi máy chủ: %w", err)
	}
	return readAPI(resp)
}

func readAPI(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("đọc trả lời của máy chủ: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var ae server.APIError
		if json.Unmarshal(b, &ae) == nil && ae.Message != "" {
			return nil, fmt.Errorf("máy chủ trả lời %d: %s", resp.StatusCode, ae.Message)
		}
		return nil, fmt.Errorf("máy chủ trả lời %d", resp.StatusCode)
	}
	return b, nil
}

// terminalFragment turns a highlighted HTML fragment into terminal text: bold marks on a terminal,
// «guillemets» elsewhere.
func terminalFragment(s string, tty bool) string {
	open, close := "«", "»"
	if tty {
		open, close = "\x1b[1m", "\x1b[0m"
	}
	s = strings.NewReplacer("<mark>", open, "</mark>", close).Replace(s)
	return html.UnescapeString(s)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func yearText(y int) string {
	if y == 0 {
		return ""
	}
	return strconv.Itoa(y)
}

func trlText(t int) string {
	if t == 0 {
		return ""
	}
	return "TRL " + strconv.Itoa(t)
}

func pageText(p int) string {
	if p == 0 {
		return ""
	}
	return "trang " + strconv.Itoa(p)
}
