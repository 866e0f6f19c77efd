package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

func init() {
	register(&command{
		name:    "index",
		summary: "nhập bản ghi (JSON, JSONL, CSV) vào kho và chỉ mục",
		usage:   "[--data THƯ_MỤC] TỆP_HOẶC_THƯ_MỤC...",
		help: `
Nhập các tệp bản ghi kết quả nghiên cứu và nhu cầu công nghệ (.json, .jsonl, .csv; xem docs/records.md)
và các thư mục chứa chúng (đọc đệ quy). Nhập lại cùng bản ghi thì cập nhật, không nhân đôi.
Bản ghi hỏng (JSON sai, thiếu id hoặc title, sai kiểu) bị loại và được liệt kê kèm tệp, dòng, trường;
các bản ghi khác vẫn được nhập. Giá trị ngoài danh mục được giữ nguyên và báo cảnh báo.
Mã thoát: 0 khi chỉ có cảnh báo; 1 khi có bản ghi bị loại hoặc tệp không đọc được.`,
		run: runIndex,
	})
}

// importStats is what an import run did.
type importStats struct {
	files, skipped, failedFiles int
	read, rejected, warnings    int
	added, updated, unchanged   int
}

func runIndex(e *env, args []string) error {
	c := find("index")
	fs := newFlags(e, c)
	quiet := fs.Bool("quiet", false, "chỉ in tóm tắt và lỗi")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"cần ít nhất một tệp hoặc thư mục"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	d, err := openData(ctx, e.data, nil)
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
	seen := map[string]string{} // id → where it was first read in this run
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("đã dừng giữa chừng; chạy lại cùng lệnh để tiếp tục: %w", err)
		}
		if corpus.FormatOf(f) == "" {
			st.skipped++
			fmt.Fprintf(e.stderr, "BỎ QUA %s: loại tệp chưa được hỗ trợ (unsupported)\n", f)
			continue
		}
		st.files++
		if err := importFile(d, f, seen, &st, e, *quiet); err != nil {
			st.failedFiles++
			fmt.Fprintf(e.stderr, "LỖI %s: %v\n", f, err)
		}
	}
	if _, err := indexer.Sync(ctx, d.store, d.idx, nil); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Xong trong %s: %d tệp, %d bản ghi đọc được; %d mới, %d cập nhật, %d không đổi; %d bị loại, %d cảnh báo; %d tệp bỏ qua, %d tệp lỗi.\n",
		time.Since(start).Round(time.Millisecond), st.files, st.read, st.added, st.updated, st.unchanged,
		st.rejected, st.warnings, st.skipped, st.failedFiles)
	if st.rejected > 0 || st.failedFiles > 0 {
		return exitError{1}
	}
	return nil
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
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: không đọc được (%v)", path, err))
				return nil
			}
			if de.Type().IsRegular() && de.Name()[0] != '.' {
				found = append(found, path)
			}
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

const importBatch = 500

func importFile(d *data, path string, seen map[string]string, st *importStats, e *env, quiet bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// The file itself is kept first (content-addressed), so that what was imported can always be read again.
	sha, err := d.store.PutOriginal(f)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var batch []corpus.Record
	var fileStats importStats
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		ps, err := d.store.PutFrom(batch, path, sha)
		if err != nil {
			return err
		}
		fileStats.added += ps.Added
		fileStats.updated += ps.Updated
		fileStats.unchanged += ps.Unchanged
		batch = batch[:0]
		return nil
	}
	err = corpus.ReadRecords(path, f, corpus.FormatOf(path), func(p corpus.Parsed) error {
		if p.Record != nil {
			id := p.Record.RecordID()
			here := fmt.Sprintf("%s dòng %d", path, p.Line)
			if prev, dup := seen[id]; dup {
				p.Problems = append(p.Problems, corpus.Problem{File: path, Line: p.Line, ID: id, Severity: corpus.Warning,
					Code: corpus.ProblemDuplicateID, Message: "mã đã xuất hiện ở " + prev + "; bản ghi sau thay thế bản trước"})
			}
			seen[id] = here
		}
		for _, pr := range p.Problems {
			if pr.Severity == corpus.Warning {
				fileStats.warnings++
				if !quiet {
					fmt.Fprintf(e.stderr, "CẢNH BÁO %s\n", pr)
				}
			} else {
				fmt.Fprintf(e.stderr, "LỖI %s\n", pr)
			}
		}
		if p.Record == nil {
			fileStats.rejected++
			return nil
		}
		fileStats.read++
		batch = append(batch, p.Record)
		if len(batch) >= importBatch {
			return flush()
		}
		return nil
	})
	if ferr := flush(); err == nil {
		err = ferr
	}
	st.read += fileStats.read
	st.rejected += fileStats.rejected
	st.warnings += fileStats.warnings
	st.added += fileStats.added
	st.updated += fileStats.updated
	st.unchanged += fileStats.unchanged
	if !quiet {
		fmt.Fprintf(e.stdout, "%s: %d bản ghi (%d mới, %d cập nhật, %d không đổi), %d bị loại, %d cảnh báo\n",
			path, fileStats.read, fileStats.added, fileStats.updated, fileStats.unchanged, fileStats.rejected, fileStats.warnings)
	}
	return err
}
