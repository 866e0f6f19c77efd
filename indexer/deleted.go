package indexer

import (
	"fmt"

	"ketnoi/corpus"
)

// Documents staff deleted. The rule is the same for a folder indexed again, a file copied or only touched,
// and an upload (whose path is new every time): a deleted document is not brought back by a file with the
// content it was read from, only when asked (Pipeline.Restore). A file whose content changed is another
// version and goes in, unless its sidecar gives the deleted document's id.

func (p *Pipeline) restore(path string) bool { return p.Restore != nil && p.Restore(path) }

// docDeleted reports whether the document an unchanged file gave was deleted since, and whether the file
// holds other content than the one it was read from (its sidecar gives the deleted document's id).
func (p *Pipeline) docDeleted(st corpus.FileState) (deleted, changed bool, err error) {
	if st.Outcome != corpus.FileIndexed || st.DocID == "" {
		return false, false, nil
	}
	orig, deleted, err := p.Store.Deleted(st.DocID)
	return deleted, deleted && orig != st.SHA256, err
}

// keepDeleted makes o the outcome of a file kept deleted: changed when its sidecar (or an upload's record)
// named the document and its content is not the one the document was read from.
func keepDeleted(o *FileOutcome, changed bool) {
	KeepDeleted(o)
	if changed {
		o.Message = fmt.Sprintf("tài liệu %s đã bị xoá; tệp kèm (hay trường record) đặt đúng mã này nên tệp không đưa nó trở lại, kể cả khi nội dung đã đổi", o.DocID)
	}
}

// contentDeleted reports whether a file read again (touched, copied, uploaded) holds the content sha of
// document id, deleted by staff and not asked back; existing is id's live record, if any. An id a sidecar
// (or an upload's record) gives is held by the id, whatever the content, as an imported record's is: staff
// deleted that id, and a new version of the file under it is still that document (byID). changed: the
// file holds other content than the deleted document was read from.
func (p *Pipeline) contentDeleted(c candidate, existing *corpus.Result, id, sha string, byID bool) (deleted, changed bool, err error) {
	if existing != nil || p.restore(c.path) {
		return false, false, nil
	}
	orig, deleted, err := p.Store.Deleted(id)
	return deleted && (orig == sha || byID), orig != sha, err
}

// KeepDeleted makes o the outcome of a file whose document (o.DocID) staff deleted and that stays deleted:
// the same for a local run and for a file ketnoi index --server learns of without sending it.
func KeepDeleted(o *FileOutcome) {
	o.Outcome, o.Deleted, o.NeedsOCR = OutcomeUnchanged, true, false
	o.Message = fmt.Sprintf("tài liệu %s đã bị xoá; tệp cùng nội dung không đưa nó trở lại", o.DocID)
}
