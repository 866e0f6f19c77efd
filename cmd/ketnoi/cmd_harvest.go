package main

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/oai"
)

func init() {
	register(&command{
		name:    "harvest",
		summary: "thu thập kết quả từ một kho OAI-PMH khác (Dublin Core, kèm tệp toàn văn)",
		usage:   "[--set TẬP] [--from NGÀY] [--prefix oai_dc] [--restart] [--restore-deleted] [--no-files] [--file-host MÁY] [--allow-net MẠNG] URL_GỐC | --list",
		help: `
Thu thập (harvest) bản ghi từ một kho OAI-PMH 2.0 (DSpace của các trường, sàn công nghệ khác, hoặc một máy
chủ ketnoi khác ở /oai) vào kho dữ liệu, thành kết quả nghiên cứu: tiêu đề, tác giả, cơ quan, năm, từ khoá
và lĩnh vực, tóm tắt, liên kết; mỗi bản ghi giữ nguồn (source, source_id). Bản ghi kho nguồn báo đã xoá thì
bản sao ở đây bị xoá (và trở lại nếu kho gửi lại nó). Bản ghi cán bộ đã xoá ở đây không trở lại khi kho gửi
lại nó, kể cả khi kho đã sửa nó: được báo kèm lý do và đếm riêng; --restore-deleted đưa các bản ghi đó trở
lại (bản ghi không đổi ở kho chỉ được gửi lại khi thu thập lại với --restart hoặc --from). Tệp toàn văn mà bản ghi trỏ tới (PDF, DOCX, ODT: địa chỉ kết thúc bằng .pdf…, hoặc
liên kết kèm dc:format) được tải về (giới hạn cỡ và thời gian, kiểm tra đúng loại tệp) và lập chỉ mục như
ketnoi index, để tìm được cả trong văn bản; chỉ tải từ máy chủ của kho, hoặc máy được cho phép bằng
--file-host.
Mọi kết nối (tới kho, tải tệp, từng lần chuyển hướng) được kiểm tra theo địa chỉ IP thực sự kết nối,
không chỉ theo tên máy: địa chỉ không công khai (chính máy này, mạng riêng 10.x, 172.16–31.x, 192.168.x,
link-local như 169.254.169.254, multicast…) bị từ chối, kể cả khi một tên miền trỏ tới đó. Kho ở mạng nội
bộ thì cho phép mạng đó bằng --allow-net 10.0.0.0/8 (hoặc một địa chỉ, --allow-net 10.0.0.5); địa chỉ IP
ghi thẳng trong URL_GỐC hay --file-host (http://10.0.0.5/oai) được coi là đã cho phép.
Tăng dần: lần sau chỉ hỏi những gì thay đổi từ lần thu thập trước (nhớ theo từng kho và tập). Bị ngắt
(kể cả kill -9) thì chạy lại đúng lệnh: tiếp tục từ trang đã lưu, hoặc hỏi lại từ đầu đợt nếu kho không
nhận resumptionToken cũ nữa. Kho bận (503 + Retry-After) được hỏi lại sau thời gian nó yêu cầu.
Cuối lần chạy, các nhu cầu thường trực được ghép lại với kết quả vừa thu thập (như sau ketnoi index).
--list in các kho đã thu thập và mốc lần sau.
Mã thoát: 0 khi mọi bản ghi vào được; 1 khi có bản ghi bị loại, tệp toàn văn lỗi, hoặc lỗi khi ghép lại.`,
		run: runHarvest,
	})
}

func runHarvest(e *env, args []string) error {
	c := find("harvest")
	fs := newFlags(e, c)
	xf := addExtractFlags(fs) // first: it takes --timeout for the extraction of one file
	set := fs.String("set", "", "chỉ thu thập một tập (setSpec), ví dụ field:2")
	from := fs.String("from", "", "thu thập những gì thay đổi từ NGÀY (YYYY-MM-DD hoặc YYYY-MM-DDThh:mm:ssZ); mặc định: từ lần trước")
	prefix := fs.String("prefix", oai.PrefixDC, "định dạng siêu dữ liệu (chỉ oai_dc)")
	restart := fs.Bool("restart", false, "bỏ mốc lần trước và đợt dở dang: thu thập lại toàn bộ")
	restore := fs.Bool("restore-deleted", false, "đưa lại bản ghi cán bộ đã xoá khi kho gửi lại nó")
	noFiles := fs.Bool("no-files", false, "không tải tệp toàn văn")
	var hosts listFlag
	fs.Var(&hosts, "file-host", "máy chủ khác được phép tải tệp toàn văn (lặp lại được)")
	var allowNets listFlag
	fs.Var(&allowNets, "allow-net", "địa chỉ IP hoặc mạng CIDR không công khai được phép kết nối, ví dụ 10.0.0.0/8 (lặp lại được)")
	maxMB := fs.Int64("max-file-mb", 100, "cỡ tối đa một tệp toàn văn (MB)")
	reqTimeout := fs.Duration("request-timeout", 2*time.Minute, "thời gian tối đa cho một yêu cầu OAI-PMH")
	fileTimeout := fs.Duration("file-timeout", 5*time.Minute, "thời gian tối đa để tải một tệp toàn văn")
	retries := fs.Int("retries", 5, "số lần hỏi lại khi kho bận hoặc lỗi mạng")
	quiet := fs.Bool("quiet", false, "chỉ in tóm tắt, cảnh báo và lỗi")
	list := fs.Bool("list", false, "in các kho đã thu thập")
	weights := fs.String("weights", "", "tệp trọng số ghép nối cho nhu cầu thường trực (như serve)")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if *list {
		return listHarvests(e)
	}
	if len(pos) != 1 {
		return usageError{"cần đúng một địa chỉ gốc (base URL) của kho OAI-PMH, ví dụ https://kho.example.edu.vn/oai/request"}
	}
	base, err := harvestBaseURL(pos[0])
	if err != nil {
		return err
	}
	var nets []netip.Prefix
	for _, s := range allowNets {
		p, err := oai.ParseAllowNet(s)
		if err != nil {
			return usageError{"--allow-net: " + err.Error()}
		}
		nets = append(nets, p)
	}
	if *prefix != oai.PrefixDC {
		return usageError{fmt.Sprintf("--prefix %q: chỉ thu thập được oai_dc (Dublin Core)", *prefix)}
	}
	if *from != "" {
		if _, _, err := oai.ParseDatestamp(*from); err != nil {
			return usageError{"--from: " + err.Error()}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	d, err := openOrCreateData(ctx, e.data, nil)
	if err != nil {
		return err
	}
	defer d.close()
	// Whatever is harvested is the data directory's content: serve must not add the sample to it.
	if err := d.store.MarkSeeded("harvest"); err != nil {
		return err
	}
	say := func(msg string) {
		if strings.HasPrefix(msg, "CẢNH BÁO") || strings.HasPrefix(msg, "LỖI") {
			fmt.Fprintln(e.stderr, msg)
		} else if !*quiet {
			fmt.Fprintln(e.stdout, msg)
		}
	}
	client := &oai.Client{BaseURL: base, Timeout: *reqTimeout, MaxRetries: *retries, AllowNets: nets,
		Log: func(msg string) { fmt.Fprintln(e.stderr, "CHỜ "+msg) }}
	h := &oai.Harvester{Store: d.store, Index: d.idx, Client: client, Set: *set, Prefix: *prefix, From: *from,
		Restart: *restart, Restore: *restore, Log: say}
	if !*noFiles {
		x := xf.extractor()
		defer x.Close()
		h.Files = &oai.Fetcher{Client: client, Hosts: hosts, MaxBytes: *maxMB << 20, Timeout: *fileTimeout}
		h.Pipeline = &indexer.Pipeline{Store: d.store, Index: d.idx, Extractor: x, Workers: *xf.workers,
			OCRAvailable: x.OCRStatus() == nil}
		if h.FileDir, err = filepath.Abs(filepath.Join(e.data, "harvest")); err != nil {
			return err
		}
	}
	st, err := h.Run(ctx)
	alertsFailed := false
	if ctx.Err() == nil && st.Added+st.Updated+st.Deleted > 0 {
		// Harvested results are new results: standing needs are matched against them, as after index.
		if rerr := rematchStanding(ctx, e, d, *weights); rerr != nil {
			fmt.Fprintf(e.stderr, "LỖI ghép lại nhu cầu thường trực (lần chạy sau hoặc máy chủ sẽ làm lại): %v\n", rerr)
			alertsFailed = true
		}
	}
	fmt.Fprintf(e.stdout, "Thu thập %s%s: %d bản ghi trong %d trang; %d mới, %d cập nhật, %d không đổi, %d xoá%s; %d bị loại; %d tệp toàn văn, %d tệp lỗi.\n",
		base, setText(*set), st.Records, st.Pages, st.Added, st.Updated, st.Unchanged, st.Deleted, keptDeletedText(st.KeptDeleted), st.Rejected, st.Files, st.FilesFailed)
	if err != nil {
		return err
	}
	if st.Next != "" {
		fmt.Fprintf(e.stdout, "Lần sau thu thập những gì thay đổi từ %s. Xong trong %s.\n", datestampText(st.Next), time.Since(start).Round(time.Millisecond))
	}
	if st.Rejected > 0 || st.FilesFailed > 0 || alertsFailed {
		return exitError{1}
	}
	return nil
}

// datestampText is an OAI-PMH datestamp for people: as the protocol writes it (UTC, what --from takes),
// with the province's clock beside it when it has a time of day.
func datestampText(s string) string {
	t, days, err := oai.ParseDatestamp(s)
	if err != nil || days {
		return s
	}
	return s + " (" + listTime(t) + ")"
}

func setText(set string) string {
	if set == "" {
		return ""
	}
	return " (tập " + set + ")"
}

// harvestBaseURL checks a repository's base URL: absolute http(s), without a query (the harvester adds
// the protocol's arguments itself).
func harvestBaseURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageError{fmt.Sprintf("%q không phải địa chỉ http(s) của một kho OAI-PMH", s)}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", usageError{"địa chỉ gốc (base URL) của kho không kèm tham số (?verb=…): bỏ phần sau dấu ?"}
	}
	return u.String(), nil
}

func listHarvests(e *env) error {
	if needStore(e.data) != nil { // no data yet: nothing harvested, and nothing to create for saying so
		fmt.Fprintln(e.stdout, "Chưa thu thập từ kho nào.")
		return nil
	}
	st, err := openStore(e.data)
	if err != nil {
		return err
	}
	defer st.Close()
	n := 0
	err = st.HarvestStates(func(h corpus.HarvestState) error {
		n++
		next := datestampText(h.Last)
		if next == "" {
			next = "chưa xong lần nào"
		}
		extra := ""
		if h.Token != "" || len(h.Pending) > 0 {
			extra = " (có đợt dở dang: chạy lại lệnh để tiếp tục)"
		}
		fmt.Fprintf(e.stdout, "%s%s [%s]: lần sau từ %s%s\n", h.BaseURL, setText(h.Set), h.Prefix, next, extra)
		return nil
	})
	if err == nil && n == 0 {
		fmt.Fprintln(e.stdout, "Chưa thu thập từ kho nào.")
	}
	return err
}

// listFlag is a repeatable string flag; a value may also list several, separated by commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}
