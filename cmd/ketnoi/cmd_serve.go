package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"ketnoi/alerts"
	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/server"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "chạy trang web và API tìm kiếm, ghép nối",
		usage:   "[--addr 127.0.0.1:8080] [--weights TỆP] [--public-url URL] [--webhook URL] [--oai-email THƯ] [--trusted-proxies MẠNG,...] [--rate-read N] [--log-format json] ...",
		help: `
Mở thư mục dữ liệu, xây chỉ mục nếu cần, rồi phục vụ trang web và API JSON.
Thư mục dữ liệu trống được nạp sẵn bộ dữ liệu mẫu (kết quả nghiên cứu và nhu cầu công nghệ của tỉnh).
Mỗi khi kết quả được thêm, sửa hay xoá, các nhu cầu thường trực được ghép lại ở nền; kết quả mới phù hợp
thành cảnh báo (nguồn tin Atom, và webhook nếu có --webhook; khoá ký HMAC lấy từ biến môi trường
KETNOI_WEBHOOK_SECRET hoặc tệp --webhook-secret-file). Cài đặt cảnh báo: tệp alerts.json trong thư mục dữ liệu.
Kết quả nghiên cứu được công bố cho các kho, sàn khác thu thập qua OAI-PMH 2.0 tại /oai; tên miền của
--public-url làm định danh kho (oai:TÊN_MIỀN:MÃ).
Dừng bằng Ctrl+C hoặc SIGTERM: máy chủ trả lời hết các yêu cầu đang chạy rồi mới đóng chỉ mục.

Địa chỉ của máy khách (cho giới hạn tần suất, nhật ký, chống dò đăng nhập) là địa chỉ kết nối trực tiếp;
chỉ khi kết nối đến từ một proxy tin cậy (--trusted-proxies) thì mới đọc X-Forwarded-For (lấy địa chỉ
không tin cậy ngoài cùng bên phải), X-Real-IP và X-Forwarded-Proto. Máy khách cục bộ (127.0.0.1, ::1) không
bị giới hạn tần suất, trừ khi đặt --rate-limit-loopback; nếu đặt proxy ngược trên chính máy này, hãy khai
nó trong --trusted-proxies, nếu không mọi máy khách đều trông như 127.0.0.1.`,
		run: runServe,
	})
}

func runServe(e *env, args []string) error {
	c := find("serve")
	fs := newFlags(e, c)
	addr := fs.String("addr", "127.0.0.1:8080", "địa chỉ lắng nghe")
	weights := fs.String("weights", "", "tệp trọng số ghép nối (JSON); mặc định: trọng số có sẵn")
	logFormat := fs.String("log-format", "text", "dạng nhật ký: text hoặc json")
	logJSON := fs.Bool("log-json", false, "như --log-format json (giữ cho tương thích)")
	timeout := fs.Duration("timeout", 10*time.Second, "thời gian tối đa cho một yêu cầu (quá thì hủy truy vấn, trả lời 503)")
	def := server.DefaultConfig()
	proxies := fs.String("trusted-proxies", "", "các proxy tin cậy, địa chỉ hoặc mạng CIDR cách nhau bằng dấu phẩy (ví dụ 127.0.0.1,10.0.0.0/8)")
	readRate := fs.Float64("rate-read", def.Rates.Read.PerSecond, "số yêu cầu đọc (tìm kiếm, ghép nối, trang) mỗi giây cho một máy khách; 0: không giới hạn")
	readBurst := fs.Int("rate-read-burst", def.Rates.Read.Burst, "số yêu cầu đọc dồn tối đa của một máy khách")
	writeRate := fs.Float64("rate-write", def.Rates.Write.PerSecond, "số thao tác ghi mỗi giây cho một máy khách; 0: không giới hạn")
	writeBurst := fs.Int("rate-write-burst", def.Rates.Write.Burst, "số thao tác ghi dồn tối đa của một máy khách")
	limitLoopback := fs.Bool("rate-limit-loopback", false, "giới hạn cả máy khách cục bộ (mặc định được miễn)")
	metricsRole := fs.String("metrics-key-role", "", "chỉ cho đọc /metrics với khóa API có vai trò này (ví dụ admin); mặc định: công khai")
	metricsLocal := fs.Bool("metrics-loopback-only", false, "chỉ cho máy cục bộ đọc /metrics")
	metricsOff := fs.Bool("no-metrics", false, "tắt /metrics")
	tlsCert := fs.String("tls-cert", "", "tệp chứng chỉ TLS (PEM): máy chủ tự phục vụ HTTPS")
	tlsKey := fs.String("tls-key", "", "tệp khóa riêng TLS (PEM), đi cùng --tls-cert")
	uploadMB := fs.Int64("upload-mb", 512, "cỡ tối đa của một tệp tải lên (MB)")
	queue := fs.Int("queue", 64, "số tệp tải lên tối đa chờ xử lý (đầy thì trả lời 503, thử lại sau)")
	publicURL := fs.String("public-url", "", "địa chỉ công khai của trang (cho liên kết trong nguồn tin, webhook, OAI-PMH), ví dụ https://ketnoi.example/")
	webhook := fs.String("webhook", "", "gửi cảnh báo mới tới địa chỉ này (POST JSON)")
	secretFile := fs.String("webhook-secret-file", "", "tệp chứa khoá ký HMAC-SHA256 của webhook (mặc định: biến môi trường KETNOI_WEBHOOK_SECRET)")
	oaiEmail := fs.String("oai-email", "", "thư điện tử người quản trị kho, công bố trong OAI-PMH Identify")
	xf := addExtractFlags(fs)
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"serve không nhận đối số: " + pos[0]}
	}
	base, err := siteURL(*publicURL)
	if err != nil {
		return err
	}
	secret, err := webhookSecret(*secretFile)
	if err != nil {
		return err
	}
	cfg, err := serveConfig(def, serveOptions{timeout: *timeout, proxies: *proxies, readRate: *readRate, readBurst: *readBurst,
		writeRate: *writeRate, writeBurst: *writeBurst, limitLoopback: *limitLoopback, metricsRole: *metricsRole,
		metricsLocal: *metricsLocal, metricsOff: *metricsOff, tlsCert: *tlsCert, tlsKey: *tlsKey})
	if err != nil {
		return err
	}
	if *logJSON {
		*logFormat = "json"
	}
	var h slog.Handler
	switch *logFormat {
	case "text":
		h = slog.NewTextHandler(e.stderr, nil)
	case "json":
		h = slog.NewJSONHandler(e.stderr, nil)
	default:
		return usageError{"--log-format chỉ nhận text hoặc json"}
	}
	log := slog.New(h)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	fmt.Fprintf(e.stderr, "Đang mở thư mục dữ liệu %s …\n", e.data)
	d, err := openOrCreateData(ctx, e.data, nil)
	if err != nil {
		return err
	}
	warm(d.idx)
	// Deferred before d.close, so it runs after it: the operator learns that the data directory is closed.
	stopped := false
	defer func() {
		if stopped {
			fmt.Fprintln(e.stderr, "Đã dừng máy chủ: kho và chỉ mục đã đóng.")
		}
	}()
	defer d.close()
	if o, ok := indexer.OutdatedOf(d.idx); ok {
		if msg := o.Outdated(); msg != "" {
			fmt.Fprintf(e.stderr, "Lưu ý: %s.\n", msg)
		}
	}
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
	acfg, err := alerts.LoadConfig(e.data)
	if err != nil {
		return err
	}
	var hook *alerts.Webhook
	if *webhook != "" {
		if hook, err = alerts.NewWebhook(*webhook, secret, d.store, acfg, base, log); err != nil {
			return usageError{err.Error()}
		}
	}
	// Standing needs are matched again after every change the index applies, in the background; new alerts
	// wake the webhook.
	runner := alerts.NewRunner(&alerts.Engine{Store: d.store, Index: d.idx, Matcher: m, Config: acfg}, log,
		func([]corpus.Alert) {
			if hook != nil {
				hook.Kick()
			}
		})
	watched := indexer.Notify(d.idx, func(*indexer.Batch) { runner.Kick() })
	cfg.Keys = corpus.OpenKeyring(e.data)
	cfg.Users = corpus.OpenUsers(e.data)
	cfg.PublicURL, cfg.FeedEntries = base, acfg.FeedEntries
	if *oaiEmail != "" {
		cfg.OAI.AdminEmails = []string{*oaiEmail}
	}
	srv := server.New(cfg, watched, d.store, m, log)
	// Uploads go through the same pipeline as `ketnoi index`, in worker processes, with its batches: the
	// queued uploads run together (Jobs.Run), and a batch per file made a segment per file for bleve to merge.
	x := xf.extractor()
	defer x.Close()
	p := &indexer.Pipeline{Store: d.store, Index: watched, Extractor: x, Workers: *xf.workers,
		OCRAvailable: x.OCRStatus() == nil, WriteLock: srv.WriteLock()}
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
	bg := &background{}
	defer bg.stop()
	bg.start(runner.Run)
	runner.Kick() // what changed while no server ran (ketnoi delete, a killed pass)
	urlFile := filepath.Join(e.data, serverURLFile)
	defer os.Remove(urlFile)
	err = srv.Run(ctx, *addr, func(url string) {
		_ = corpus.WriteFileAtomic(urlFile, []byte(url+"\n"))
		docs, _ := d.idx.Count()
		fmt.Fprintf(e.stdout, "ketnoi đang chạy tại %s (%d tài liệu). Dừng: Ctrl+C\n", url, docs)
		if hook != nil {
			if base == "" {
				hook.SetBase(url)
			}
			bg.start(hook.Run)
		}
	})
	stopped = err == nil
	return err
}

// background runs goroutines until stop, which cancels them and waits for them to return.
type background struct {
	cancels []context.CancelFunc
	done    sync.WaitGroup
}

func (b *background) start(run func(context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	b.cancels = append(b.cancels, cancel)
	b.done.Go(func() { run(ctx) })
}

func (b *background) stop() {
	for _, c := range b.cancels {
		c()
	}
	b.done.Wait()
}

// siteURL checks --public-url: empty, or an absolute http(s) URL, returned ending in "/".
func siteURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", usageError{fmt.Sprintf("--public-url %q không hợp lệ: cần dạng https://máy/ hoặc https://máy/đường-dẫn/", s)}
	}
	return strings.TrimSuffix(u.String(), "/") + "/", nil
}

// webhookSecret reads the webhook's signing secret: from the file named, or the environment.
func webhookSecret(file string) ([]byte, error) {
	if file == "" {
		return []byte(os.Getenv("KETNOI_WEBHOOK_SECRET")), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("đọc tệp khoá webhook: %w", err)
	}
	return bytes.TrimSpace(b), nil
}
