package indexer

import "context"

// Notify returns idx with a hook: after every batch the index applied successfully, after is called (in
// the applying goroutine: it must return at once, e.g. by signalling another goroutine). Every path by which
// records reach the index — imports, uploads, edits, deletes — goes through Apply, so this is the one place
// to learn that the index changed.
func Notify(idx Index, after func(*Batch)) Index {
	return &notifying{Index: idx, after: after}
}

type notifying struct {
	Index
	after func(*Batch)
}

// Unwrap is the index under the hook: merging it (CompacterOf) changes no record, so nobody is told.
func (n *notifying) Unwrap() Index { return n.Index }

func (n *notifying) Apply(ctx context.Context, b *Batch) error {
	if err := n.Index.Apply(ctx, b); err != nil {
		return err
	}
	n.after(b)
	return nil
}
