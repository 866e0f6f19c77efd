package oai

import (
	"crypto/sha256"
	"fmt"
)

// maxEmptyPages bounds how many pages in a row may come without a record while the list goes on: some
// repositories filter records after paging and send a few empty pages, none sends a thousand.
const maxEmptyPages = 1000

// loopGuard stops a list that goes round in a circle instead of ending: a resumption token the list gave
// before (tokens A, B, A, B…), the same page again and again under new tokens (a repository that ignores
// the token it is sent), or empty pages without end. Each would otherwise keep the harvest asking forever.
type loopGuard struct {
	tokens map[string]bool
	pages  map[[sha256.Size]byte]int
	empty  int
}

// newLoopGuard starts a list; resumed is the token a resumed list starts from, if any.
func newLoopGuard(resumed string) *loopGuard {
	g := &loopGuard{tokens: map[string]bool{}, pages: map[[sha256.Size]byte]int{}}
	if resumed != "" {
		g.tokens[resumed] = true
	}
	return g
}

// check looks at the next response of the list before it is stored.
func (g *loopGuard) check(resp *Response) error {
	if resp.Token == "" {
		return nil // the last page: the list ends
	}
	if g.tokens[resp.Token] {
		return fmt.Errorf("%w: kho trả lại một resumptionToken đã dùng trong lần thu thập này; dừng để không lặp vô hạn", ErrProtocol)
	}
	g.tokens[resp.Token] = true
	if len(resp.Records) == 0 {
		if g.empty++; g.empty >= maxEmptyPages {
			return fmt.Errorf("%w: kho gửi %d trang liền không có bản ghi nào mà danh sách vẫn chưa hết; dừng để không lặp vô hạn", ErrProtocol, g.empty)
		}
	} else {
		g.empty = 0
		h := sha256.New()
		for _, r := range resp.Records {
			fmt.Fprintf(h, "%s\x00%s\x00%t\x00", r.Identifier, r.Datestamp, r.Deleted)
		}
		var k [sha256.Size]byte
		h.Sum(k[:0])
		// A record changed while the list is paged may come again, so one repeat is let by; a third copy
		// of a whole page is a repository sending the same page whatever token it is given.
		if g.pages[k]++; g.pages[k] >= 3 {
			return fmt.Errorf("%w: kho gửi lại đúng một trang bản ghi lần thứ %d dù resumptionToken khác (kho không theo resumptionToken); dừng để không lặp vô hạn", ErrProtocol, g.pages[k])
		}
	}
	return nil
}
