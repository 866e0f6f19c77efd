package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"ketnoi/server"
)

// compactRemote asks a running server to merge its index (POST /api/v1/admin/compact) and follows the merge
// until it ends. A merge already running, started by someone else, is followed the same way.
func compactRemote(ctx context.Context, e *env, base, key string) error {
	client := &http.Client{Timeout: 30 * time.Second}
	st, code, err := compactCall(ctx, client, http.MethodPost, base, key)
	switch {
	case err != nil:
		return err
	case code == http.StatusConflict:
		fmt.Fprintln(e.stdout, "Máy chủ đang gộp chỉ mục (do một yêu cầu khác); chờ đến khi xong.")
	default:
		fmt.Fprintf(e.stdout, "Máy chủ bắt đầu gộp chỉ mục (%.1f MB%s); tìm kiếm và ghi vẫn tiếp tục.\n", float64(st.SizeBefore)/1e6, parts(st.Segments))
	}
	for {
		select {
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("thôi chờ (máy chủ vẫn gộp tiếp): %w", ctx.Err())
		}
		if st, _, err = compactCall(ctx, client, http.MethodGet, base, key); err != nil {
			return err
		}
		switch st.State {
		case server.CompactDone:
			fmt.Fprintf(e.stdout, "Đã gộp chỉ mục trong %s: %.1f MB → %.1f MB%s.\n",
				(time.Duration(st.TookMS) * time.Millisecond).Round(time.Millisecond), float64(st.SizeBefore)/1e6, float64(st.SizeAfter)/1e6,
				parts(st.Segments))
			return nil
		case server.CompactFailed:
			return fmt.Errorf("máy chủ không gộp được chỉ mục: %s", st.Error)
		case server.CompactIdle: // the server restarted meanwhile
			return fmt.Errorf("máy chủ không còn lần gộp nào (có lẽ vừa khởi động lại); chạy lại lệnh này")
		}
	}
}

// compactCall makes one call to /api/v1/admin/compact; a 409 (a merge is running) is not an error.
func compactCall(ctx context.Context, client *http.Client, method, base, key string) (server.CompactStatus, int, error) {
	var st server.CompactStatus
	req, err := http.NewRequestWithContext(ctx, method, base+"/api/v1/admin/compact", nil)
	if err != nil {
		return st, 0, fmt.Errorf("địa chỉ máy chủ %q không hợp lệ: %w", base, err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return st, 0, fmt.Errorf("gọi máy chủ: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted {
		if err := json.Unmarshal(b, &st); err != nil {
			return st, resp.StatusCode, fmt.Errorf("máy chủ trả lời không đọc được: %w", err)
		}
		return st, resp.StatusCode, nil
	}
	var ae server.APIError
	if json.Unmarshal(b, &ae) == nil && ae.Code == "compact_running" {
		return st, resp.StatusCode, nil
	}
	msg := string(bytes.TrimSpace(b))
	if ae.Message != "" {
		msg = ae.Message
	}
	return st, resp.StatusCode, fmt.Errorf("máy chủ trả lời %d: %s", resp.StatusCode, msg)
}

// parts says a segment count, when the server knows it.
func parts(n int) string {
	if n < 0 {
		return ""
	}
	return fmt.Sprintf(", %d phần", n)
}
