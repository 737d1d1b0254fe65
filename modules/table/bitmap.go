package table

import "math/bits"

// Bitmap marks valid (non-null) values, one bit a row. A nil Bitmap means every
// value is valid, which is the common case and costs nothing.
type Bitmap []uint64

// NewBitmap returns a bitmap of n bits, all set to valid.
func NewBitmap(n int) Bitmap {
	b := make(Bitmap, (n+63)/64)
	for i := range b {
		b[i] = ^uint64(0)
	}
	return b
}

// Valid reports whether row i holds a value.
func (b Bitmap) Valid(i int) bool { return b == nil || b[i>>6]&(1<<(uint(i)&63)) != 0 }

// Set marks row i valid (v true) or null.
func (b Bitmap) Set(i int, v bool) {
	if v {
		b[i>>6] |= 1 << (uint(i) & 63)
	} else {
		b[i>>6] &^= 1 << (uint(i) & 63)
	}
}

// nulls counts the null rows among the first n.
func (b Bitmap) nulls(n int) int {
	if b == nil {
		return 0
	}
	valid := 0
	full := n / 64
	for _, w := range b[:full] {
		valid += bits.OnesCount64(w)
	}
	if rem := n % 64; rem != 0 {
		valid += bits.OnesCount64(b[full] & (1<<uint(rem) - 1))
	}
	return n - valid
}

// grow makes room for n bits, marking new ones valid.
func (b Bitmap) grow(n int) Bitmap {
	for len(b)*64 < n {
		b = append(b, ^uint64(0))
	}
	return b
}
