package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// pruneRemote is `ketnoi index --server URL --prune`: for each folder given, the server is sent the labels
// (sourceFile) of every file the folder holds now, and forgets the uploads labelled under the folder's
// label (its absolute path) that are not among them, deleting the documents left with no file, as a local
// --prune does. It runs after every upload of the run has its outcome, so a file that failed to upload is
// still listed (present) and keeps its document. A file whose label is invalid was sent without one: no
// stored label can be its, so it is left out. It returns the documents deleted, and whether a folder was
// left alone (not readable, its own label invalid, or empty while its pruning would delete documents: the
// same lines as locally).
func pruneRemote(ctx context.Context, e *env, base, key string, roots []string, pruneEmpty bool) (int, bool, error) {
	base = strings.TrimRight(base, "/")
	// A folder given twice (bao-cao and ./bao-cao) is pruned once, with its files once.
	type group struct {
		dirs    []string
		present []string
		files   int // files found, those without a label included
		skip    bool
	}
	groups := map[string]*group{}
	var order []string
	left := false
	for _, p := range roots {
		st, err := os.Stat(p)
		if err == nil && !st.IsDir() {
			continue // a file given by itself is there: nothing of it to prune
		}
		abs, aerr := filepath.Abs(p)
		if aerr != nil {
			return 0, left, aerr
		}
		label, lerr := pathLabel(abs)
		if lerr != nil {
			// Its files' labels are invalid too (longer still, or with the same character): they were sent
			// without one, so the server holds no label under it and there is nothing to prune.
			fmt.Fprintf(e.stderr, "CẢNH BÁO %s: đường dẫn thư mục không dùng làm tên tệp nguồn được (%v), "+
				"tệp của nó được gửi không kèm tên nên không có gì để dọn\n", p, lerr)
			continue
		}
		g := groups[label]
		if g == nil {
			g = &group{}
			groups[label] = g
			order = append(order, label)
		}
		g.dirs = append(g.dirs, abs)
		if err != nil {
			fmt.Fprintf(e.stderr, "KHÔNG DỌN %s: không đọc được đường dẫn này nên không xoá tài liệu nào của nó\n", p)
			g.skip, left = true, true
			continue
		}
		present, files, bad := presentLabels(abs)
		if bad != "" {
			// A part not read says nothing about the files in it: pruning would delete their documents.
			fmt.Fprintf(e.stderr, "KHÔNG DỌN %s: không đọc được %s nên không xoá tài liệu nào của thư mục này\n", abs, bad)
			g.skip, left = true, true
		}
		g.present, g.files = append(g.present, present...), g.files+files
	}
	deleted := 0
	for _, label := range order {
		g := groups[label]
		if g.skip {
			continue
		}
		// The server's guard takes no label present for an empty folder; a folder whose files all have no
		// label is not empty, so that guard is not for it.
		empty := pruneEmpty || g.files > 0
		body, err := json.Marshal(map[string]any{"root": label, "present": nonNil(g.present), "prune_empty": empty})
		if err != nil {
			return deleted, left, err
		}
		b, err := apiCall(ctx, http.MethodPost, base+"/api/v1/documents/prune", key, body, 10*time.Minute)
		if err != nil {
			if ctx.Err() != nil {
				return deleted, left, fmt.Errorf("đã dừng giữa chừng; chạy lại cùng lệnh để tiếp tục: %w", ctx.Err())
			}
			fmt.Fprintf(e.stderr, "KHÔNG DỌN %s: %v\n", strings.Join(g.dirs, ", "), err)
			left = true
			continue
		}
		var out struct {
			Deleted []string `json:"deleted"`
			Refused *struct {
				Files     int `json:"files"`
				Documents int `json:"documents"`
			} `json:"refused"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return deleted, left, fmt.Errorf("câu trả lời của máy chủ khi dọn %s không đọc được: %w", label, err)
		}
		deleted += len(out.Deleted)
		if out.Refused != nil {
			printPruneRefused(e, strings.Join(g.dirs, ", "), out.Refused.Files, out.Refused.Documents)
			left = true
		}
	}
	return deleted, left, nil
}

// presentLabels lists the labels of every file in dir (hidden ones and links included, as a local
// prune sees any of them as there; a ketnoi data directory inside is not the staff's files), counts the
// files found (those whose label is invalid included), and names the first part of it that could not be
// read ("" when all was).
func presentLabels(dir string) ([]string, int, string) {
	var labels []string
	files := 0
	bad := ""
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			bad = path
			return filepath.SkipAll
		}
		if path == dir && !de.IsDir() {
			bad = dir // a link to a folder, not walked: its files are not known
			return filepath.SkipAll
		}
		if de.IsDir() {
			if path != dir && isDataDir(path) {
				return filepath.SkipDir
			}
			return nil
		}
		files++
		if label, err := sourceFile(path); err == nil {
			labels = append(labels, label)
		}
		return nil
	})
	if err != nil && !errors.Is(err, filepath.SkipAll) && bad == "" {
		bad = dir
	}
	return labels, files, bad
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// printPruneRefused is the line of a folder the empty-folder guard left alone, locally or on a server.
func printPruneRefused(e *env, root string, files, docs int) {
	fmt.Fprintf(e.stderr, "KHÔNG DỌN %s: thư mục trống hẳn (ổ mạng chưa gắn?) mà dọn sẽ xoá %d tài liệu (%d tệp đã lập chỉ mục ở đó "+
		"không còn thấy); chưa xoá tài liệu nào. Nếu đúng là đã bỏ hết tệp ở đó, chạy lại với --prune --prune-empty\n",
		root, docs, files)
}
