package corpus

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Feed tokens: feed readers cannot send headers, so a need's or a broker's alert feed is reached by an
// unguessable token in its URL. Only the token's SHA-256 is kept, as for follow tokens (a token is 32
// random bytes: a fast hash is enough); issuing a new token for a feed replaces the old one, which stops working at once.
//
//	feed_tokens    SHA-256 (hex) of a token → kind, 0, subject
//	feed_subjects  kind, 0, subject → FeedInfo
var (
	bucketFeedTokens   = []byte("feed_tokens")
	bucketFeedSubjects = []byte("feed_subjects")
)

// Kinds of feed.
const (
	FeedNeed   = "need"   // the alerts of one need; subject: the need's id
	FeedBroker = "broker" // the alerts of every need a broker follows; subject: the broker's name
)

// FeedTokenPrefix starts every feed token, so that a leaked one is recognisable as ours.
const FeedTokenPrefix = "kf_"

// FeedInfo describes a feed.
type FeedInfo struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	// ID is the feed's permanent id (its Atom id): made with the first token, kept when the token changes.
	ID     string    `json:"id"`
	SHA256 string    `json:"sha256"` // of the current token
	Issued time.Time `json:"issued"`
}

// IssueFeedToken makes a new token for a feed, replacing any earlier one, and returns it: the only time it
// is seen. A need's feed needs the need to exist.
func (s *Store) IssueFeedToken(kind, subject string) (string, *FeedInfo, error) {
	if kind != FeedNeed && kind != FeedBroker {
		return "", nil, fmt.Errorf("loại nguồn tin %q không hợp lệ", kind)
	}
	if subject == "" || strings.ContainsRune(subject, 0) {
		return "", nil, errors.New("nguồn tin cần mã nhu cầu hoặc tên nhà môi giới")
	}
	token := FeedTokenPrefix + NewToken()
	info := &FeedInfo{Kind: kind, Subject: subject, SHA256: FollowTokenHash(token), Issued: time.Now().UTC()}
	key := append([]byte(kind+"\x00"), subject...)
	err := s.db.Update(func(tx *bolt.Tx) error {
		if kind == FeedNeed {
			e, err := getEntry(tx, subject)
			if err != nil {
				return err
			}
			if e == nil || e.Deleted || e.Kind != KindNeed {
				return fmt.Errorf("%w: nhu cầu %s", ErrNotFound, subject)
			}
		}
		subjects, tokens := tx.Bucket(bucketFeedSubjects), tx.Bucket(bucketFeedTokens)
		info.ID = newURN()
		if old := subjects.Get(key); old != nil {
			var prev FeedInfo
			if err := json.Unmarshal(old, &prev); err != nil {
				return fmt.Errorf("nguồn tin %s %s hỏng trong kho: %w", kind, subject, err)
			}
			info.ID = prev.ID
			if err := tokens.Delete([]byte(prev.SHA256)); err != nil {
				return err
			}
		}
		if err := tokens.Put([]byte(info.SHA256), key); err != nil {
			return err
		}
		return putJSON(subjects, key, info)
	})
	if err != nil {
		return "", nil, fmt.Errorf("cấp mã nguồn tin: %w", err)
	}
	return token, info, nil
}

// FeedByToken finds the feed a token opens; nil when the token is unknown or was replaced.
func (s *Store) FeedByToken(token string) (*FeedInfo, error) {
	if !strings.HasPrefix(token, FeedTokenPrefix) || len(token) > 100 {
		return nil, nil
	}
	var info *FeedInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		key := tx.Bucket(bucketFeedTokens).Get([]byte(FollowTokenHash(token)))
		if key == nil {
			return nil
		}
		raw := tx.Bucket(bucketFeedSubjects).Get(key)
		if raw == nil {
			return nil
		}
		info = &FeedInfo{}
		return json.Unmarshal(raw, info)
	})
	if err != nil {
		return nil, fmt.Errorf("đọc mã nguồn tin: %w", err)
	}
	return info, nil
}

// getEntry reads an entry (live or tombstone) inside tx; nil when the id was never stored.
func getEntry(tx *bolt.Tx, id string) (*Entry, error) {
	raw := tx.Bucket(bucketRecords).Get([]byte(id))
	if raw == nil {
		return nil, nil
	}
	var e Entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("bản ghi %s hỏng trong kho: %w", id, err)
	}
	return &e, nil
}
