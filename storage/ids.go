package storage

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"

	"github.com/google/uuid"
)

// newID returns a UUIDv7 (RFC 9562) in its canonical text form. The text form
// sorts like the bytes, and google/uuid keeps v7 ids increasing within the
// process, so bbolt keys made from it list oldest first.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// newSecret returns 256 random bits, URL-safe, with a prefix that tells a
// reader (or a secret scanner) what kind of credential it is.
func newSecret(prefix string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// hashSecret is how secrets are kept: only their SHA-256, so a copy of the
// store (a backup, a stolen disk) does not let anyone log in. A fast hash is
// enough because the secrets carry 256 random bits; passwords are different
// and are hashed by the server with argon2id.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// itob encodes a revision or version number as a key that sorts numerically.
func itob(n int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return b[:]
}

func btoi(b []byte) int {
	if len(b) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(b))
}
