package indexer

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// An upload's path on the server is new every time, so nothing links a file sent again to what it sent
// before. An upload may name the file it is a version of (ketnoi index --server sends the file's path in
// the folder it was given): a label, never used as a path, under which the file's state is kept, so that
// a changed version replaces the document of the last one as a changed file on disk does.

// MaxSourceFile bounds an upload's file label, in bytes.
const MaxSourceFile = 1024

// uploadKeyPrefix keeps labels apart from the paths of files indexed from disk (absolute paths).
const uploadKeyPrefix = "upload:"

// CleanSourceFile checks an upload's file label and returns it normalised (NFC, trimmed); "" when none
// was given. The error says in Vietnamese what is wrong with it.
func CleanSourceFile(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errors.New("tên tệp nguồn (source_file) không phải văn bản UTF-8 hợp lệ")
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", errors.New("tên tệp nguồn (source_file) chứa ký tự điều khiển")
	}
	if len(s) > MaxSourceFile {
		return "", fmt.Errorf("tên tệp nguồn (source_file) dài %d byte, quá giới hạn %d byte", len(s), MaxSourceFile)
	}
	return s, nil
}

// UploadKey is the key of the file state of the uploads labelled source.
func UploadKey(source string) string { return uploadKeyPrefix + source }
