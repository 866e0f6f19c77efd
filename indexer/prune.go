package indexer

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"ketnoi/corpus"
)

// PruneRefused is a root Prune left alone: a folder with no file left anywhere in it while pruning it
// would delete documents. That is what a network share that is not mounted looks like (its mount point
// is an empty folder), so its documents are deleted only when the caller confirms the folder was emptied
// on purpose.
type PruneRefused struct {
	Root string
	// Files are the files recorded under the root, all gone; Documents the documents pruning it would
	// delete (fewer when some also come from files elsewhere).
	Files, Documents int
}

// Prune forgets the files under roots that are gone from disk, taking each out of its document's sources,
// and deletes the documents left with no file (their originals stay until purged). It returns the ids
// deleted, and the roots it refused: folders now entirely empty whose pruning would delete documents,
// unless emptyOK. A file under a refused root is kept even when another root given holds it too.
func Prune(ctx context.Context, store *corpus.Store, idx Index, roots []string, emptyOK bool) ([]string, []PruneRefused, error) {
	byRoot := make([][]string, len(roots)) // gone files under each root
	var gone []string
	err := store.FileStates(func(st corpus.FileState) error {
		in := rootsOf(st.Path, roots)
		if len(in) == 0 || exists(st.Path) {
			return nil
		}
		for _, i := range in {
			byRoot[i] = append(byRoot[i], st.Path)
		}
		gone = append(gone, st.Path)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var refused []PruneRefused
	kept := map[string]bool{}
	for i, root := range roots {
		if emptyOK || len(byRoot[i]) == 0 || !emptyFolder(root) {
			continue
		}
		r, err := refuseEmpty(store, root, byRoot[i])
		if err != nil {
			return nil, nil, err
		}
		if r == nil {
			continue
		}
		refused = append(refused, *r)
		for _, p := range byRoot[i] {
			kept[p] = true
		}
	}
	if len(kept) > 0 {
		var rest []string
		for _, p := range gone {
			if !kept[p] {
				rest = append(rest, p)
			}
		}
		gone = rest
	}
	del, err := forgetGone(ctx, store, idx, gone)
	if err != nil {
		return nil, nil, err
	}
	return del, refused, nil
}

// refuseEmpty is the refusal to prune root, found with no file at all, of its gone files: nil when
// forgetting them deletes no document (only file states to forget: nothing is lost if the folder comes
// back).
func refuseEmpty(store *corpus.Store, root string, gone []string) (*PruneRefused, error) {
	del, err := store.GoneFilesWouldDelete(gone)
	if err != nil || len(del) == 0 {
		return nil, err
	}
	return &PruneRefused{Root: root, Files: len(gone), Documents: len(del)}, nil
}

// forgetGone forgets the gone files, deleting the documents left with no file, and brings the index up.
func forgetGone(ctx context.Context, store *corpus.Store, idx Index, gone []string) ([]string, error) {
	del, err := store.ForgetGoneFiles(gone)
	if err != nil {
		return nil, err
	}
	if _, err := Sync(ctx, store, idx, nil); err != nil {
		return nil, err
	}
	return del, nil
}

// rootsOf returns the indexes of the roots path is under.
func rootsOf(path string, roots []string) []int {
	var in []int
	for i, r := range roots {
		r = filepath.Clean(r)
		if path == r || strings.HasPrefix(path, r+string(filepath.Separator)) {
			in = append(in, i)
		}
	}
	return in
}

// emptyFolder reports a folder with no file anywhere in it (hidden ones included; subfolders do not
// count). A folder any part of which cannot be read is not known to be empty.
func emptyFolder(dir string) bool {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return false
	}
	errFound := errors.New("found")
	err := filepath.WalkDir(dir, func(_ string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !de.IsDir() {
			return errFound
		}
		return nil
	})
	return err == nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// UploadRootPrefix is what the labels of the files in the folder labelled root begin with: root and a
// slash, once. ketnoi index --server labels a folder by its absolute path, slash-separated, so the root
// may be the filesystem's ("/") or a drive's ("C:/"), which end with the slash already.
func UploadRootPrefix(root string) string { return strings.TrimSuffix(root, "/") + "/" }

// PruneUploads is Prune for the files the uploader by sends under labels (ketnoi index --server, see
// UploadKey): by walked the folder it labels root and found the files labelled present, so its uploads
// labelled under it (UploadRootPrefix) that are not among them are gone; other uploaders' labels are
// theirs. Labels are compared, never read as paths. An uploader that found no file at all in the folder gets the same guard
// as Prune's empty folder: nothing is deleted, and the refusal returned, unless emptyOK. The store and the
// index are changed as Prune does.
func PruneUploads(ctx context.Context, store *corpus.Store, idx Index, by, root string, present map[string]bool, emptyOK bool) ([]string, *PruneRefused, error) {
	mine, under := UploadKey(by, ""), UploadKey(by, UploadRootPrefix(root))
	var gone []string
	err := store.FileStates(func(st corpus.FileState) error {
		if strings.HasPrefix(st.Path, under) && !present[strings.TrimPrefix(st.Path, mine)] {
			gone = append(gone, st.Path)
		}
		return nil
	})
	if err != nil || len(gone) == 0 {
		return nil, nil, err
	}
	if len(present) == 0 && !emptyOK {
		if r, err := refuseEmpty(store, root, gone); err != nil || r != nil {
			return nil, r, err
		}
	}
	del, err := forgetGone(ctx, store, idx, gone)
	return del, nil, err
}
