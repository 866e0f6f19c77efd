package main

import (
	"context"
	"errors"
	"fmt"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

func init() {
	register(&command{
		name:    "delete",
		summary: "xoá kết quả hoặc nhu cầu khỏi kho và chỉ mục",
		usage:   "[--purge] MÃ...",
		help: `
Xoá các bản ghi có mã đã cho: chúng biến mất khỏi tìm kiếm ngay khi lệnh xong. Tệp gốc (PDF, DOCX...) được
giữ lại trong kho để có thể khôi phục, trừ khi có --purge: khi đó tệp gốc của bản ghi bị xoá cũng bị xoá
nếu không còn bản ghi nào khác lấy từ nó. Bản ghi đã xoá không trở lại khi tệp của nó được lập chỉ mục hay
nhập lại, hay khi thu thập lại từ kho nguồn, trừ khi có --restore-deleted (ketnoi index, ketnoi harvest).
Khi máy chủ đang chạy, hãy xoá qua API
(DELETE /api/v1/results/MÃ với khoá cán bộ) hoặc trang cán bộ.`,
		run: runDelete,
	})
}

func runDelete(e *env, args []string) error {
	c := find("delete")
	fs := newFlags(e, c)
	purge := fs.Bool("purge", false, "xoá cả tệp gốc không còn dùng")
	ids, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return usageError{"cần ít nhất một mã bản ghi"}
	}
	ctx := context.Background()
	d, err := openData(ctx, e.data, nil)
	if err != nil {
		return err
	}
	defer d.close()
	var shas []string
	var live []string
	for _, id := range ids {
		ent, err := d.store.Tombstone(id)
		if errors.Is(err, corpus.ErrNotFound) {
			fmt.Fprintf(e.stderr, "LỖI %s: không có bản ghi này\n", id)
			continue
		}
		if err != nil {
			return err
		}
		shas = append(shas, ent.Original)
		if !ent.Deleted {
			live = append(live, id)
		} else if to, err := d.store.Replacement(id); err != nil {
			return err
		} else if to != "" && ent.Withdrawn {
			// An old version of a report: deleting it would leave the report in search.
			fmt.Fprintf(e.stderr, "LỖI %s: đã được thay bằng bản mới %s; muốn xoá báo cáo thì xoá %s\n", id, to, to)
		} else if ent.Withdrawn {
			// Gone with its file or its repository: deleting it now is staff's decision, which keeps it
			// deleted when the file comes back or the repository sends it again.
			live = append(live, id)
			fmt.Fprintf(e.stderr, "%s: đã mất vì tệp hay kho nguồn của nó; nay giữ là bản ghi cán bộ đã xoá (không trở lại khi nguồn đưa lại)\n", id)
		} else if !*purge {
			fmt.Fprintf(e.stderr, "%s: đã xoá từ trước\n", id)
		}
	}
	if len(live) > 0 {
		if err := d.store.Delete(live); err != nil {
			return err
		}
		if _, err := indexer.Sync(ctx, d.store, d.idx, nil); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Đã xoá %d bản ghi khỏi kho và chỉ mục.\n", len(live))
	}
	if *purge {
		removed, err := d.store.PurgeOriginals(shas)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Đã xoá %d tệp gốc không còn dùng.\n", len(removed))
	}
	if len(live) < len(ids) && !*purge {
		return exitError{1}
	}
	return nil
}
