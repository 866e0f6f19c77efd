package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
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
		name:    "index",
		summary: "lập chỉ mục báo cáo (PDF, DOCX, ODT, TXT) và bản ghi (JSON, JSONL, CSV)",
		usage:   "[--workers N] [--no-ocr] [--server URL --key KHOÁ] [--prune [--prune-empty]] [--report TỆP.csv|.json] [--retry-failed] [--restore-deleted] TỆP_HOẶC_THƯ_MỤC...",
		help: `
Lập chỉ mục các tệp và thư mục (đọc đệ quy):
- báo cáo PDF (kể cả bản quét: OCR khi có tesseract), DOCX, ODT, TXT: trích văn bản trên mọi lõi, mỗi tệp
  trong một tiến trình con có giới hạn; tệp kèm X.json cạnh X.pdf ghi đè mọi trường của bản ghi;
- bản ghi kết quả nghiên cứu và nhu cầu công nghệ (.json, .jsonl, .csv; xem docs/records.md).
Trong thư mục, liên kết tượng trưng tới tệp được đọc như tệp đó; liên kết tới thư mục không được đọc theo
(tránh vòng lặp) và, cùng ống dẫn, thiết bị, được báo lỗi kèm lý do; tệp và thư mục ẩn (.Trash…), tệp ~$ của
Word đang mở và thư mục dữ liệu ketnoi nằm bên trong (như ./data khi chạy ketnoi index .) được bỏ qua.
Chạy lại là tăng dần: tệp không đổi (cùng cỡ, cùng thời điểm sửa) không được đọc lại; tệp đổi nội dung thay
bản cũ; cùng một báo cáo dưới hai tên là một tài liệu với hai đường dẫn. Tài liệu cán bộ đã xoá không trở lại
khi tệp cùng nội dung được lập chỉ mục lại (kể cả tệp chép sang chỗ khác hay gửi qua --server): tệp được báo
"không đổi" kèm lý do. Bản ghi cán bộ đã xoá cũng không trở lại khi tệp bản ghi có nó được nhập lại, kể cả
khi dòng đã đổi: dòng đó được báo kèm số dòng và đếm riêng. --restore-deleted đưa các tài liệu và bản ghi đó
trở lại. Dòng bị bỏ khỏi tệp bản ghi không làm xoá bản ghi của nó. Bị ngắt (kể cả kill -9) thì chạy lại
đúng lệnh đó: tệp đã xong không làm lại. --prune xoá tài liệu mà tệp đã biến mất khỏi các thư mục đã cho;
thư mục không đọc được lúc chạy, hay trống hẳn (không còn tệp nào, kể cả trong thư mục con) trong khi kho còn
tài liệu từ đó — như ổ mạng chưa gắn — thì không bị dọn, được báo kèm số tài liệu, và mã thoát là 1; thêm
--prune-empty khi đúng là đã bỏ hết tệp của thư mục đó.
Với --server URL --key KHOÁ_CÁN_BỘ, tệp được gửi cho máy chủ đang chạy: trước hết các tệp bản ghi, máy chủ
nhập ngay và báo từng dòng như khi chạy tại chỗ (trừ cảnh báo mã lặp lại giữa hai tệp); rồi các báo cáo, mỗi
tệp kèm tên của nó trong thư mục (bao-cao/2024/a.pdf); --prune khi đó dọn trên máy chủ tài liệu của tệp đã
biến mất khỏi thư mục, cùng quy tắc (kể cả thư mục trống hẳn), sau khi mọi tệp của lần chạy đã có kết quả
(tệp gửi lỗi vẫn là tệp còn đó; lần chạy bị ngắt không dọn gì). Máy chủ đọc tệp và ghép lại nhu cầu theo cách nó được chạy: --workers,
--timeout, --no-ocr, --in-process và --weights không dùng cùng --server (đặt chúng cho ketnoi serve); tệp
lỗi lần trước luôn được gửi lại, như với --retry-failed.
Trang không có lớp chữ mà máy không có tesseract: tệp vẫn vào chỉ mục, báo "cần OCR", lần chạy sau có
tesseract sẽ đọc lại. --report ghi kết quả từng tệp ra CSV hoặc JSON.
Cuối lần chạy, các nhu cầu thường trực ("standing": true) được ghép lại với kết quả vừa thêm hay sửa; kết
quả mới đủ điểm thành cảnh báo (ketnoi alerts).
Mã thoát: 0 khi mọi tệp vào được (cảnh báo không tính); 1 khi có tệp lỗi, bản ghi bị loại hoặc thư mục
trống không được dọn.`,
		run: runIndex,
	})
}

func runIndex(e *env, args []string) error {
	c := find("index")
	fs := newFlags(e, c)
	quiet := fs.Bool("quiet", false, "chỉ in tóm tắt và lỗi")
	prune := fs.Bool("prune", false, "xoá tài liệu mà tệp đã biến mất")
	pruneEmpty := fs.Bool("prune-empty", false, "cùng --prune: dọn cả thư mục đã trống hẳn (mặc định không dọn, vì ổ mạng chưa gắn cũng trông như thư mục trống)")
	report := fs.String("report", "", "ghi kết quả từng tệp ra TỆP (.csv hoặc .json)")
	retry := fs.Bool("retry-failed", false, "đọc lại cả tệp lỗi lần trước dù không đổi")
	restore := fs.Bool("restore-deleted", false, "đưa lại tài liệu và bản ghi cán bộ đã xoá khi tệp của chúng được lập chỉ mục hay nhập lại")
	weights := fs.String("weights", "", "tệp trọng số ghép nối (JSON) cho việc ghép lại nhu cầu thường trực; dùng cùng tệp với serve")
	serverURL := fs.String("server", "", "gửi tệp tới máy chủ ketnoi đang chạy (URL) thay vì mở thư mục dữ liệu")
	key := fs.String("key", os.Getenv("KETNOI_KEY"), "khoá API cán bộ cho --server (hoặc biến môi trường KETNOI_KEY)")
	xf := addExtractFlags(fs)
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"cần ít nhất một tệp hoặc thư mục"}
	}
	if *pruneEmpty && !*prune {
		return usageError{"--prune-empty chỉ dùng cùng --prune"}
	}
	if err := remoteFlags(fs, *serverURL != ""); err != nil {
		return err
	}
	var rep *reportWriter
	if *report != "" {
		if rep, err = newReportWriter(*report); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	if *serverURL != "" {
		return runIndexRemote(ctx, e, remoteRun{url: *serverURL, key: *key, roots: pos, quiet: *quiet, restore: *restore,
			prune: *prune, pruneEmpty: *pruneEmpty, rep: rep, start: start})
	}
	d, err := openOrCreateData(ctx, e.data, nil)
	var held *errHeld
	if errors.As(err, &held) && held.url != "" {
		return fmt.Errorf("%w\nĐể gửi tệp cho máy chủ đó: ketnoi index --server %s --key KHOÁ_CÁN_BỘ ...", err, held.url)
	}
	if err != nil {
		return err
	}
	defer d.close()
	// Whatever this run imports is the data directory's first content: serve must not add the sample.
	if err := d.store.MarkSeeded("import"); err != nil {
		return err
	}

	var st importStats
	files, walkProblems := collectFiles(pos)
	for _, p := range walkProblems {
		st.failedFiles++
		fmt.Fprintf(e.stderr, "LỖI %s\n", p)
	}
	if rep != nil {
		// The report of an earlier run kept in the folder is not a record file to import.
		files = slices.DeleteFunc(files, func(f string) bool { return sameFile(f, rep.path) })
	}
	docs, records, skipped := classifyFiles(files)
	for _, f := range skipped {
		st.skipped++
		fmt.Fprintf(e.stderr, "BỎ QUA %s: loại tệp chưa được hỗ trợ (unsupported)\n", f)
		rep.add(indexer.FileOutcome{Path: f, Outcome: "skipped", Reason: extract.ReasonUnsupported})
	}
	seen := map[string]string{} // id → where it was first read in this run
	// The index follows the records as they are written, so that indexing runs beside reading them.
	follow := indexer.Follow(ctx, d.store, d.idx, nil)
	defer follow.Close() // before d.close: a sync may be running
	for _, f := range records {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("đã dừng giữa chừng; chạy lại cùng lệnh để tiếp tục: %w", err)
		}
		st.files++
		t0 := time.Now()
		c, err := importFile(d, f, seen, *restore, &st, e, *quiet, follow.Kick)
		if err != nil {
			st.failedFiles++
			fmt.Fprintf(e.stderr, "LỖI %s\n", recordFileError(f, err))
		}
		rep.add(recordOutcome(f, c, time.Since(t0), err))
	}
	if err := follow.Close(); err != nil && ctx.Err() == nil {
		// The Sync below tries again and fails the run if the index still cannot be written.
		fmt.Fprintf(e.stderr, "CẢNH BÁO cập nhật chỉ mục trong lúc nhập bản ghi: %v\n", err)
	}
	var sum indexer.Summary
	pruneRefused := false
	if len(docs) > 0 {
		sum, err = indexDocuments(ctx, e, d, docs, xf, *retry, *restore, *quiet, rep)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("đã dừng giữa chừng; chạy lại cùng lệnh để tiếp tục")
			}
			return err
		}
	}
	if *prune {
		var roots []string
		for _, p := range pos {
			// A path that cannot be read now (a share not mounted, a typo) says nothing about its files:
			// pruning it would delete every document under it.
			if _, err := os.Stat(p); err != nil {
				fmt.Fprintf(e.stderr, "KHÔNG DỌN %s: không đọc được đường dẫn này nên không xoá tài liệu nào của nó\n", p)
				continue
			}
			if abs, err := filepath.Abs(p); err == nil {
				roots = append(roots, abs)
			}
		}
		del, refused, err := indexer.Prune(ctx, d.store, d.idx, roots, *pruneEmpty)
		if err != nil {
			return err
		}
		sum.Pruned = len(del)
		for _, r := range refused {
			printPruneRefused(e, r.Root, r.Files, r.Documents)
		}
		pruneRefused = len(refused) > 0
	}
	if _, err := indexer.Sync(ctx, d.store, d.idx, nil); err != nil {
		return err
	}
	alertsFailed := false
	if err := rematchStanding(ctx, e, d, *weights); err != nil {
		// The import itself is done; the next run (or the server) does the re-matching again.
		fmt.Fprintf(e.stderr, "LỖI ghép lại nhu cầu thường trực (lần chạy sau hoặc máy chủ sẽ làm lại): %v\n", err)
		alertsFailed = true
	}
	if err := rep.close(); err != nil {
		return err
	}
	if len(records) > 0 || len(docs) == 0 {
		st.print(e)
	}
	if len(docs) > 0 {
		printSummary(e, sum)
	} else if sum.Pruned > 0 {
		fmt.Fprintf(e.stdout, "Đã xoá %d tài liệu vì tệp không còn.\n", sum.Pruned)
	}
	fmt.Fprintf(e.stdout, "Xong trong %s.\n", time.Since(start).Round(time.Millisecond))
	if st.Rejected > 0 || st.failedFiles > 0 || sum.FailedCount() > 0 || alertsFailed || pruneRefused {
		return exitError{1}
	}
	return nil
}

// remoteRun is what `ketnoi index --server` was asked to do.
type remoteRun struct {
	url, key          string
	roots             []string
	quiet, restore    bool
	prune, pruneEmpty bool
	rep               *reportWriter
	start             time.Time
}

// serverSide are the flags of index that set how files are read and needs re-matched: with --server the
// server does both, as `ketnoi serve` was started (its flag of the same effect is named), so they are
// refused rather than ignored.
var serverSide = map[string]string{"workers": "--workers", "timeout": "--extract-timeout", "no-ocr": "--no-ocr",
	"in-process": "--in-process", "weights": "--weights"}

// remoteFlags refuses the flags set on the command line that do nothing with (or without) --server.
func remoteFlags(fs *flag.FlagSet, remote bool) error {
	var bad error
	fs.Visit(func(f *flag.Flag) {
		switch {
		case bad != nil:
		case remote && serverSide[f.Name] != "":
			bad = usageError{fmt.Sprintf("--%s không dùng cùng --server: máy chủ đọc tệp và ghép lại nhu cầu theo cách nó được chạy "+
				"(ketnoi serve %s)", f.Name, serverSide[f.Name])}
		case !remote && f.Name == "key":
			bad = usageError{"--key chỉ dùng cùng --server"}
		}
	})
	return bad
}

// runIndexRemote is `ketnoi index --server URL`: record files are imported by the server first, one
// request each (as a local run imports them before reading reports), then documents go to the server's
// upload queue; with --prune, once every upload has its outcome, the server forgets the files gone from
// the folders (pruneRemote).
func runIndexRemote(ctx context.Context, e *env, r remoteRun) error {
	if r.key == "" {
		return usageError{"--server cần khoá API cán bộ: --key KHOÁ hoặc biến môi trường KETNOI_KEY"}
	}
	if err := checkStaffKey(ctx, r.url, r.key); err != nil {
		return err
	}
	var st importStats
	files, problems := collectFiles(r.roots)
	for _, p := range problems {
		st.failedFiles++
		fmt.Fprintf(e.stderr, "LỖI %s\n", p)
	}
	if r.rep != nil {
		// As in a local run: the report of an earlier run kept in the folder is not a record file.
		files = slices.DeleteFunc(files, func(f string) bool { return sameFile(f, r.rep.path) })
	}
	docs, records, skipped := classifyFiles(files)
	for _, f := range skipped {
		st.skipped++
		fmt.Fprintf(e.stderr, "BỎ QUA %s: loại tệp chưa được hỗ trợ (unsupported)\n", f)
		r.rep.add(indexer.FileOutcome{Path: f, Outcome: "skipped", Reason: extract.ReasonUnsupported})
	}
	err := importRemote(ctx, e, r, records, &st)
	var sum indexer.Summary
	if err == nil {
		sum, err = indexRemote(ctx, e, r.url, r.key, docs, r.quiet, r.restore, r.rep)
	}
	if cerr := r.rep.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// A run stopped or refused before the end returned above: what it did not look at is not gone.
	pruneLeft := false
	if r.prune {
		if sum.Pruned, pruneLeft, err = pruneRemote(ctx, e, r.url, r.key, r.roots, r.pruneEmpty); err != nil {
			return err
		}
	}
	if len(records) > 0 || len(docs) == 0 {
		st.print(e)
	}
	if len(docs) > 0 || len(records) == 0 {
		printSummary(e, sum)
	} else if sum.Pruned > 0 {
		fmt.Fprintf(e.stdout, "Đã xoá %d tài liệu vì tệp không còn.\n", sum.Pruned)
	}
	fmt.Fprintf(e.stdout, "Xong trong %s.\n", time.Since(r.start).Round(time.Millisecond))
	if st.Rejected > 0 || st.failedFiles > 0 || st.notSent > 0 || sum.FailedCount() > 0 || pruneLeft {
		return exitError{1}
	}
	return nil
}

// classifyFiles sorts files into documents to extract, record files to import, and the rest. A JSON file
// next to a document of the same name is that document's sidecar, not a record file.
func classifyFiles(files []string) (docs, records, skipped []string) {
	for _, f := range files {
		ext := strings.ToLower(filepath.Ext(f))
		switch {
		case indexer.DocumentExt[ext]:
			if abs, err := filepath.Abs(f); err == nil {
				f = abs
			}
			docs = append(docs, f)
		case corpus.FormatOf(f) != "":
			if ext == ".json" && isSidecar(f) {
				continue
			}
			records = append(records, f)
		default:
			skipped = append(skipped, f)
		}
	}
	return docs, records, skipped
}

func isSidecar(jsonPath string) bool {
	stem := strings.TrimSuffix(jsonPath, filepath.Ext(jsonPath))
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if indexer.DocumentExt[strings.ToLower(filepath.Ext(stem))] && exists(stem) {
		return true // report.pdf.json
	}
	for ext := range indexer.DocumentExt {
		if exists(stem + ext) {
			return true // report.json
		}
	}
	return false
}

// collectFiles expands directories (recursively, in name order) and reports paths that cannot be read.
func collectFiles(paths []string) ([]string, []string) {
	var files, problems []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: không đọc được (%v)", p, err))
			continue
		}
		if !info.IsDir() {
			if !info.Mode().IsRegular() {
				problems = append(problems, notRegular(p))
				continue
			}
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: không đọc được (%v)", path, err))
				return nil
			}
			if de.IsDir() {
				// A ketnoi data directory inside the folder (./data under `ketnoi index .`) holds the
				// index's own files, kept originals and uploads: not reports to read again. Hidden
				// folders (.Trash-1000, .git) are not the staff's reports either, as hidden files are not.
				if path != p && (isDataDir(path) || de.Name()[0] == '.') {
					return filepath.SkipDir
				}
				return nil
			}
			// Hidden files, and the owner file Word keeps next to a document it has open (~$name.docx).
			if de.Name()[0] == '.' || strings.HasPrefix(de.Name(), "~$") {
				return nil
			}
			mode := de.Type()
			if mode&fs.ModeSymlink != 0 {
				// A link to a file is read as the file; a link to a folder is not followed (it may loop).
				st, err := os.Stat(path)
				switch {
				case err != nil:
					problems = append(problems, fmt.Sprintf("%s: liên kết tượng trưng trỏ tới tệp không có hoặc không đọc được", path))
					return nil
				case st.IsDir():
					problems = append(problems, fmt.Sprintf("%s: liên kết tới thư mục, không đọc theo (tránh vòng lặp); hãy đưa thẳng thư mục đó vào lệnh", path))
					return nil
				}
				mode = st.Mode()
			}
			if !mode.IsRegular() {
				problems = append(problems, notRegular(path))
				return nil
			}
			found = append(found, path)
			return nil
		})
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", p, err))
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, problems
}

// sameFile reports whether two paths name the same file (the second one need not exist yet).
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// isDataDir reports a ketnoi data directory (its store is there).
func isDataDir(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "store.db"))
	return err == nil && st.Mode().IsRegular()
}

// notRegular names a path that is not a file to read: a pipe would block the run for good.
func notRegular(path string) string {
	return fmt.Sprintf("%s: không phải tệp thường (ống dẫn, thiết bị hay socket), bỏ qua", path)
}

// importFile imports one record file; a row whose record staff deleted leaves it deleted unless restore,
// and is reported with its line.
func importFile(d *data, path string, seen map[string]string, restore bool, st *importStats, e *env, quiet bool, written func()) (corpus.ImportCounts, error) {
	f, err := os.Open(path)
	if err != nil {
		return corpus.ImportCounts{}, err
	}
	defer f.Close()
	// The file itself is kept first (content-addressed), so that what was imported can always be read again.
	sha, err := d.store.PutOriginal(f)
	if err != nil {
		return corpus.ImportCounts{}, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return corpus.ImportCounts{}, err
	}
	pr := recordPrinter{e: e, path: path, quiet: quiet}
	c, err := d.store.ImportRecords(f, path, corpus.FormatOf(path), path, sha, restore, corpus.ImportHooks{
		Check:       corpus.WarnRepeated(seen, path),
		Problem:     pr.problem,
		KeptDeleted: pr.keptDeleted,
		Written:     written,
	})
	st.Add(c)
	pr.done(c)
	return c, err
}
