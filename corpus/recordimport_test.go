package corpus

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// ImportRecords runs each batch's write through Around, once a batch; an error of Around stops the import,
// with the batches before it written and counted.
func TestImportRecordsAround(t *testing.T) {
	var jsonl strings.Builder
	for i := range 2*ImportBatch + 10 {
		fmt.Fprintf(&jsonl, `{"id": "kq-%04d", "kind": "result", "title": "Kết quả số %d"}`+"\n", i, i)
	}
	stop := errors.New("máy chủ đang dừng")
	for _, c := range []struct {
		name           string
		stopAt         int // the Around call that refuses (0: none)
		calls, written int
	}{
		{"every batch", 0, 3, 2*ImportBatch + 10},
		{"stopped at the second batch", 2, 2, ImportBatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			calls, kicks := 0, 0
			counts, err := st.ImportRecords(strings.NewReader(jsonl.String()), "ket-qua.jsonl", FormatJSONL, "test", "", false, ImportHooks{
				Written: func() { kicks++ },
				Around: func(write func() error) error {
					calls++
					if calls == c.stopAt {
						return stop
					}
					return write()
				},
			})
			if c.stopAt > 0 != errors.Is(err, stop) || calls != c.calls || counts.Added != c.written || kicks != c.written/ImportBatch+min(c.written%ImportBatch, 1) {
				t.Errorf("err %v, %d calls, %d added, %d kicks; want %d calls, %d added", err, calls, counts.Added, kicks, c.calls, c.written)
			}
			if n, _ := st.Counts(); n[KindResult] != c.written {
				t.Errorf("%d results stored, want %d", n[KindResult], c.written)
			}
		})
	}
}
