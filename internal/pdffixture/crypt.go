package pdffixture

import (
	"bytes"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Encryption of the standard security handler, revision 3 (RC4, 128-bit keys), as Acrobat 5 to 9 and
// most "protect PDF" tools write it, after ISO 32000-1 §7.6.3. Written here rather than by a tool so
// that fixtures need nothing installed.

// padding is the 32-byte string passwords are padded with (Algorithm 2, step a).
var padding = []byte{
	0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08,
	0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a,
}

func padPassword(pw string) []byte {
	return append([]byte(pw), padding...)[:32]
}

// Permission bits (Table 22; bit 1 is the lowest). PermAll allows everything; the owner password then
// guards only changes to the permissions themselves.
const (
	PermPrint  int32 = 1 << 2
	PermModify int32 = 1 << 3
	PermCopy   int32 = 1 << 4
	PermAll    int32 = -4 // all bits set except the two lowest, which must be 0
)

type rc4Crypt struct {
	key  []byte // file key, 16 bytes
	o, u []byte
	p    int32
}

const keyLen = 16 // 128 bits

func rc4xor(key, data []byte) []byte {
	c, _ := rc4.NewCipher(key)
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// rc4Rounds is RC4 under key, then 19 more times under key XOR i (Algorithm 3 step g, Algorithm 5 step e).
func rc4Rounds(key, data []byte) []byte {
	out := rc4xor(key, data)
	k := make([]byte, len(key))
	for i := 1; i <= 19; i++ {
		for j := range key {
			k[j] = key[j] ^ byte(i)
		}
		out = rc4xor(k, out)
	}
	return out
}

// md5x50 hashes, then rehashes the first n bytes 50 times (revision 3 key strengthening).
func md5x50(data []byte, n int) []byte {
	h := md5.Sum(data)
	for i := 0; i < 50; i++ {
		h = md5.Sum(h[:n])
	}
	return h[:n]
}

// newRC4R3 computes the /O and /U entries and the file key for the passwords.
func newRC4R3(user, owner string, perms int32, id []byte) *rc4Crypt {
	if owner == "" {
		owner = user
	}
	// Algorithm 3: /O is the padded user password encrypted under a key from the owner password.
	okey := md5x50(padPassword(owner), keyLen)
	o := rc4Rounds(okey, padPassword(user))
	// Algorithm 2: the file key from the user password, /O, /P and the first ID.
	var p [4]byte
	binary.LittleEndian.PutUint32(p[:], uint32(perms))
	in := append(append(append(padPassword(user), o...), p[:]...), id...)
	key := md5x50(in, keyLen)
	// Algorithm 5: /U is MD5(padding + ID) encrypted under the file key, padded to 32 bytes.
	h := md5.Sum(append(append([]byte{}, padding...), id...))
	u := append(rc4Rounds(key, h[:]), make([]byte, 16)...)
	return &rc4Crypt{key: key, o: o, u: u, p: perms}
}

// encrypt encrypts (or decrypts: RC4 is symmetric) the strings and streams of object num, generation 0,
// under the object key of Algorithm 1.
func (c *rc4Crypt) encrypt(num int, data []byte) []byte {
	k := append(append([]byte{}, c.key...), byte(num), byte(num>>8), byte(num>>16), 0, 0)
	h := md5.Sum(k)
	return rc4xor(h[:min(len(c.key)+5, 16)], data)
}

// EncryptRC4 makes the PDF encrypted with RC4 128-bit (revision 3) on writing: every string and stream
// except the /Encrypt dictionary's own. An empty user password opens the file without asking (an
// "owner password only" file, restricted by perms); a non-empty one is needed to read anything.
func (b *Builder) EncryptRC4(user, owner string, perms int32) {
	c := newRC4R3(user, owner, perms, b.ID)
	b.crypt = c
	b.encRef = b.Alloc()
	b.objs[b.encRef-1] = object{set: true, plain: true, body: fmt.Sprintf(
		"<< /Filter /Standard /V 2 /R 3 /Length 128 /P %d /O <%s> /U <%s> >>",
		c.p, hex.EncodeToString(c.o), hex.EncodeToString(c.u))}
}

// ErrNoQpdf is returned by EncryptAES256 when qpdf is not installed.
var ErrNoQpdf = errors.New("pdffixture: qpdf not installed (Debian package qpdf)")

// EncryptAES256 encrypts a PDF with AES-256 (revision 6, PDF 2.0's only current method) by running
// qpdf, which writing it here would not be worth: SHA-2 key derivation and AES-CBC per object.
func EncryptAES256(pdf []byte, user, owner string) ([]byte, error) {
	qpdf, err := exec.LookPath("qpdf")
	if err != nil {
		return nil, ErrNoQpdf
	}
	dir, err := os.MkdirTemp("", "pdffixture")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		return nil, err
	}
	// --static-id and --static-aes-iv (meant for tests) keep the output the same from run to run.
	cmd := exec.Command(qpdf, "--static-id", "--static-aes-iv", "--encrypt", user, owner, "256", "--", in, out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pdffixture: qpdf: %v: %s", err, stderr.String())
	}
	return os.ReadFile(out)
}
