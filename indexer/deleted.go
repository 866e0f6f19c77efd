package indexer

import (
	"fmt"

	"ketnoi/corpus"
)

// Documents staff deleted. The rule is the same for a folder indexed again, a file copied or only touched,
// and an upload (whose path is new every time): a deleted document is not brought back by a file with the
// content it was read from, only when asked (Pipeline.Restore). A file whose content changed is another
// version and goes in.

func (p *Pipeline) restore(path string) bool { return p.Restore != nil && p.Restore(path) }

// docDeleted reports whether the document an unchanged file gave was deleted since.
func (p *Pipeline) docDeleted(st corpus.FileState) (bool, error) {
	if st.Outcome != corpus.FileIndexed || st.DocID == "" {
		return false, nil
	}
	_, deleted, err := p.Store.Deleted(st.DocID)
	return deleted, err
}

// contentDeleted reports whether a file read again (touched, copied, uploaded) holds the content sha of
// document id, deleted by staff and not asked back; existing is id's live record, if any.
func (p *Pipeline) contentDeleted(c candidate, existing *corpus.Result, id, sha string) (bool, error) {
	if existing != nil || p.restore(c.path) {
		return false, nil
	}
	orig, deleted, err := p.Store.Deleted(id)
	return deleted && orig == sha, err
}

// KeepDeleted makes o the outcome of a file whose document (o.DocID) staff deleted and that stays deleted:
// the same for a local run and for a file ketnoi index --server learns of without sending it.
func KeepDeleted(o *FileOutcome) {
	o.Outcome, o.Deleted, o.NeedsOCR = OutcomeUnchanged, true, false
	o.Message = fmt.Sprintf("tài liệu %s đã bị xoá; tệp cùng nội dung không đưa nó trở lại", o.DocID)
}
