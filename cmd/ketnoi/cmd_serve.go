package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/server"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "chạy trang web và API tìm kiếm, ghép nối",
		usage:   "[--addr 127.0.0.1:8080] [--weights TỆP]",
		help: `
Mở thư mục dữ liệu, xây chỉ mục nếu cần, rồi phục vụ trang web và API JSON.
Thư mục dữ liệu trống được nạp sẵn bộ dữ liệu mẫu (kết quả nghiên cứu và nhu cầu công nghệ của tỉnh).
Dừng bằng Ctrl+C hoặc SIGTERM: máy chủ trả lời hết các yêu cầu đang chạy rồi mới đóng chỉ mục.`,
		run: runServe,
	})
}

func runServe(e *env, args []string) error {
	c := find("serve")
	fs := newFlags(e, c)
	addr := fs.String("addr", "127.0.0.1:8080", "địa chỉ lắng nghe")
	weights := fs.String("weights", "", "tệp trọng số ghép nối (JSON); mặc định: trọng số có sẵn")
	logJSON := fs.Bool("log-json", false, "ghi nhật ký dạng JSON")
	timeout := fs.Duration("timeout", 10*time.Second, "thời gian tối đa cho một yêu cầu")
	uploadMB := fs.Int64("upload-mb", 512, "cỡ tối đa của một tệp tải lên (MB)")
	queue := fs.Int("queue", 64, "số tệp tải lên tối đa chờ xử lý (đầy thì trả lời 503, thử lại sau)")
	xf := addExtractFlags(fs)
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"serve không nhận đối số: " + pos[0]}
	}
	var h slog.Handler = slog.NewTextHandler(e.stderr, nil)
	if *logJSON {
		h = slog.NewJSONHandler(e.stderr, nil)
	}
	log := slog.New(h)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	fmt.Fprintf(e.stderr, "Đang mở thư mục dữ liệu %s …\n", e.data)
	d, err := openData(ctx, e.data, nil)
	if err != nil {
		return err
	}
	defer d.close()
	n, err := d.seed(ctx)
	if err != nil {
		return fmt.Errorf("nạp dữ liệu mẫu: %w", err)
	}
	if n > 0 {
		fmt.Fprintf(e.stderr, "Đã nạp %d bản ghi mẫu và xây chỉ mục trong %s.\n", n, time.Since(start).Round(time.Millisecond))
	}
	m, err := d.matcher(*weights)
	if err != nil {
		return err
	}
	cfg := server.DefaultConfig()
	cfg.RequestTimeout = *timeout
	cfg.Keys = corpus.OpenKeyring(e.data)
	srv := server.New(cfg, d.idx, d.store, m, log)
	// Uploads go through the same pipeline as `ketnoi index`, in worker processes.
	x := xf.extractor()
	defer x.Close()
	p := &indexer.Pipeline{Store: d.store, Index: d.idx, Extractor: x, Workers: *xf.workers,
		OCRAvailable: x.OCRStatus() == nil, WriteLock: srv.WriteLock(), BatchDocs: 1}
	jobs, err := indexer.NewJobs(p, filepath.Join(e.data, "uploads"), *queue)
	if err != nil {
		return fmt.Errorf("mở hàng đợi tải lên: %w", err)
	}
	srv.WithUploads(jobs, *uploadMB<<20)
	jobCtx, stopJobs := context.WithCancel(context.Background())
	jobsDone := make(chan struct{})
	go func() { jobs.Run(jobCtx); close(jobsDone) }()
	// Stop the job runner before the data directory closes (deferred calls run last-in first-out).
	defer func() { stopJobs(); <-jobsDone }()
	urlFile := filepath.Join(e.data, serverURLFile)
	defer os.Remove(urlFile)
	return srv.Run(ctx, *addr, func(url string) {
		_ = corpus.WriteFileAtomic(urlFile, []byte(url+"\n"))
		docs, _ := d.idx.Count()
		fmt.Fprintf(e.stdout, "ketnoi đang chạy tại %s (%d tài liệu). Dừng: Ctrl+C\n", url, docs)
	})
}
