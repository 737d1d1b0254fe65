package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Blob files are named by the SHA-256 of their content, under a directory
// named by its first two hex digits so no directory grows too large.
const tempPrefix = ".tmp-"

// PutBlob streams r into the blob store and returns the hex SHA-256 of the
// content and its size. The bytes are hashed while written to a temporary
// file, which is fsynced and renamed into place, so a blob file either is
// complete or does not exist. Storing content that is already there keeps
// the existing file.
//
// The blob is kept until a dataset version records it (CreateDataset,
// AddDatasetVersion), or until DiscardBlob or the next Open when none does.
func (s *Store) PutBlob(r io.Reader) (hash string, size int64, err error) {
	dir := filepath.Join(s.dir, blobsDir)
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(f, h), r)
	if err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	if err = f.Sync(); err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	if err = f.Close(); err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	hash = hex.EncodeToString(h.Sum(nil))

	// Held across the rename so that garbage collection cannot remove an
	// existing file with this content between the check and the hold.
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	final := s.blobPath(hash)
	if _, statErr := os.Stat(final); statErr == nil {
		_ = os.Remove(tmp)
	} else {
		sub := filepath.Dir(final)
		if err = os.MkdirAll(sub, 0o700); err != nil {
			return "", 0, fmt.Errorf("blob: %w", err)
		}
		if err = os.Rename(tmp, final); err != nil {
			return "", 0, fmt.Errorf("blob: %w", err)
		}
		// The new name must survive a crash before anything records it;
		// syncing blobs/ as well makes a newly made subdirectory durable.
		if err = syncDir(sub); err == nil {
			err = syncDir(dir)
		}
		if err != nil {
			return "", 0, fmt.Errorf("blob: %w", err)
		}
	}
	s.pending[hash]++
	return hash, size, nil
}

// OpenBlob opens a blob for reading. It returns ErrNotFound when there is no
// blob with the hash.
func (s *Store) OpenBlob(hash string) (*os.File, error) {
	if !validHash(hash) {
		return nil, fmt.Errorf("blob %q: %w", hash, ErrNotFound)
	}
	f, err := os.Open(s.blobPath(hash))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", hash, ErrNotFound)
	}
	return f, err
}

// DiscardBlob gives up a blob that PutBlob stored and no dataset version
// will record (the upload failed to parse, say): it is removed unless
// something else references it.
func (s *Store) DiscardBlob(hash string) error {
	s.pendingMu.Lock()
	if s.pending[hash] > 0 {
		s.pending[hash]--
		if s.pending[hash] == 0 {
			delete(s.pending, hash)
		}
	}
	s.pendingMu.Unlock()
	return s.collectBlobs([]string{hash})
}

func (s *Store) blobPath(hash string) string {
	return filepath.Join(s.dir, blobsDir, hash[:2], hash)
}

func validHash(h string) bool {
	if len(h) != sha256.Size*2 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// blobRefs adds delta to the number of dataset versions that reference a
// blob, and reports whether none does any more.
func blobRefs(tx *bolt.Tx, hash string, delta int) (unused bool, err error) {
	b := tx.Bucket(bucketBlobs)
	n := btoi(b.Get([]byte(hash))) + delta
	if n <= 0 {
		return true, b.Delete([]byte(hash))
	}
	return false, b.Put([]byte(hash), itob(n))
}

// collectBlobs removes the blob files among hashes that nothing references
// or holds, after the transaction that dropped their last reference has
// committed — files are removed only once the store no longer needs them.
// It leaves them for the next Open while an archive backup is copying blobs.
func (s *Store) collectBlobs(hashes []string) error {
	if len(hashes) == 0 || !s.gcMu.TryLock() {
		return nil
	}
	defer s.gcMu.Unlock()
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	var errs []error
	err := s.db.View(func(tx *bolt.Tx) error {
		refs := tx.Bucket(bucketBlobs)
		for _, h := range hashes {
			if !validHash(h) || s.pending[h] > 0 || refs.Get([]byte(h)) != nil {
				continue
			}
			if err := os.Remove(s.blobPath(h)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}

// sweepFiles removes what a crash or an interrupted collection left behind:
// half-created store files, temporary blob files and blob files no dataset
// version references. It runs in Open, holding the lock, before any upload
// can be in flight.
func (s *Store) sweepFiles() error {
	stale, _ := filepath.Glob(filepath.Join(s.dir, dbName+".new-*"))
	for _, f := range stale {
		_ = os.Remove(f)
	}
	dir := filepath.Join(s.dir, blobsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	var removed int
	err := s.db.View(func(tx *bolt.Tx) error {
		refs := tx.Bucket(bucketBlobs)
		return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			name := d.Name()
			if strings.HasPrefix(name, tempPrefix) || (validHash(name) && refs.Get([]byte(name)) == nil) {
				removed++
				return os.Remove(path)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("storage: sweep blobs: %w", err)
	}
	if removed > 0 {
		s.log.Info("removed leftover blob files", "files", removed)
	}
	return nil
}
