package storage

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOpenCreatesStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := openDir(t, dir)
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{
		{dir, os.ModeDir | 0o700},
		{filepath.Join(dir, dbName), 0o600},
		{filepath.Join(dir, blobsDir), os.ModeDir | 0o700},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != c.mode {
			t.Errorf("%s: mode %v, want %v", c.path, fi.Mode(), c.mode)
		}
	}
	var version int
	_ = s.db.View(func(tx *bolt.Tx) error { version = schemaVersion(tx); return nil })
	if version != SchemaVersion() {
		t.Errorf("schema version %d, want %d", version, SchemaVersion())
	}
	if s.db.NoSync {
		t.Error("NoSync is set: commits would not be durable")
	}
	mustCheck(t, s)
	mustCheck(t, reopen(t, s))
	if leftovers, _ := filepath.Glob(filepath.Join(dir, dbName+".new-*")); len(leftovers) > 0 {
		t.Errorf("creation left %v", leftovers)
	}
}

func TestOpenLocked(t *testing.T) {
	s := openStore(t)
	start := time.Now()
	_, err := Open(s.Dir(), Options{Timeout: 200 * time.Millisecond})
	wantErr(t, err, ErrLocked)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("second Open took %v with a 200ms timeout", took)
	}
	if !strings.Contains(err.Error(), "locked by another process") {
		t.Errorf("message %q does not say the store is locked by another process", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(s.Dir(), Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("Open after the first closed: %v", err)
	}
	_ = s2.Close()
}

// pages are byte offsets of root pages of buckets in a store file.
type pages struct{ users, usersByName int }

// storeFile builds a store with enough records that buckets have pages of
// their own, and returns its file's bytes and where some of the pages only
// records use are.
func storeFile(t *testing.T) (file []byte, at pages) {
	t.Helper()
	s := openStore(t)
	for i := range 50 {
		mustUser(t, s, fmt.Sprintf("user%02d-%s", i, strings.Repeat("x", 40)), RoleAuthor)
	}
	mustWorkflow(t, s, doc("w", "iris"))
	_ = s.db.View(func(tx *bolt.Tx) error {
		at.users = int(tx.Bucket(bucketUsers).Root()) * s.db.Info().PageSize
		at.usersByName = int(tx.Bucket(bucketUsersByName).Root()) * s.db.Info().PageSize
		return nil
	})
	if at.users == 0 || at.usersByName == 0 {
		t.Fatal("a bucket is inline; add records")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(s.Dir(), dbName))
	if err != nil {
		t.Fatal(err)
	}
	return file, at
}

func TestOpenRefusesCorruptStore(t *testing.T) {
	const page = 4096
	file, at := storeFile(t)
	tests := []struct {
		name   string
		damage func(b []byte, at pages) []byte
	}{
		{"garbage", func(b []byte, _ pages) []byte { _, _ = rand.Read(b); return b }},
		{"empty", func(b []byte, _ pages) []byte { return nil }},
		{"shorter than a page", func(b []byte, _ pages) []byte { return b[:100] }},
		{"one page left", func(b []byte, _ pages) []byte { return b[:page] }},
		{"truncated to half", func(b []byte, _ pages) []byte { return b[:len(b)/2] }},
		{"meta pages zeroed", func(b []byte, _ pages) []byte { clear(b[:2*page]); return b }},
		{"data pages zeroed", func(b []byte, _ pages) []byte { clear(b[2*page:]); return b }},
		{"data pages garbage", func(b []byte, _ pages) []byte { _, _ = rand.Read(b[2*page:]); return b }},
		{"a records page zeroed", func(b []byte, at pages) []byte { clear(b[at.users : at.users+page]); return b }},
		{"a records page garbage", func(b []byte, at pages) []byte { _, _ = rand.Read(b[at.users : at.users+page]); return b }},
		{"a records page's elements garbage", func(b []byte, at pages) []byte { _, _ = rand.Read(b[at.users+16 : at.users+64]); return b }},
		{"keys out of order", func(b []byte, at pages) []byte {
			// The first leaf element's header is right after the 16-byte
			// page header; its key is pos bytes after the element header.
			elem := at.usersByName + 16
			pos := int(binary.LittleEndian.Uint32(b[elem+4:]))
			b[elem+pos] = 'z'
			return b
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, dbName)
			if err := os.WriteFile(path, tt.damage(bytes.Clone(file), at), 0o600); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)

			_, err := Open(dir, Options{Timeout: time.Second})

			wantErr(t, err, ErrCorrupt)
			t.Log(err)
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "left untouched") {
				t.Errorf("message %q should name the file and say it was left untouched", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Error("the damaged file was rewritten")
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("Open left files beside the damaged store: %v", entries)
			}
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s := openStore(t)
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, itob(SchemaVersion()+1))
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	path := filepath.Join(s.Dir(), dbName)
	before, _ := os.ReadFile(path)

	_, err = Open(s.Dir(), Options{Timeout: time.Second})

	wantErr(t, err, ErrNewerSchema)
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the store from a newer version was rewritten")
	}
}

func TestOpenSweepsLeftovers(t *testing.T) {
	s := openStore(t)
	kept := mustDataset(t, s, "kept", "a,b\n1,2\n")
	orphan, _, err := s.PutBlob(strings.NewReader("never recorded"))
	if err != nil {
		t.Fatal(err)
	}
	temp := filepath.Join(s.Dir(), blobsDir, tempPrefix+"123")
	half := filepath.Join(s.Dir(), dbName+".new-456")
	for _, p := range []string{temp, half} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	s = reopen(t, s)

	for _, p := range []string{temp, half, s.blobPath(orphan)} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: still there after Open (%v)", p, err)
		}
	}
	if _, err := os.Stat(s.blobPath(kept.Latest.Hash)); err != nil {
		t.Errorf("referenced blob removed: %v", err)
	}
	mustCheck(t, s)
}

func TestCheckFindsDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, s *Store)
		want   string
	}{
		{"unindexed user", func(t *testing.T, s *Store) {
			_ = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketUsersByName).Delete([]byte("bob")) })
		}, "is not indexed"},
		{"missing blob file", func(t *testing.T, s *Store) {
			d, _ := s.DatasetByName("iris")
			_ = os.Remove(s.blobPath(d.Latest.Hash))
		}, "no such file"},
		{"wrong reference count", func(t *testing.T, s *Store) {
			d, _ := s.DatasetByName("iris")
			_ = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketBlobs).Put([]byte(d.Latest.Hash), itob(7)) })
		}, "7 references recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			mustUser(t, s, "bob", RoleAdmin)
			mustDataset(t, s, "iris", "a,b\n1,2\n")
			mustCheck(t, s)

			tt.damage(t, s)

			if err := s.Check(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestNewIDIsTimeOrderedUUIDv7(t *testing.T) {
	prev := newID()
	for range 20000 {
		id := newID()
		if id <= prev {
			t.Fatalf("%s after %s: not increasing", id, prev)
		}
		if len(id) != 36 || id[14] != '7' || !strings.Contains("89ab", id[19:20]) {
			t.Fatalf("%s is not a UUIDv7", id)
		}
		prev = id
	}
	ms := time.Now().UnixMilli()
	var got int64
	for _, c := range strings.ReplaceAll(newID()[:13], "-", "") {
		got = got<<4 | int64(strings.IndexRune("0123456789abcdef", c))
	}
	if d := got - ms; d < -1000 || d > 1000 {
		t.Errorf("timestamp %d is not now (%d)", got, ms)
	}
}
