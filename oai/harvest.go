package oai

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus"
	"ketnoi/corpus/vntext"
	"ketnoi/indexer"
)

// Harvester imports the records of an OAI-PMH repository into a store, incrementally: each run asks for
// the records changed since the first response of the last complete run, stores each page with the state
// that follows it in one transaction (corpus.Store.PutHarvest), and removes the local copy of records the
// repository reports deleted. A run that is killed resumes from its saved resumption token, or, when the
// repository no longer accepts it, starts its list again from the same date: records already stored come
// back unchanged. Every harvested result keeps where it came from (source, source_id) and its links.
type Harvester struct {
	Store  *corpus.Store
	Index  indexer.Index
	Client *Client
	Set    string
	Prefix string // default oai_dc: the only format mapped to results
	// From overrides the date the run starts from (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ).
	From string
	// Restart forgets a run in progress and the last date: everything is asked for again.
	Restart bool
	// Restore brings back the records staff deleted here when the repository sends them (see
	// corpus.Import); without it they stay deleted and are counted in Stats.KeptDeleted.
	Restore bool
	// Files, when set, downloads full-text files into FileDir and indexes them through Pipeline.
	Files    *Fetcher
	Pipeline *indexer.Pipeline
	FileDir  string
	// Log reports progress and per-record problems, one line each.
	Log func(msg string)
}

// Stats is what a run did.
type Stats struct {
	Pages                              int
	Records                            int // records and deletions received
	Added, Updated, Unchanged, Deleted int
	KeptDeleted                        int // records staff deleted here, sent again and left deleted
	Rejected                           int // records that could not be read into a result
	Files, FilesFailed                 int
	Resumed, Restarted                 bool
	From                               string // the date asked from ("" for everything)
	Next                               string // the date the next run will ask from
}

func (h *Harvester) log(format string, args ...any) {
	if h.Log != nil {
		h.Log(fmt.Sprintf(format, args...))
	}
}

// Run harvests until the list ends, ctx ends, or the repository fails.
func (h *Harvester) Run(ctx context.Context) (Stats, error) {
	var st Stats
	if h.Prefix == "" {
		h.Prefix = PrefixDC
	}
	if h.Prefix != PrefixDC {
		return st, fmt.Errorf("chỉ thu thập được định dạng oai_dc (Dublin Core), không phải %q", h.Prefix)
	}
	id, _, err := h.Client.Identify(ctx)
	if err != nil {
		return st, err
	}
	src := &source{base: strings.TrimRight(h.Client.BaseURL, "?"), repoID: id.RepositoryID}
	if src.repoID == "" {
		if u, err := url.Parse(src.base); err == nil {
			src.repoID = u.Hostname()
		}
	}
	key := corpus.HarvestKey(src.base, h.Set, h.Prefix)
	state, _, err := h.Store.HarvestState(key)
	if err != nil {
		return st, err
	}
	state.BaseURL, state.Set, state.Prefix = src.base, h.Set, h.Prefix
	if h.Restart {
		state = corpus.HarvestState{BaseURL: src.base, Set: h.Set, Prefix: h.Prefix}
	}
	if h.Files != nil {
		if err := h.cleanFiles(); err != nil {
			return st, err
		}
	}
	if len(state.Pending) > 0 {
		h.log("Tải nốt %d tệp toàn văn của lần thu thập bị ngắt", len(state.Pending))
		if err := h.finishFiles(ctx, key, &state, &st); err != nil {
			return st, err
		}
	}
	var args url.Values
	if state.Token != "" && !h.Restart && h.From == "" {
		st.Resumed = true
		args = url.Values{"verb": {"ListRecords"}, "resumptionToken": {state.Token}}
		h.log("Tiếp tục lần thu thập bị ngắt (%s)", scope(state.RunFrom))
	} else {
		state.RunFrom, state.RunStarted = h.startDate(state, id.Granularity), ""
		args = h.listArgs(state.RunFrom)
	}
	st.From = state.RunFrom
	loop := newLoopGuard(args.Get("resumptionToken"))
	for {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("đã dừng giữa chừng; chạy lại cùng lệnh để tiếp tục: %w", err)
		}
		resp, err := h.Client.Do(ctx, args)
		if err != nil {
			return st, err
		}
		if e := resp.Err(); e != nil {
			switch {
			case e.Code == ErrNoRecordsMatch:
				h.log("Kho không có bản ghi nào (%s)", scope(state.RunFrom))
			case e.Code == ErrBadResumptionToken && args.Has("resumptionToken") && st.Restarted:
				return st, fmt.Errorf("%w: kho từ chối cả resumptionToken vừa cấp trong lần thu thập lại (%s); chạy lại sau", ErrProtocol, e.Message)
			case e.Code == ErrBadResumptionToken && args.Has("resumptionToken"):
				// The repository no longer knows the token (it expired, or the repository restarted):
				// the list is asked again from the run's own date; what was stored comes back unchanged.
				h.log("Kho không nhận lại resumptionToken đã lưu (%s); thu thập lại đợt này từ đầu (%s)", e.Message, scope(state.RunFrom))
				st.Restarted = true
				state.Token, state.RunStarted, args, loop = "", "", h.listArgs(state.RunFrom), newLoopGuard("")
				continue
			default:
				return st, fmt.Errorf("%w: %s (%s)", ErrProtocol, e.Message, e.Code)
			}
			if state.RunStarted == "" {
				state.RunStarted = resp.ResponseDate
			}
			break
		}
		if resp.Payload != "ListRecords" {
			// An envelope without the list (or with another verb's answer) is no empty list: taken as one,
			// the run would be complete and the next one would ask only for what changed after it.
			return st, fmt.Errorf("%w: kho trả lời ListRecords mà không có danh sách <ListRecords> (%s); chạy lại sau", ErrProtocol, cmp.Or(resp.Payload, "phản hồi trống"))
		}
		if err := loop.check(resp); err != nil {
			return st, err
		}
		if state.RunStarted == "" {
			state.RunStarted = resp.ResponseDate
		}
		if err := h.page(ctx, src, key, resp, &state, &st); err != nil {
			return st, err
		}
		if resp.Token == "" {
			break
		}
		args = url.Values{"verb": {"ListRecords"}, "resumptionToken": {resp.Token}}
	}
	state.Last, state.Token, state.TokenExpires, state.RunFrom, state.RunStarted = state.RunStarted, "", time.Time{}, "", ""
	if err := h.Store.SetHarvestState(key, state); err != nil {
		return st, err
	}
	st.Next = state.Last
	return st, nil
}

// scope says what a run asks for.
func scope(from string) string {
	if from == "" {
		return "toàn bộ kho"
	}
	return "những gì thay đổi từ " + from
}

func (h *Harvester) listArgs(from string) url.Values {
	args := url.Values{"verb": {"ListRecords"}, "metadataPrefix": {h.Prefix}}
	if h.Set != "" {
		args.Set("set", h.Set)
	}
	if from != "" {
		args.Set("from", from)
	}
	return args
}

// startDate is the from argument of a new run: the one given, else the last run's first responseDate, at
// the repository's granularity.
func (h *Harvester) startDate(state corpus.HarvestState, granularity string) string {
	from := h.From
	if from == "" && !h.Restart {
		from = state.Last
	}
	if from != "" && granularity == granularityDays && len(from) > len(layoutDays) {
		from = from[:len(layoutDays)]
	}
	return from
}

// source is the repository being harvested.
type source struct {
	base, repoID string
}

// tag is the source its records are stored from (Entry.Sources).
func (s *source) tag() string { return "oai " + s.base }

// page stores one response's records and deletions with the state after it, then indexes them and their
// full-text files.
func (h *Harvester) page(ctx context.Context, src *source, key string, resp *Response, state *corpus.HarvestState, st *Stats) error {
	st.Pages++
	if resp.Repaired > 0 {
		h.log("CẢNH BÁO trang %d: phản hồi của kho có %d byte không phải UTF-8 hoặc ký tự điều khiển mà XML không cho phép; đã thay bằng “\uFFFD” hoặc bỏ đi để đọc tiếp", st.Pages, resp.Repaired)
	}
	pg := corpus.HarvestPage{Source: src.tag(), Restore: h.Restore}
	used := map[string]string{} // local id → identifier, within the page
	var files []corpus.HarvestFile
	for _, r := range resp.Records {
		st.Records++
		if r.Identifier == "" {
			st.Rejected++
			h.log("LỖI bản ghi không có định danh (identifier); bỏ qua")
			continue
		}
		if r.Deleted {
			if id, ok, err := h.existingID(src, r.Identifier); err != nil {
				return err
			} else if ok {
				pg.Delete = append(pg.Delete, id)
			}
			continue
		}
		if r.DC == nil {
			st.Rejected++
			h.log("LỖI %s: bản ghi không có siêu dữ liệu Dublin Core (oai_dc); bỏ qua", r.Identifier)
			continue
		}
		id, err := h.localID(src, r.Identifier, used)
		if err != nil {
			return err
		}
		res := r.DC.toResult(id)
		res.Source, res.SourceID = src.base, r.Identifier
		probs := corpus.Normalize(res)
		for _, p := range probs {
			h.log("%s %s: %s", severityWord(p.Severity), r.Identifier, p.String())
		}
		if probs.Rejected() {
			st.Rejected++
			continue
		}
		cands := fileCandidates(r.DC)
		unchanged, err := h.carryOver(res, len(cands) > 0)
		if err != nil {
			return err
		}
		pg.Put = append(pg.Put, res)
		if len(cands) > 0 && h.Files != nil && !unchanged {
			files = append(files, corpus.HarvestFile{ID: id, URLs: cands})
		}
	}
	state.Token, state.TokenExpires, state.Pending = resp.Token, resp.TokenExpires, files
	done, err := h.Store.PutHarvest(key, pg, state)
	if err != nil {
		return err
	}
	st.Added += done.Added
	st.Updated += done.Updated
	st.Unchanged += done.Unchanged
	st.Deleted += done.Deleted
	st.KeptDeleted += done.KeptDeleted
	if _, err := indexer.Sync(ctx, h.Store, h.Index, nil); err != nil {
		return err
	}
	for _, id := range done.Kept {
		h.log("%s: %s", used[id], corpus.KeptDeletedMessage(id))
	}
	kept := ""
	if done.KeptDeleted > 0 {
		kept = fmt.Sprintf(", %d đã bị xoá ở đây (không đưa lại)", done.KeptDeleted)
	}
	h.log("Trang %d: %d bản ghi (%d mới, %d cập nhật, %d không đổi%s), %d xoá", st.Pages, len(resp.Records), done.Added, done.Updated, done.Unchanged, kept, done.Deleted)
	if len(state.Pending) > 0 {
		return h.finishFiles(ctx, key, state, st)
	}
	return nil
}

func severityWord(s corpus.Severity) string {
	if s == corpus.Warning {
		return "CẢNH BÁO"
	}
	return "LỖI"
}

// carryOver keeps what the store has of a harvested record that the repository does not send: the fields
// staff corrected by hand, and, while the record still links a full text, the text extracted from it (it
// is extracted again when the file is fetched). It reports whether the record is then unchanged.
func (h *Harvester) carryOver(r *corpus.Result, linksFile bool) (bool, error) {
	e, err := h.Store.Get(r.ID)
	if errors.Is(err, corpus.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rec, err := e.Decode()
	if err != nil {
		return false, err
	}
	old, ok := rec.(*corpus.Result)
	if !ok {
		return false, nil
	}
	extracted := linksFile && old.Extraction != nil
	if extracted {
		r.Pages, r.Extraction = old.Pages, old.Extraction
	}
	if len(old.Edited) > 0 {
		indexer.KeepEdited(r, old)
	}
	b, err := json.Marshal(r)
	if err != nil || bytes.Equal(b, e.Record) {
		return err == nil, err
	}
	if extracted {
		// The pipeline filled what the record leaves empty from the document's cover (summary, authors…):
		// a record that differs from the stored one in those only is the same record sent again, and
		// storing it would empty them until its file is fetched and read once more. A record that changed
		// goes in as sent, and the pipeline fills them again.
		filled := *r
		fillFromCover(&filled, old)
		if b, err := json.Marshal(&filled); err == nil && bytes.Equal(b, e.Record) {
			*r = filled
			return true, nil
		}
	}
	return false, nil
}

// fillFromCover gives r the fields the indexing pipeline takes from a document's cover (see
// indexer.docRecord) that r leaves empty, as old has them.
func fillFromCover(r, old *corpus.Result) {
	if r.Summary == "" {
		r.Summary = old.Summary
	}
	if len(r.Authors) == 0 {
		r.Authors = old.Authors
	}
	if r.Organization == "" {
		r.Organization = old.Organization
	}
	if r.Year == 0 {
		r.Year = old.Year
	}
	if len(r.Keywords) == 0 {
		r.Keywords = old.Keywords
	}
	if r.Language == "" {
		r.Language = old.Language
	}
}

// localPart is the record's identifier within its repository: the oai-identifier scheme's local part,
// unescaped, or the whole identifier.
func localPart(src *source, identifier string) string {
	local := identifier
	if p := "oai:" + src.repoID + ":"; src.repoID != "" && strings.HasPrefix(identifier, p) {
		local = strings.TrimPrefix(identifier, p)
	} else if rest, ok := strings.CutPrefix(identifier, "oai:"); ok {
		if _, l, ok := strings.Cut(rest, ":"); ok {
			local = l
		}
	}
	if u, err := url.PathUnescape(local); err == nil && utf8.ValidString(u) {
		local = u
	}
	return local
}

// sanitizeID makes a record id of any string: NFC, no spaces, controls or slashes, at most MaxIDBytes (a
// long one is cut and ends with a hash of the whole, so two long ids stay apart).
func sanitizeID(orig string) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' || r == '\\' || r == utf8.RuneError {
			return '-'
		}
		return r
	}, norm.NFC.String(orig))
	s = strings.Trim(s, "-")
	if s != "" && len(s) <= corpus.MaxIDBytes {
		return s
	}
	sum := sha256.Sum256([]byte(orig))
	tag := hex.EncodeToString(sum[:8])
	if s == "" {
		return "oai-" + tag
	}
	for len(s) > corpus.MaxIDBytes-len(tag)-1 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s + "-" + tag
}

// candidates are the two ids a harvested record may have here: its own id, and the same prefixed with
// the repository's name for when its own id is taken by another record.
func candidates(src *source, identifier string) (plain, prefixed string) {
	plain = sanitizeID(localPart(src, identifier))
	return plain, sanitizeID(src.repoID + "-" + plain)
}

// ours reports whether id holds the record harvested from this source under identifier.
func (h *Harvester) ours(id string, src *source, identifier string) (bool, error) {
	e, err := h.Store.Get(id)
	if errors.Is(err, corpus.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if e.Kind != corpus.KindResult {
		return false, nil
	}
	var r struct {
		Source   string `json:"source"`
		SourceID string `json:"source_id"`
	}
	if err := json.Unmarshal(e.Record, &r); err != nil {
		return false, err
	}
	// The store keeps source and source_id normalised (corpus.Normalize): an identifier sent in NFD or
	// with doubled spaces is compared as it was stored.
	return r.Source == vntext.Normalize(src.base) && r.SourceID == vntext.Normalize(identifier), nil
}

// existingID finds the local copy of a harvested record.
func (h *Harvester) existingID(src *source, identifier string) (string, bool, error) {
	plain, prefixed := candidates(src, identifier)
	for _, id := range []string{prefixed, plain} {
		ok, err := h.ours(id, src, identifier)
		if err != nil || ok {
			return id, ok, err
		}
	}
	return "", false, nil
}

// localID is the id a harvested record is stored under: the one it already has here (live, or deleted
// here: the store then leaves it deleted unless restoring), else its own id when no other record has it,
// else its id prefixed with the repository's name. The same id is never given to two records of one page.
func (h *Harvester) localID(src *source, identifier string, used map[string]string) (string, error) {
	id, ok, err := h.existingID(src, identifier)
	if err == nil && !ok {
		id, ok, err = h.deletedID(src, identifier)
	}
	if err != nil {
		return "", err
	}
	if !ok {
		plain, prefixed := candidates(src, identifier)
		id = prefixed
		if prev, taken := used[plain]; !taken || prev == identifier {
			if free, err := h.free(plain); err != nil {
				return "", err
			} else if free {
				id = plain
			}
		}
	}
	used[id] = identifier
	return id, nil
}

// deletedID finds the tombstone of a record of this source deleted here. A tombstone keeps no record, so
// no source_id: it is one of the record's two candidate ids that came from this source.
func (h *Harvester) deletedID(src *source, identifier string) (string, bool, error) {
	plain, prefixed := candidates(src, identifier)
	for _, id := range []string{prefixed, plain} {
		e, err := h.Store.Tombstone(id)
		if errors.Is(err, corpus.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", false, err
		}
		if e.Deleted && slices.Contains(e.Sources, src.tag()) {
			return id, true, nil
		}
	}
	return "", false, nil
}

// free reports whether id may be given to a new harvested record: no record has it, live or deleted. A
// record of another source that staff deleted stays deleted under its id, and one its source withdrew
// (its repository, its file) may come back under it: given to this record, it would be overwritten.
func (h *Harvester) free(id string) (bool, error) {
	_, err := h.Store.Tombstone(id)
	if errors.Is(err, corpus.ErrNotFound) {
		return true, nil
	}
	return false, err
}
