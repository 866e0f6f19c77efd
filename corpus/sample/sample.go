// Package sample embeds ketnoi's bundled sample corpus: research results and technology needs of the
// province, written by the team in Vietnamese, so that `ketnoi serve` shows something real on a fresh
// machine and tests have a realistic corpus to work on.
package sample

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"ketnoi/corpus"
)

//go:embed data/*.jsonl
var files embed.FS

// Source is the source name recorded on sample records.
const Source = "sample"

// Files lists the sample's record files.
func Files() []string {
	names, _ := fs.Glob(files, "data/*.jsonl")
	sort.Strings(names)
	return names
}

// Records returns every sample record. The sample is part of the product: any problem in it, even a
// warning, is an error here (tests keep it clean).
func Records() ([]corpus.Record, error) {
	var out []corpus.Record
	for _, name := range Files() {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		err = corpus.ReadRecords(name, bytes.NewReader(b), corpus.FormatJSONL, func(p corpus.Parsed) error {
			if len(p.Problems) > 0 {
				return fmt.Errorf("mẫu dữ liệu có lỗi: %s", p.Problems[0])
			}
			out = append(out, p.Record)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
