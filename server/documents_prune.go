package server

import (
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"ketnoi/indexer"
)

// pruneRoute takes the list of a client's files (ketnoi index --server --prune): it may be far longer
// than the JSON bodies of other routes, so it has its own bound (see bodyLimit).
const pruneRoute = "/api/v1/documents/prune"

// maxPruneBody bounds the body of pruneRoute: some 200 000 files under labels of 80 bytes.
const maxPruneBody = 16 << 20

// pruneRequest is the body of POST /api/v1/documents/prune.
type pruneRequest struct {
	// Root is the label of the client's folder: its absolute path, slash-separated, under which its files
	// are labelled.
	Root string `json:"root"`
	// Present are the labels of every file the client found in the folder, sent or not.
	Present    []string `json:"present"`
	PruneEmpty bool     `json:"prune_empty"`
}

// pruneAnswer is what POST /api/v1/documents/prune did: the documents deleted, or why nothing was.
type pruneAnswer struct {
	Root    string        `json:"root"`
	Deleted []string      `json:"deleted"`
	Refused *pruneRefusal `json:"refused,omitempty"`
}

// pruneRefusal is the empty-folder guard's answer: the files labelled under the root, all gone, and the
// documents pruning would have deleted.
type pruneRefusal struct {
	Files     int `json:"files"`
	Documents int `json:"documents"`
}

// apiPrune forgets the uploads the request's key (or user) labelled under its folder whose file it no
// longer has (another uploader's labels are its own), and deletes the documents left with no source, as
// `ketnoi index --prune` does for a folder on disk. A folder with no file at all is refused (a normal
// answer, with the counts) when that would delete documents, unless prune_empty: it is what a share not
// mounted looks like.
func (s *Server) apiPrune(c echo.Context) error {
	req := c.Request()
	if req.ContentLength > maxPruneBody {
		return pruneTooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, maxPruneBody))
	if err != nil {
		return pruneTooLarge()
	}
	var in pruneRequest
	if err := decodeStrict(body, &in, "root, present, prune_empty"); err != nil {
		return err
	}
	root := in.Root
	err = indexer.CheckSourceFile(root)
	if err == nil && !cleanRoot(root) {
		err = fmt.Errorf("cần đường dẫn tuyệt đối của thư mục, dấu / ngăn cách (như /home/canbo/bao-cao, C:/bao-cao " +
			"hay ổ mạng //may-chu/chung/bao-cao), không rỗng, không có dấu \\, không có // ở giữa hay phần \".\" hoặc \"..\"")
	}
	if err != nil {
		return apiErr(http.StatusBadRequest, "bad_root", "Trường \"root\" không hợp lệ: "+err.Error()+".")
	}
	present := make(map[string]bool, len(in.Present))
	for i, label := range in.Present {
		err := indexer.CheckSourceFile(label)
		if err == nil && !strings.HasPrefix(label, indexer.UploadRootPrefix(root)) {
			err = fmt.Errorf("không nằm dưới thư mục gốc %q", root)
		}
		if err != nil {
			return apiErr(http.StatusBadRequest, "bad_source_file",
				"Phần tử "+strconv.Itoa(i)+" của \"present\" không hợp lệ: "+err.Error()+".")
		}
		present[label] = true
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	ctx, cancel := writeDone(req.Context()) // the index sync after the store's write must finish
	defer cancel()
	del, refused, err := indexer.PruneUploads(ctx, s.store, s.idx, principalID(c), root, present, in.PruneEmpty)
	if err != nil {
		return err
	}
	out := pruneAnswer{Root: root, Deleted: del}
	if out.Deleted == nil {
		out.Deleted = []string{}
	}
	if refused != nil {
		out.Refused = &pruneRefusal{Files: refused.Files, Documents: refused.Documents}
	}
	reason := "xoá " + strconv.Itoa(len(del)) + " tài liệu"
	if refused != nil {
		reason = "không dọn: thư mục trống hẳn"
	}
	noteAudit(c, "documents.prune", root, reason)
	return c.JSON(http.StatusOK, out)
}

// cleanRoot accepts the label of a folder as ketnoi index --server writes it (the folder's absolute path,
// slash-separated: "/home/canbo/bao-cao", "C:/bao-cao", "/" or "C:/"; a base name from older clients) and
// refuses what no clean path is ("", "a//b", "a/./b", "a/../b"), whose prefix no label would be under.
// One trailing slash is allowed: it names the same folder (see indexer.UploadRootPrefix).
func cleanRoot(root string) bool {
	r := strings.TrimSuffix(root, "/")
	if strings.TrimSpace(r) == "" {
		return root == "/"
	}
	if strings.Contains(r, "\\") { // labels are slash-separated: such a root would match none and prune nothing
		return false
	}
	// A Windows network share (\\srv\share) keeps its leading "//", which path.Clean would fold into one.
	if strings.HasPrefix(r, "//") && !strings.HasPrefix(r, "///") {
		r = r[1:]
	}
	return path.Clean(r) == r && !strings.HasSuffix(r, "/") && r != "." && r != ".." && !strings.HasPrefix(r, "../")
}

func pruneTooLarge() error {
	return apiErr(http.StatusRequestEntityTooLarge, "body_too_large",
		fmt.Sprintf("Danh sách tệp gửi lên quá lớn (tối đa %d MB).", maxPruneBody>>20))
}
