package oai

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// A resumption token carries the whole state of a list request, so the provider keeps nothing between
// requests: the request's arguments, the store's change sequence number of the last item sent (items go out
// in sequence order, so paging is stable while the store changes: a record changed meanwhile moves to the
// end of the list and comes again, none is skipped), how many items were sent, the size of the complete list
// when it started, and when the token expires. It is opaque to harvesters (base64url of JSON) and checked
// again in full when it comes back: a token is only ever a shortcut for arguments the harvester could send.

const maxTokenBytes = 1000

type token struct {
	Verb   string `json:"v"`
	Prefix string `json:"p"`
	Set    string `json:"s,omitempty"`
	From   string `json:"f,omitempty"`
	Until  string `json:"u,omitempty"`
	After  uint64 `json:"a"`
	Cursor int    `json:"c"`
	Total  int    `json:"n"`
	Expiry int64  `json:"e"` // Unix seconds
}

func (t *token) encode() string {
	b, _ := json.Marshal(t) // plain fields: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeToken reads a token sent with verb; any fault is badResumptionToken.
func decodeToken(s, verb string, now time.Time) (*token, error) {
	bad := protoErr(ErrBadResumptionToken, "resumptionToken không hợp lệ; hãy bắt đầu lại danh sách từ đầu.")
	if len(s) > maxTokenBytes {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var t token
	if err := json.Unmarshal(b, &t); err != nil || t.Prefix == "" || t.Cursor < 0 || t.Total < 0 {
		return nil, bad
	}
	if t.Verb != verb {
		return nil, protoErr(ErrBadResumptionToken, "resumptionToken này thuộc lệnh %s, không dùng được cho %s.", t.Verb, verb)
	}
	if now.Unix() > t.Expiry {
		return nil, protoErr(ErrBadResumptionToken, "resumptionToken đã hết hạn lúc %s; hãy bắt đầu lại danh sách.",
			FormatDatestamp(time.Unix(t.Expiry, 0)))
	}
	return &t, nil
}
