package oai

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

// finishFiles downloads the pending full-text files of stored records and indexes them through the
// document pipeline, as `ketnoi index` does a report with its sidecar: the file is laid in FileDir under a
// name made from a hash of the record's id, with a sidecar holding the record (its id included), so the
// text extracted from the file joins the harvested record instead of making a new one. The downloaded copy
// is removed afterwards: the pipeline keeps the original in the store. A file that cannot be had or read
// leaves its record as it was (metadata only), with a warning.
func (h *Harvester) finishFiles(ctx context.Context, key string, state *corpus.HarvestState, st *Stats) error {
	if h.Files != nil && h.Pipeline != nil && len(state.Pending) > 0 {
		if err := h.indexFiles(ctx, state.Pending, st); err != nil {
			return err
		}
	}
	state.Pending = nil
	return h.Store.SetHarvestState(key, *state)
}

func (h *Harvester) indexFiles(ctx context.Context, pending []corpus.HarvestFile, st *Stats) error {
	if err := os.MkdirAll(h.FileDir, 0o755); err != nil {
		return fmt.Errorf("tạo thư mục tải tệp %s: %w", h.FileDir, err)
	}
	var paths, sidecars []string
	names, ids := map[string]string{}, map[string]string{}
	defer func() {
		for _, p := range append(paths, sidecars...) {
			os.Remove(p)
		}
	}()
	for _, f := range pending {
		if err := ctx.Err(); err != nil {
			return err
		}
		side, err := h.sidecar(f.ID)
		if errors.Is(err, corpus.ErrNotFound) {
			continue // deleted since
		}
		if err != nil {
			return err
		}
		stem := fileStem(f.ID)
		var path, name string
		var lastErr error
		for _, u := range f.URLs {
			if path, name, lastErr = h.Files.Fetch(ctx, u, h.FileDir, stem); lastErr == nil {
				break
			}
		}
		if path == "" {
			st.FilesFailed++
			h.log("CẢNH BÁO %s: không lấy được tệp toàn văn (%v); bản ghi chỉ có siêu dữ liệu", f.ID, lastErr)
			continue
		}
		sc := filepath.Join(h.FileDir, stem+".json")
		if err := os.WriteFile(sc, side, 0o644); err != nil {
			os.Remove(path)
			return fmt.Errorf("ghi tệp kèm %s: %w", sc, err)
		}
		paths, sidecars = append(paths, path), append(sidecars, sc)
		names[path], ids[path] = name, f.ID
	}
	if len(paths) == 0 {
		return nil
	}
	// The paths are the harvester's own and used again for the record's next version: what the store
	// remembers of them from an earlier run must not make the pipeline skip them.
	if err := h.Store.ForgetFiles(paths); err != nil {
		return err
	}
	p := *h.Pipeline
	p.DisplayName = func(path string) string { return names[path] }
	p.OnFile = func(o indexer.FileOutcome) {
		if o.Outcome == indexer.OutcomeFailed {
			st.FilesFailed++
			h.log("CẢNH BÁO %s: tệp toàn văn %s không đọc được [%s] %s", ids[o.Path], names[o.Path], o.Reason, o.Message)
			return
		}
		st.Files++
		h.log("Tệp toàn văn %s: %s, %d trang", names[o.Path], o.DocID, o.Pages)
	}
	p.OnProgress = nil
	_, err := p.Run(ctx, paths)
	if ferr := h.Store.ForgetFiles(paths); err == nil {
		err = ferr
	}
	return err
}

// cleanFiles removes what a killed run may have left in FileDir (downloads, temporary files, sidecars) and
// what the store remembers of them; a run holds the data directory, so none is in use.
func (h *Harvester) cleanFiles() error {
	entries, err := os.ReadDir(h.FileDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("đọc thư mục tải tệp %s: %w", h.FileDir, err)
	}
	for _, e := range entries {
		os.Remove(filepath.Join(h.FileDir, e.Name()))
	}
	var stale []string
	prefix := filepath.Clean(h.FileDir) + string(filepath.Separator)
	err = h.Store.FileStates(func(st corpus.FileState) error {
		if strings.HasPrefix(st.Path, prefix) {
			stale = append(stale, st.Path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return h.Store.ForgetFiles(stale)
}

// sidecar is the stored record as a sidecar for its file: every field but the text, which comes from the
// file, and the list of hand-corrected fields, which the pipeline keeps from the stored record itself.
func (h *Harvester) sidecar(id string) ([]byte, error) {
	e, err := h.Store.Get(id)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(e.Record, &m); err != nil {
		return nil, fmt.Errorf("bản ghi %s hỏng trong kho: %w", id, err)
	}
	for _, k := range []string{"pages", "extraction", "edited"} {
		delete(m, k)
	}
	return json.Marshal(m)
}

// fileStem names a record's downloaded file: a hash of its id, so that nothing the remote sent becomes a
// local name.
func fileStem(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "tt-" + strings.ToLower(hex.EncodeToString(sum[:8]))
}
