package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
)

func init() {
	register(&command{
		name:    "reindex",
		summary: "xây lại chỉ mục từ kho dữ liệu",
		usage:   "[--data THƯ_MỤC]",
		help: `
Xây một chỉ mục mới từ toàn bộ kho dữ liệu ở thư mục bên cạnh, và chỉ chuyển sang dùng nó khi đã xây xong;
bị dừng giữa chừng thì chỉ mục cũ vẫn nguyên vẹn. Dùng sau khi đổi bộ phân tích hoặc khi chỉ mục hỏng.
Cần dừng máy chủ trước.`,
		run: runReindex,
	})
	register(&command{
		name:    "compact",
		summary: "gộp chỉ mục cho tìm kiếm nhanh hơn",
		usage:   "[--data THƯ_MỤC] | --server URL [--key KHOÁ]",
		help: `
Gộp các phần của chỉ mục (mỗi lần ghi tạo thêm một phần) thành ít phần nhất có thể và bỏ hẳn các tài liệu
đã xoá: tìm kiếm nhanh hơn, chỉ mục nhỏ hơn. Nên chạy sau một lần nạp lớn; reindex tự làm việc này. Bị dừng
giữa chừng thì chỉ mục vẫn nguyên vẹn.
Khi máy chủ đang giữ thư mục dữ liệu: --server URL nhờ máy chủ gộp ngay khi vẫn phục vụ tìm kiếm và ghi
(POST /api/v1/admin/compact, khoá cán bộ hoặc quản trị qua --key hay biến môi trường KETNOI_KEY), rồi chờ
đến khi xong.`,
		run: runCompact,
	})
	register(&command{
		name:    "stats",
		summary: "thống kê kho dữ liệu và chỉ mục",
		usage:   "[--json]",
		help: `
In số bản ghi theo loại, lĩnh vực và năm, số tài liệu và dung lượng chỉ mục.
Khi máy chủ đang chạy, lệnh hỏi qua API của máy chủ.`,
		run: runStats,
	})
}

func runReindex(e *env, args []string) error {
	c := find("reindex")
	fs := newFlags(e, c)
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"reindex không nhận đối số"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := openStore(e.data)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	n, err := indexer.Rebuild(ctx, e.data, st, openIndex, func(done int) {
		fmt.Fprintf(e.stderr, "\r%d bản ghi…", done)
	})
	fmt.Fprintln(e.stderr)
	if err != nil {
		return fmt.Errorf("xây lại chỉ mục (chỉ mục cũ vẫn được giữ): %w", err)
	}
	fmt.Fprintf(e.stdout, "Đã xây lại chỉ mục: %d bản ghi trong %s.\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

func runCompact(e *env, args []string) error {
	c := find("compact")
	fs := newFlags(e, c)
	serverURL := fs.String("server", "", "nhờ máy chủ ketnoi đang chạy (URL) gộp chỉ mục của nó")
	key := fs.String("key", os.Getenv("KETNOI_KEY"), "khoá API cán bộ hoặc quản trị cho --server (hoặc biến môi trường KETNOI_KEY)")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"compact không nhận đối số"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *serverURL != "" {
		if *key == "" {
			return usageError{"--server cần khoá API cán bộ hoặc quản trị: --key KHOÁ hoặc biến môi trường KETNOI_KEY"}
		}
		return compactRemote(ctx, e, strings.TrimRight(*serverURL, "/"), *key)
	}
	d, err := openData(ctx, e.data, nil)
	var held *errHeld
	if errors.As(err, &held) && held.url != "" {
		return fmt.Errorf("%w\nĐể máy chủ đó tự gộp trong khi vẫn chạy: ketnoi compact --server %s --key KHOÁ", err, held.url)
	}
	if err != nil {
		return err
	}
	defer d.close()
	cp, ok := indexer.CompacterOf(d.idx)
	if !ok {
		return fmt.Errorf("chỉ mục này không gộp được")
	}
	before, berr := d.idx.DiskSize()
	start := time.Now()
	if err := cp.Compact(ctx); err != nil {
		return fmt.Errorf("gộp chỉ mục (chỉ mục cũ vẫn dùng được): %w", err)
	}
	after, aerr := d.idx.DiskSize()
	msg := fmt.Sprintf("Đã gộp chỉ mục trong %s", time.Since(start).Round(time.Millisecond))
	if berr == nil && aerr == nil {
		msg += fmt.Sprintf(": %.1f MB → %.1f MB", float64(before)/1e6, float64(after)/1e6)
	}
	fmt.Fprintln(e.stdout, msg+".")
	return nil
}

func runStats(e *env, args []string) error {
	c := find("stats")
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, "in JSON")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"stats không nhận đối số"}
	}
	var s indexer.Stats
	d, err := openData(context.Background(), e.data, nil)
	var held *errHeld
	switch {
	case errors.As(err, &held) && held.url != "":
		body, err := httpGet(held.url + "api/v1/stats")
		if err != nil {
			return err
		}
		if err := json.Unmarshal(body, &s); err != nil {
			return fmt.Errorf("đọc thống kê từ máy chủ: %w", err)
		}
	case err != nil:
		return err
	default:
		defer d.close()
		st, err := indexer.CollectStats(d.store, d.idx)
		if err != nil {
			return err
		}
		s = *st
	}
	if *asJSON {
		b, _ := json.MarshalIndent(s, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	w := e.stdout
	fmt.Fprintf(w, "Kết quả nghiên cứu: %d\nNhu cầu công nghệ:  %d\n", s.Records[corpus.KindResult], s.Records[corpus.KindNeed])
	fmt.Fprintf(w, "Chỉ mục: %d tài liệu, %.1f MB%s; kho: %.1f MB\n", s.IndexDocs, float64(s.IndexBytes)/1e6, parts(s.IndexSegments), float64(s.StoreBytes)/1e6)
	if s.IndexSeq != s.StoreSeq {
		fmt.Fprintf(w, "Chỉ mục đang đuổi theo kho: %d/%d thay đổi\n", s.IndexSeq, s.StoreSeq)
	}
	if s.IndexOutdated != "" {
		fmt.Fprintf(w, "Lưu ý: %s.\n", s.IndexOutdated)
	}
	fmt.Fprintln(w, "\nKết quả theo lĩnh vực:")
	for _, k := range sortedKeys(s.ByField) {
		fmt.Fprintf(w, "  %-40s %5d\n", corpus.Fields.Label(k), s.ByField[k])
	}
	if s.WithoutField > 0 {
		fmt.Fprintf(w, "  %-40s %5d\n", "(chưa ghi lĩnh vực)", s.WithoutField)
	}
	fmt.Fprintln(w, "\nKết quả theo năm:")
	for _, k := range sortedKeys(s.ByYear) {
		fmt.Fprintf(w, "  %s  %5d\n", k, s.ByYear[k])
	}
	if s.WithoutYear > 0 {
		fmt.Fprintf(w, "  %s  %5d\n", "(chưa ghi năm)", s.WithoutYear)
	}
	if len(s.ByOrg) > 0 {
		fmt.Fprintln(w, "\nKết quả theo cơ quan (10 nhiều nhất):")
		orgs := sortedKeys(s.ByOrg)
		sort.SliceStable(orgs, func(i, j int) bool { return s.ByOrg[orgs[i]] > s.ByOrg[orgs[j]] })
		for _, k := range orgs[:min(10, len(orgs))] {
			fmt.Fprintf(w, "  %-50s %5d\n", k, s.ByOrg[k])
		}
	}
	if s.FilesSeen > 0 || s.FromFiles > 0 {
		pages := 0
		for _, v := range s.PagesByRung {
			pages += v
		}
		fmt.Fprintf(w, "\nTệp đã xem: %d; tài liệu trích từ tệp: %d (%d trang)\n", s.FilesSeen, s.FromFiles, pages)
		for _, k := range sortedKeys(s.PagesByRung) {
			fmt.Fprintf(w, "  trang theo bậc %-10s %6d (%.1f%%)\n", k, s.PagesByRung[k], 100*float64(s.PagesByRung[k])/float64(max(pages, 1)))
		}
		if s.FromFiles > 0 {
			fmt.Fprintf(w, "  tài liệu có trang OCR: %d (%.1f%%); cần OCR: %d\n", s.OCRDocuments, 100*float64(s.OCRDocuments)/float64(s.FromFiles), s.NeedsOCR)
		}
		if len(s.FailedByCause) > 0 {
			fmt.Fprintln(w, "Tệp lỗi theo lý do:")
			for _, k := range sortedKeys(s.FailedByCause) {
				fmt.Fprintf(w, "  %-12s %-45s %5d\n", k, extract.Reason(k).Label(), s.FailedByCause[k])
			}
			for _, f := range s.Failed {
				fmt.Fprintf(w, "  - %s: [%s] %s\n", f.Path, f.Reason, f.Message)
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
