package indexer

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"ketnoi/corpus"
)

// An upload's path on the server is new every time, so nothing links a file sent again to what it sent
// before. An upload may name the file it is a version of (ketnoi index --server sends the file's absolute
// path on the sending machine, the identity a local run keys its files by): a label, never used as a
// path, under which the file's state is kept, so that a changed version replaces the document of the last
// one as a changed file on disk does.

// MaxSourceFile bounds an upload's file label, in bytes.
const MaxSourceFile = 1024

// uploadKeyPrefix keeps labels apart from the paths of files indexed from disk (absolute paths).
const uploadKeyPrefix = "upload:"

// CheckSourceFile checks an upload's file label ("" is none); the error says in Vietnamese what is wrong
// with it. A label is used as it is and compared byte for byte, never normalised (no NFC, no trimming):
// two files whose names differ only by Unicode normalisation or spaces are two files on most file
// systems, and folding their labels together would let one replace the other's report (the client puts
// labels in NFC only where the file system finds a name either way).
func CheckSourceFile(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("tên tệp nguồn (source_file) không phải văn bản UTF-8 hợp lệ")
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return errors.New("tên tệp nguồn (source_file) chứa ký tự điều khiển")
	}
	if len(s) > MaxSourceFile {
		return fmt.Errorf("tên tệp nguồn (source_file) dài %d byte, quá giới hạn %d byte", len(s), MaxSourceFile)
	}
	return nil
}

// UploadKey is the key of the file state of the uploads labelled source by the uploader by (the id of the
// API key or signed-in user, Job.By). Labels are each uploader's own: two staff members sending files of
// the same path from their own machines must not replace each other's reports. The price is
// that a new key starts afresh: a file changed since the last run under the old key comes in beside its
// old version instead of replacing it, while unchanged files are still recognised by their content.
func UploadKey(by, source string) string { return uploadKeyPrefix + by + "/" + source }

// Held is what the store holds of a file's content, as an upload of it without a sidecar would find it:
// its document (DocID of the content) live, or deleted by staff. The zero Held: nothing.
type Held struct {
	ID       string
	Live     bool // in the store and the search, read from this very content
	Deleted  bool // deleted by staff: an upload of the content leaves it deleted unless asked to restore it
	NeedsOCR bool // live, with pages kept without OCR
	// SourceFile: the last upload labelled as asked gave this very document, so sending the content
	// again under that label changes nothing.
	SourceFile bool
}

// ContentHeld says what the store holds of content sha (hex SHA-256), and whether the last upload
// labelled source ("" to not ask) by the uploader by gave it. It reads one record and one file state, so that a client can
// learn it without sending the file (ketnoi index --server).
func ContentHeld(st *corpus.Store, sha, by, source string) (Held, error) {
	id := DocID(sha)
	h := Held{ID: id}
	e, err := st.Get(id)
	switch {
	case err == nil:
		rec, err := e.Decode()
		if err != nil {
			return Held{}, fmt.Errorf("đọc bản ghi %s: %w", id, err)
		}
		r, ok := rec.(*corpus.Result)
		if !ok || r.Extraction == nil || r.Extraction.SHA256 != sha {
			return Held{}, nil // the id is another record's
		}
		h.Live, h.NeedsOCR = true, r.Extraction.NeedsOCR
	case errors.Is(err, corpus.ErrNotFound):
		orig, deleted, err := st.Deleted(id)
		if err != nil {
			return Held{}, err
		}
		if !deleted || orig != sha {
			return Held{}, nil
		}
		h.Deleted = true
	default:
		return Held{}, err
	}
	if source != "" {
		fs, found, err := st.FileState(UploadKey(by, source))
		if err != nil {
			return Held{}, err
		}
		h.SourceFile = found && fs.Outcome == corpus.FileIndexed && fs.DocID == id && fs.SHA256 == sha
	}
	return h, nil
}

// writtenFrom reports whether st was written from the very file c (the same path or upload, size, time
// and sidecar).
func writtenFrom(st corpus.FileState, c candidate) bool {
	from := st.From
	if from == "" {
		from = st.Path
	}
	return from == c.path && st.Unchanged(c.size, c.mtime) && st.Sidecar == c.sidecar
}

// reported is the outcome the run that wrote st gave for file c (with its warnings), its pages as its
// document has them.
func (p *Pipeline) reported(st corpus.FileState, c candidate) FileOutcome {
	o := FileOutcome{Path: c.path, Outcome: st.Reported, DocID: st.DocID, NeedsOCR: st.NeedsOCR, Bytes: c.size, Warnings: st.Warnings}
	if r := p.existing(st.DocID); r != nil && r.Extraction != nil {
		o.Pages, o.Rungs = r.Extraction.Pages, r.Extraction.Rungs
	}
	return o
}
