package corpus

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Passwords are hashed with Argon2id (RFC 9106), a slow, memory-hard KDF: unlike API keys, which are
// random, people choose passwords that can be guessed, so a stolen users.json must cost an attacker
// dearly per guess. The hash is kept in the PHC string format, parameters included, so that they can be
// raised later without invalidating what is stored.

// argonParams are OWASP's recommended minimum for Argon2id: 19 MiB, 2 passes, 1 lane (about 50 ms on
// one core). Tests may lower them.
var argonParams = argonSettings{memory: 19 * 1024, time: 2, threads: 1}

type argonSettings struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

const (
	argonSaltLen = 16
	argonKeyLen  = 32
	// MinPasswordRunes is the shortest password accepted.
	MinPasswordRunes = 10
	maxPasswordBytes = 1024
	// maxArgonMemory refuses a stored hash asking for absurd memory (a damaged or hostile users.json).
	maxArgonMemory = 1 << 20 // KiB: 1 GiB
)

// hashSlots bounds the hashes computed at once, so that a burst of sign-ins cannot take all the memory
// and every core.
var hashSlots = make(chan struct{}, 2)

// normalizePassword makes the same password typed on different systems the same bytes: Vietnamese
// letters come precomposed or decomposed depending on the keyboard.
func normalizePassword(pw string) string { return norm.NFC.String(pw) }

// CheckPassword says why a new password is refused, or nil.
func CheckPassword(pw, name string) error {
	pw = normalizePassword(pw)
	switch {
	case !utf8.ValidString(pw):
		return errors.New("mật khẩu không phải UTF-8 hợp lệ")
	case utf8.RuneCountInString(pw) < MinPasswordRunes:
		return fmt.Errorf("mật khẩu phải dài ít nhất %d ký tự", MinPasswordRunes)
	case len(pw) > maxPasswordBytes:
		return fmt.Errorf("mật khẩu dài quá %d byte", maxPasswordBytes)
	case strings.EqualFold(pw, name):
		return errors.New("mật khẩu không được trùng tên đăng nhập")
	case strings.TrimSpace(pw) == "":
		return errors.New("mật khẩu không được chỉ gồm dấu cách")
	}
	return nil
}

// hashPassword returns the PHC string of pw with a fresh random salt.
func hashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("sinh muối ngẫu nhiên: %w", err)
	}
	p := argonParams
	key := argonKey(normalizePassword(pw), salt, p, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func argonKey(pw string, salt []byte, p argonSettings, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, n)
}

// verifyPassword says whether pw matches the PHC string; a string it cannot read matches nothing.
func verifyPassword(pw, phc string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var p argonSettings
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return false
	}
	if p.memory == 0 || p.memory > maxArgonMemory || p.time == 0 || p.time > 100 || p.threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) < 16 || len(want) > 128 {
		return false
	}
	got := argonKey(normalizePassword(pw), salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a sign-in names no known user, so that the answer takes as long as
// for a known one and timing does not tell which names exist.
var dummyHash = sync.OnceValue(func() string {
	h, err := hashPassword(base64.RawStdEncoding.EncodeToString([]byte("không-phải-mật-khẩu-của-ai")))
	if err != nil {
		return ""
	}
	return h
})
