package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"ketnoi/corpus"
	"ketnoi/server"
)

func init() {
	register(&command{
		name:    "export",
		summary: "xuất kết quả, nhu cầu hoặc quyết định ghép nối ra CSV, XLSX hoặc JSONL",
		usage:   "--kind result|need|feedback [--format csv|xlsx|jsonl] TỆP",
		help: `
export ghi mọi kết quả nghiên cứu (--kind result), nhu cầu công nghệ (need, kể cả nhu cầu chỉ dành cho
môi giới) hoặc quyết định của nhà môi giới (feedback, kèm lịch sử) ra TỆP. Định dạng lấy theo đuôi tệp
nếu không có --format: csv (UTF-8 có BOM, ô có dạng công thức được vô hiệu hoá), xlsx (Excel), jsonl
(định dạng bản ghi, đủ văn bản, để sàn khác nhập). Tệp CSV/XLSX/JSONL của kết quả và nhu cầu nhập lại được
bằng ketnoi index; CSV/XLSX chỉ có các trường danh mục, không có toàn văn. Khi máy chủ đang giữ thư mục dữ
liệu, lệnh đi qua API và cần khoá cán bộ (--key hoặc KETNOI_KEY).`,
		run: runExport,
	})
}

func runExport(e *env, args []string) error {
	c := find("export")
	fs := newFlags(e, c)
	kind := fs.String("kind", "", "result, need hoặc feedback")
	format := fs.String("format", "", "csv, xlsx hoặc jsonl (mặc định: theo đuôi TỆP)")
	key := fs.String("key", os.Getenv("KETNOI_KEY"), "khoá API cán bộ khi đi qua máy chủ (hoặc biến môi trường KETNOI_KEY)")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"export cần đúng một TỆP để ghi"}
	}
	path := pos[0]
	if *format == "" {
		*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	}
	if err := server.ExportError(*kind, *format); err != nil {
		return usageError{err.Error()}
	}
	// Written as it is produced, into a temporary file renamed over path at the end: an export of the whole
	// corpus with its full text is never held in memory, and a failed one leaves path as it was.
	var produce func(io.Writer) (int, error)
	st, err := openStore(e.data)
	var held *errHeld
	switch {
	case errors.As(err, &held) && held.url != "":
		if *key == "" {
			return usageError{fmt.Sprintf("máy chủ %s đang giữ thư mục dữ liệu; xuất qua API cần khoá cán bộ: --key KHOÁ hoặc biến môi trường KETNOI_KEY", held.url)}
		}
		q := url.Values{"kind": {*kind}, "format": {*format}}
		body, err := apiCall(context.Background(), http.MethodGet, held.url+"api/v1/export?"+q.Encode(), *key, nil, httpClient.Timeout)
		if err != nil {
			return err
		}
		produce = func(w io.Writer) (int, error) { _, err := w.Write(body); return -1, err }
	case err != nil:
		return err
	default:
		defer st.Close()
		produce = func(w io.Writer) (int, error) { return server.WriteExport(w, st, *kind, *format) }
	}
	n := -1
	var size int64
	err = corpus.WriteAtomic(path, func(w io.Writer) error {
		cw := &countingWriter{w: w}
		var err error
		n, err = produce(cw)
		size = cw.n
		return err
	})
	if err != nil {
		return fmt.Errorf("ghi %s: %w", path, err)
	}
	if n >= 0 {
		fmt.Fprintf(e.stderr, "Đã xuất %d mục (%s) vào %s\n", n, *kind, path)
	} else {
		fmt.Fprintf(e.stderr, "Đã xuất %s vào %s (%d byte)\n", *kind, path, size)
	}
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
