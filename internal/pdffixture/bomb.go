package pdffixture

// ZlibBomb returns a zlib stream that inflates to size zero bytes (size ≥ 1), at the best ratio Deflate
// allows, about 1:1032: 4 GiB come from about 4 MB. Compressing that many zeros with compress/flate
// would take seconds on every build, so the stream is written by hand: one dynamic-Huffman block whose
// codes are chosen so that each "copy 258 bytes from distance 1" costs two zero bits. The body is
// then plain zero bytes, whatever its length.
func ZlibBomb(size int64) []byte {
	if size < 1 {
		size = 1
	}
	copies := (size - 1) / 258 // after one literal zero, copies of 258 bytes…
	tail := (size - 1) % 258   // …and literal zeros for the rest
	w := &bitWriter{buf: make([]byte, 0, 2*copies/8+64)}
	w.buf = append(w.buf, 0x78, 0x9c) // zlib header: deflate, 32K window, default level
	w.bits(1, 1)                      // BFINAL
	w.bits(2, 2)                      // BTYPE = dynamic Huffman
	w.bits(286-257, 5)                // HLIT: literal/length codes 0..285
	w.bits(2-1, 5)                    // HDIST: distance codes 0..1
	w.bits(18-4, 4)                   // HCLEN: 18 code length codes
	// Code length alphabet: 18 (repeat zero 11-138 times) gets 1 bit, lengths 1 and 2 get 2 bits,
	// sent in the spec's permuted order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1.
	for _, sym := range []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1} {
		switch sym {
		case 18:
			w.bits(1, 3)
		case 1, 2:
			w.bits(2, 3)
		default:
			w.bits(0, 3)
		}
	}
	// Canonical codes of that alphabet: 18 → 0, 1 → 10, 2 → 11.
	cl := func(sym int) {
		switch sym {
		case 18:
			w.huff(0, 1)
		case 1:
			w.huff(2, 2)
		case 2:
			w.huff(3, 2)
		}
	}
	zeros := func(n int) { // runs of zero code lengths
		for n > 0 {
			k := min(n, 138)
			cl(18)
			w.bits(uint32(k-11), 7)
			n -= k
		}
	}
	// Literal/length code lengths: 0 → 2, 256 (end of block) → 2, 285 (length 258) → 1; then both
	// distance codes → 1 (two codes, so the distance code is complete).
	cl(2)
	zeros(255)
	cl(2)
	zeros(28)
	cl(1)
	cl(1)
	cl(1)
	// Canonical literal/length codes: 285 → 0, 0 → 10, 256 → 11; distance 1 (code 0) → 0.
	w.huff(2, 2) // the first literal zero
	for i := int64(0); i < tail; i++ {
		w.huff(2, 2)
	}
	w.zeroBits(2 * copies) // each copy: length code 285 ("0") and distance code 0 ("0")
	w.huff(3, 2)           // end of block
	w.align()
	// Adler-32 of size zero bytes: A stays 1, B grows by 1 per byte.
	adler := uint32(size%65521)<<16 | 1
	return append(w.buf, byte(adler>>24), byte(adler>>16), byte(adler>>8), byte(adler))
}

// bitWriter writes a Deflate bit stream: fields least significant bit first, Huffman codes most
// significant bit first.
type bitWriter struct {
	buf  []byte
	nbit uint // bits used in the last byte of buf (0 = start a new byte)
}

func (w *bitWriter) bit(b uint32) {
	if w.nbit == 0 {
		w.buf = append(w.buf, 0)
	}
	w.buf[len(w.buf)-1] |= byte(b&1) << w.nbit
	w.nbit = (w.nbit + 1) % 8
}

func (w *bitWriter) bits(v uint32, n int) {
	for i := 0; i < n; i++ {
		w.bit(v >> i)
	}
}

func (w *bitWriter) huff(code uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		w.bit(code >> i)
	}
}

// zeroBits appends n zero bits quickly: finish the current byte, then whole zero bytes.
func (w *bitWriter) zeroBits(n int64) {
	for n > 0 && w.nbit != 0 {
		w.bit(0)
		n--
	}
	w.buf = append(w.buf, make([]byte, n/8)...)
	for i := int64(0); i < n%8; i++ {
		w.bit(0)
	}
}

func (w *bitWriter) align() { w.nbit = 0 }
