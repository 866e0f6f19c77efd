package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/server"
)

func init() {
	register(&command{
		name:    "backup",
		summary: "sao lưu kho dữ liệu, tệp gốc và khóa API vào một tệp",
		usage:   "[--server URL --key KHÓA_QUẢN_TRỊ] TỆP.tar.gz",
		help: `
Ghi một bản sao lưu (tar.gz) gồm: ảnh chụp nhất quán của kho dữ liệu (store.db), mọi tệp gốc mà kho nhắc
tới, tệp khóa API (keys.json) và bản kê MANIFEST.json có mã băm SHA-256 của từng tệp. Chỉ mục tìm kiếm
không nằm trong bản sao lưu: nó được xây lại khi khôi phục. Các tệp tải lên còn chờ trong hàng đợi của máy
chủ cũng không nằm trong đó.

Khi máy chủ đang chạy, sao lưu qua API của máy chủ (máy chủ vẫn phục vụ và nhận tải lên trong lúc đó):
  ketnoi backup --server http://127.0.0.1:8080 --key KHÓA_QUẢN_TRỊ sao-luu.tar.gz
Khóa quản trị tạo bằng: ketnoi keys create --name "Sao lưu" --role admin

Tệp đích chỉ được ghi (thay thế) khi bản sao lưu đã được đọc lại và kiểm tra xong; "-" ghi ra đầu ra chuẩn.`,
		run: runBackup,
	})
	register(&command{
		name:    "restore",
		summary: "khôi phục bản sao lưu vào một thư mục dữ liệu mới",
		usage:   "--data THƯ_MỤC_MỚI TỆP.tar.gz",
		help: `
Khôi phục bản sao lưu của ketnoi backup vào thư mục dữ liệu --data, thư mục này phải trống hoặc chưa có
(không bao giờ ghi đè dữ liệu đang có). Mọi tệp được kiểm tra mã băm với bản kê trước khi được đặt vào chỗ;
tệp sao lưu bị sửa, hỏng hoặc bị cắt cụt thì bị từ chối và thư mục đích giữ nguyên. Sau đó lệnh xây chỉ mục
tìm kiếm và kiểm tra kho với chỉ mục. "-" đọc từ đầu vào chuẩn.`,
		run: runRestore,
	})
	register(&command{
		name:    "check",
		summary: "kiểm tra kho dữ liệu và chỉ mục có khớp nhau không, và sửa",
		usage:   "[--repair] [--json]",
		help: `
Kiểm tra rằng mọi bản ghi còn hiệu lực trong kho đều có trong chỉ mục với nội dung hiện tại, chỉ mục không
còn tài liệu nào đã bị xoá khỏi kho, chỉ mục không đi trước kho, và mọi tệp gốc mà bản ghi nhắc tới vẫn còn.
Thoát với mã 1 khi không khớp. Với --repair: ghi lại các tài liệu thiếu hoặc cũ, xoá tài liệu thừa, hoặc
xây lại cả chỉ mục khi hư hỏng lan rộng; xoá các bản chỉ mục xây dở. Cần dừng máy chủ trước.`,
		run: runCheck,
	})
}

func runBackup(e *env, args []string) error {
	c := find("backup")
	fs := newFlags(e, c)
	serverURL := fs.String("server", "", "sao lưu qua máy chủ ketnoi đang chạy (URL) thay vì mở thư mục dữ liệu")
	key := fs.String("key", os.Getenv("KETNOI_KEY"), "khóa API quản trị cho --server (hoặc biến môi trường KETNOI_KEY)")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"backup cần đúng một tệp đích (\"-\": đầu ra chuẩn)"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	// produce writes the archive to w: from the server, or from the store opened here.
	var produce func(w io.Writer) error
	if *serverURL != "" {
		if *key == "" {
			return usageError{"--server cần khóa API quản trị: --key KHÓA hoặc biến môi trường KETNOI_KEY"}
		}
		produce = func(w io.Writer) error { return backupRemote(ctx, *serverURL, *key, w) }
	} else {
		st, err := openStore(e.data)
		if held := (*errHeld)(nil); errors.As(err, &held) && held.url != "" {
			return fmt.Errorf("%w\nĐể sao lưu khi máy chủ đang chạy: ketnoi backup --server %s --key KHÓA_QUẢN_TRỊ %s", held, held.url, pos[0])
		}
		if err != nil {
			return err
		}
		defer st.Close()
		produce = func(w io.Writer) error {
			m, err := st.Backup(w)
			if err == nil {
				warnMissing(e, m)
			}
			return err
		}
	}
	if pos[0] == "-" {
		return produce(e.stdout)
	}
	m, size, err := writeVerified(pos[0], produce)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Đã sao lưu %d bản ghi (%d kết quả, %d nhu cầu), %d tệp gốc, tới thay đổi #%d vào %s (%.1f MB) trong %s.\n",
		m.Total(), m.Records[corpus.KindResult], m.Records[corpus.KindNeed], m.Originals, m.Seq, pos[0],
		float64(size)/1e6, time.Since(start).Round(time.Millisecond))
	return nil
}

func warnMissing(e *env, m *corpus.Manifest) {
	if n := len(m.MissingOriginals); n > 0 {
		fmt.Fprintf(e.stderr, "CẢNH BÁO: %d tệp gốc mà bản ghi nhắc tới đã mất khỏi thư mục dữ liệu từ trước, không sao lưu được: %s\n",
			n, strings.Join(m.MissingOriginals[:min(n, 5)], ", "))
	}
}

// writeVerified writes the archive beside path, reads it back through the same checks as a restore, and
// only then puts it in place: a failed or truncated backup never replaces a good one.
func writeVerified(path string, produce func(io.Writer) error) (*corpus.Manifest, int64, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, 0, fmt.Errorf("tạo tệp sao lưu: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := produce(f); err != nil {
		f.Close()
		return nil, 0, err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, 0, fmt.Errorf("ghi bản sao lưu: %w", err)
	}
	r, err := os.Open(tmp)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	m, err := corpus.VerifyBackup(r)
	if err != nil {
		return nil, 0, fmt.Errorf("kiểm tra lại bản sao lưu vừa ghi: %w", err)
	}
	fi, _ := r.Stat()
	if err := os.Rename(tmp, path); err != nil {
		return nil, 0, fmt.Errorf("ghi bản sao lưu: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return m, fi.Size(), nil
}

// backupRemote streams GET /api/v1/admin/backup into w.
func backupRemote(ctx context.Context, base, key string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/api/v1/admin/backup", nil)
	if err != nil {
		return fmt.Errorf("địa chỉ máy chủ %q không hợp lệ: %w", base, err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	// The archive is gzip already: asking for no transfer compression spares the server a second pass.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := (&http.Client{}).Do(req) // no overall timeout: a large archive takes long; ctx bounds it
	if err != nil {
		return fmt.Errorf("gọi máy chủ: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var ae server.APIError
		msg := resp.Status
		if json.Unmarshal(b, &ae) == nil && ae.Message != "" {
			msg = ae.Message
		}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			msg = strings.TrimRight(msg, ". ") + "; sao lưu cần khóa quản trị, tạo bằng: ketnoi keys create --name \"Sao lưu\" --role admin"
		}
		return fmt.Errorf("máy chủ trả lời %d: %s", resp.StatusCode, msg)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("nhận bản sao lưu từ máy chủ: %w", err)
	}
	return nil
}

func runRestore(e *env, args []string) error {
	c := find("restore")
	fs := newFlags(e, c)
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"restore cần đúng một tệp sao lưu (\"-\": đầu vào chuẩn)"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	in := io.Reader(os.Stdin)
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	start := time.Now()
	m, err := corpus.Restore(in, e.data)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Đã khôi phục %d bản ghi (%d kết quả, %d nhu cầu), %d tệp gốc, thay đổi #%d (sao lưu lúc %s) vào %s.\n",
		m.Total(), m.Records[corpus.KindResult], m.Records[corpus.KindNeed], m.Originals, m.Seq,
		corpus.VietnamTime(m.Created, "2006-01-02 15:04:05"), e.data)
	warnMissing(e, m)
	st, err := corpus.Open(e.data)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := indexer.Rebuild(ctx, e.data, st, openIndex, func(done int) {
		fmt.Fprintf(e.stderr, "\rXây chỉ mục: %d bản ghi…", done)
	})
	fmt.Fprintln(e.stderr)
	if err != nil {
		return fmt.Errorf("kho đã được khôi phục nhưng xây chỉ mục lỗi (chạy lại: ketnoi reindex --data %s): %w", e.data, err)
	}
	idx, err := indexer.OpenCurrent(e.data, openIndex)
	if err != nil {
		return err
	}
	defer idx.Close()
	rep, err := indexer.Check(ctx, st, idx)
	if err != nil {
		return err
	}
	if !rep.Consistent() {
		printReport(e.stdout, rep)
		return exitError{1}
	}
	fmt.Fprintf(e.stdout, "Đã xây chỉ mục (%d tài liệu) và kiểm tra: kho và chỉ mục khớp nhau. Xong trong %s.\n",
		n, time.Since(start).Round(time.Millisecond))
	return nil
}

// checkOutput is `ketnoi check --json`.
type checkOutput struct {
	Consistent bool              `json:"consistent"`
	Report     *indexer.Report   `json:"report,omitempty"`
	IndexError string            `json:"index_error,omitempty"`
	Before     *indexer.Report   `json:"before_repair,omitempty"`
	Repaired   *indexer.Repaired `json:"repaired,omitempty"`
	Rebuilt    bool              `json:"rebuilt,omitempty"`
}

func runCheck(e *env, args []string) error {
	c := find("check")
	fs := newFlags(e, c)
	repair := fs.Bool("repair", false, "sửa chỉ mục khi không khớp")
	asJSON := fs.Bool("json", false, "in kết quả dạng JSON")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"check không nhận đối số"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := openStore(e.data)
	if err != nil {
		return err
	}
	defer st.Close()
	out := &checkOutput{}
	say := func(format string, a ...any) {
		if !*asJSON {
			fmt.Fprintf(e.stdout, format, a...)
		}
	}
	// The index is opened as it is, without the Sync every other command starts with: check reports what
	// a crash left, and the pending changes with it.
	idx, err := indexer.OpenCurrent(e.data, openIndex)
	if err == nil {
		out.Report, err = indexer.Check(ctx, st, idx)
		if err != nil {
			idx.Close()
			return err
		}
	} else {
		idx = nil // the opener's typed nil would not compare equal to nil
		out.IndexError = err.Error()
		say("Không mở được chỉ mục: %v\n", err)
	}
	if out.Report != nil && !*asJSON {
		printReport(e.stdout, out.Report)
	}
	rebuild := out.Report == nil
	if *repair && out.Report != nil && (!out.Report.Consistent() || out.Report.Pending > 0 || len(out.Report.Leftovers) > 0) {
		out.Before = out.Report
		r, err := indexer.Repair(ctx, st, idx, out.Report)
		switch {
		case errors.Is(err, indexer.ErrRebuild):
			rebuild = true
		case err != nil:
			idx.Close()
			return fmt.Errorf("sửa chỉ mục: %w", err)
		default:
			out.Repaired = &r
			say("Đã sửa: áp dụng %d thay đổi còn chờ, ghi lại %d tài liệu, xoá %d tài liệu thừa, xoá %d bản chỉ mục dở.\n",
				r.Synced, r.Put, r.Deleted, r.Leftovers)
		}
	}
	if rebuild && *repair {
		if idx != nil {
			idx.Close()
			idx = nil
		}
		say("Đang xây lại chỉ mục từ kho…\n")
		if _, err := indexer.Rebuild(ctx, e.data, st, openIndex, nil); err != nil {
			return fmt.Errorf("xây lại chỉ mục: %w", err)
		}
		out.Rebuilt = true
		if idx, err = indexer.OpenCurrent(e.data, openIndex); err != nil {
			return fmt.Errorf("mở chỉ mục vừa xây: %w", err)
		}
	}
	if idx != nil {
		defer idx.Close()
	}
	if out.Repaired != nil || out.Rebuilt {
		if out.Report, err = indexer.Check(ctx, st, idx); err != nil {
			return err
		}
		say("Sau khi sửa:\n")
		if !*asJSON {
			printReport(e.stdout, out.Report)
		}
	}
	out.Consistent = out.Report != nil && out.Report.Consistent()
	if *asJSON {
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
	}
	if out.Consistent {
		return nil
	}
	switch {
	case out.Report != nil && out.Report.IndexConsistent():
		say("Chỉ mục khớp kho, nhưng kho thiếu tệp gốc: --repair không sửa được; hãy khôi phục các tệp đó từ bản sao lưu.\n")
	case !*repair:
		say("Chạy lại với --repair để sửa.\n")
	}
	return exitError{1}
}

// printReport writes a check report for people.
func printReport(w io.Writer, r *indexer.Report) {
	fmt.Fprintf(w, "Kho: %d bản ghi còn hiệu lực, tới thay đổi #%d. Chỉ mục: %d tài liệu, đã áp dụng tới thay đổi #%d.\n",
		r.Records, r.StoreSeq, r.IndexDocs, r.IndexSeq)
	if r.Pending > 0 {
		fmt.Fprintf(w, "  %d thay đổi của kho chưa vào chỉ mục: lần mở tới (hoặc --repair) sẽ áp dụng, không phải hư hỏng.\n", r.Pending)
	}
	list := func(label string, ids []string) {
		if len(ids) == 0 {
			return
		}
		more := ""
		if len(ids) > 10 {
			more = fmt.Sprintf(", … (còn %d)", len(ids)-10)
		}
		fmt.Fprintf(w, "  %s: %d (%s%s)\n", label, len(ids), strings.Join(ids[:min(len(ids), 10)], ", "), more)
	}
	if r.Ahead {
		fmt.Fprintf(w, "  Chỉ mục đi trước kho (#%d > #%d): chỉ mục này không phải của kho này, cần xây lại.\n", r.IndexSeq, r.StoreSeq)
	}
	list("Thiếu trong chỉ mục", r.Missing)
	list("Thừa trong chỉ mục (không còn trong kho)", r.Extra)
	list("Nội dung trong chỉ mục đã cũ", r.Stale)
	if r.Hidden > 0 {
		fmt.Fprintf(w, "  %d tài liệu trong chỉ mục không tìm thấy được bằng tìm kiếm: cần xây lại.\n", r.Hidden)
	}
	if r.Truncated {
		fmt.Fprintln(w, "  Chỉ mục hỏng quá nhiều để liệt kê hết: cần xây lại.")
	}
	list("Bản ghi mất tệp gốc", r.MissingOriginals)
	if len(r.Leftovers) > 0 {
		fmt.Fprintf(w, "  %d bản chỉ mục xây dở (một lần reindex bị dừng) chiếm chỗ: %s; --repair sẽ xoá.\n", len(r.Leftovers), strings.Join(r.Leftovers, ", "))
	}
	if r.Consistent() {
		fmt.Fprintf(w, "Khớp: mọi bản ghi còn hiệu lực đều có trong chỉ mục, không có tài liệu thừa (đã so nội dung %d tài liệu).\n", r.Compared)
	} else {
		fmt.Fprintln(w, "KHÔNG KHỚP.")
	}
}
